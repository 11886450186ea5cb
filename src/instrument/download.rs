//! Downloading the master into an on-disk cache with a maximum age.
//!
//! The file is fetched with a blocking HTTP client (ureq over rustls with the
//! `ring` provider), streamed to a temporary file beside the cache file, checked to
//! look like a master (its first line names a `SECURITY_ID` column, so an HTML error
//! page served with status 200 is not cached), and renamed over the cache file. A
//! failed download never damages the previous cache file; [`Download::fetch`] then
//! falls back to it, however old, and says so.
//!
//! This is the one place outside `transport/` and `engine/` that does network
//! I/O, on purpose: a one-shot blocking download the user asks for (`dhan-feed
//! instruments download`, `Download::fetch`), never on the I/O thread or a feed
//! connection, so it uses an ordinary HTTP client rather than the engine.

use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::error::InstrumentError;
use super::load::LoadOptions;
use super::master::InstrumentMaster;

/// Which of Dhan's two master files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum MasterKind {
    /// `api-scrip-master.csv`: 16 columns, no trading fields.
    Compact,
    /// `api-scrip-master-detailed.csv`: with the trading fields. The default.
    #[default]
    Detailed,
}

impl MasterKind {
    /// Dhan's URL for this file (no authentication needed).
    pub const fn default_url(self) -> &'static str {
        match self {
            Self::Compact => "https://images.dhan.co/api-data/api-scrip-master.csv",
            Self::Detailed => "https://images.dhan.co/api-data/api-scrip-master-detailed.csv",
        }
    }
}

/// How far a download has got, passed to the progress callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Bytes received so far.
    pub downloaded: u64,
    /// The body size, when the server sent a `Content-Length`.
    pub total: Option<u64>,
}

/// Where a [`Fetched`] file came from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// The cache file was younger than the maximum age; nothing was downloaded.
    Cache {
        /// Its age.
        age: Duration,
    },
    /// The file was downloaded just now.
    Downloaded {
        /// Its size in bytes.
        bytes: u64,
    },
    /// The download failed, so the older cache file is used.
    StaleCache {
        /// Its age.
        age: Duration,
        /// Why the download failed.
        error: String,
    },
}

/// A master file on disk, ready for [`InstrumentMaster::from_path`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    /// The cache file.
    pub path: PathBuf,
    /// Whether it was downloaded or reused.
    pub origin: Origin,
}

/// A cached download of the master: URL, cache directory, maximum age, timeouts.
#[derive(Clone, Debug)]
pub struct Download {
    /// The URL to fetch (default: [`MasterKind::default_url`]).
    pub url: String,
    /// The cache directory (created if missing).
    pub cache_dir: PathBuf,
    /// A cache file older than this is downloaded again (default 12 hours; Dhan
    /// refreshes the master daily).
    pub max_age: Duration,
    /// Connect and per-read timeout (default 30 s).
    pub timeout: Duration,
    /// Limit for the whole transfer (default 10 minutes).
    pub total_timeout: Duration,
    /// The largest body accepted (default [`Download::DEFAULT_MAX_BYTES`]): a
    /// server that sends more (or announces more) is refused before the cache
    /// file is touched.
    pub max_bytes: u64,
}

/// The default cache directory: `$XDG_CACHE_HOME/dhan-feed`, else
/// `$HOME/.cache/dhan-feed`.
pub fn default_cache_dir() -> Option<PathBuf> {
    let nonempty = |v: &str| {
        std::env::var_os(v)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
    };
    nonempty("XDG_CACHE_HOME")
        .or_else(|| nonempty("HOME").map(|h| h.join(".cache")))
        .map(|d| d.join("dhan-feed"))
}

impl Download {
    /// A download of `kind` from Dhan's URL into the default cache directory.
    pub fn new(kind: MasterKind) -> Result<Self, InstrumentError> {
        let cache_dir = default_cache_dir().ok_or(InstrumentError::NoCacheDir)?;
        Ok(Self::with_cache_dir(kind, cache_dir))
    }

    /// A download of `kind` from Dhan's URL into `cache_dir`.
    pub fn with_cache_dir(kind: MasterKind, cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            url: kind.default_url().to_owned(),
            cache_dir: cache_dir.into(),
            max_age: Duration::from_secs(12 * 3600),
            timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(600),
            max_bytes: Self::DEFAULT_MAX_BYTES,
        }
    }

    /// Default for [`Download::max_bytes`]: 512 MiB (Dhan's detailed master is
    /// tens of MB).
    pub const DEFAULT_MAX_BYTES: u64 = 512 << 20;

    /// This download with another size limit.
    pub fn max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// This download from another URL (a mirror, the per-segment API, a test server).
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = url.into();
        self
    }

    /// This download with another maximum cache age.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// This download with another connect/read timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The cache file: the URL's last path segment (sanitised, `.csv` added if it
    /// has no extension) in the cache directory.
    pub fn cache_path(&self) -> PathBuf {
        let path = self.url.split(['?', '#']).next().unwrap_or("");
        let last = path.rsplit('/').next().unwrap_or("");
        let mut name: String = last
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        name = name.trim_start_matches('.').to_owned();
        if name.is_empty() {
            name = "instrument-master".to_owned();
        }
        if !name.contains('.') {
            name.push_str(".csv");
        }
        self.cache_dir.join(name)
    }

    /// The age of the cache file, if there is one.
    pub fn cache_age(&self) -> Option<Duration> {
        let modified = fs::metadata(self.cache_path()).ok()?.modified().ok()?;
        // A file dated in the future counts as brand new.
        Some(
            SystemTime::now()
                .duration_since(modified)
                .unwrap_or(Duration::ZERO),
        )
    }

    /// The cache file, downloaded first if it is missing or older than the maximum
    /// age. If that download fails and an older cache file exists, it is returned
    /// with [`Origin::StaleCache`]; without one the error is returned.
    pub fn fetch(&self, progress: &mut dyn FnMut(Progress)) -> Result<Fetched, InstrumentError> {
        let age = self.cache_age();
        if let Some(age) = age.filter(|&a| a < self.max_age) {
            return Ok(Fetched {
                path: self.cache_path(),
                origin: Origin::Cache { age },
            });
        }
        match self.refresh(progress) {
            Ok(fetched) => Ok(fetched),
            Err(e) => match age {
                Some(age) => {
                    log::warn!(
                        "instrument master: {e}; using the cached copy from {}s ago",
                        age.as_secs()
                    );
                    Ok(Fetched {
                        path: self.cache_path(),
                        origin: Origin::StaleCache {
                            age,
                            error: e.to_string(),
                        },
                    })
                }
                None => Err(e),
            },
        }
    }

    /// Downloads the file now, whatever the cache holds, and replaces the cache file.
    pub fn refresh(&self, progress: &mut dyn FnMut(Progress)) -> Result<Fetched, InstrumentError> {
        let path = self.cache_path();
        fs::create_dir_all(&self.cache_dir).map_err(|source| InstrumentError::File {
            path: self.cache_dir.clone(),
            source,
        })?;
        let part = part_path(&path);
        let result = self.download_to(&part, progress);
        let bytes = match result {
            Ok(bytes) => bytes,
            Err(e) => {
                let _ = fs::remove_file(&part);
                return Err(e);
            }
        };
        fs::rename(&part, &path).map_err(|source| {
            let _ = fs::remove_file(&part);
            InstrumentError::File {
                path: path.clone(),
                source,
            }
        })?;
        Ok(Fetched {
            path,
            origin: Origin::Downloaded { bytes },
        })
    }

    /// Fetches (as [`fetch`](Self::fetch)) and loads the master.
    pub fn load(
        &self,
        opts: &LoadOptions,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(InstrumentMaster, Fetched), InstrumentError> {
        let fetched = self.fetch(progress)?;
        let master = InstrumentMaster::from_path(&fetched.path, opts)?;
        Ok((master, fetched))
    }

    fn too_large(&self, bytes: u64) -> InstrumentError {
        self.err(format!(
            "the body exceeds the {} byte limit (at least {bytes} bytes; see Download::max_bytes)",
            self.max_bytes
        ))
    }

    fn err(&self, message: impl Into<String>) -> InstrumentError {
        InstrumentError::Download {
            url: self.url.clone(),
            message: message.into(),
        }
    }

    fn download_to(
        &self,
        part: &Path,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<u64, InstrumentError> {
        let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| self.url.starts_with(p));
        let mut config = ureq::Agent::config_builder()
            .timeout_connect(Some(self.timeout))
            .timeout_per_read(Some(self.timeout))
            .timeout_recv_response(Some(self.timeout))
            .timeout_global(Some(self.total_timeout))
            .user_agent(concat!("dhan-feed/", env!("CARGO_PKG_VERSION")));
        if loopback {
            // A proxy from the environment must not intercept a local server.
            config = config.proxy(None);
        }
        let agent: ureq::Agent = config.build().into();
        let response = agent
            .get(&self.url)
            .call()
            .map_err(|e| self.err(e.to_string()))?;
        let mut body = response.into_body();
        let total = body.content_length();
        if let Some(t) = total.filter(|&t| t > self.max_bytes) {
            return Err(self.too_large(t));
        }
        let mut reader = body.as_reader();

        // A new file, never one that exists: `create_new` does not follow a
        // link planted at the (random) name.
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(part)
            .map_err(|source| InstrumentError::File {
                path: part.to_owned(),
                source,
            })?;
        let mut out = BufWriter::with_capacity(256 * 1024, file);
        let write_err = |source| InstrumentError::File {
            path: part.to_owned(),
            source,
        };
        let mut buf = vec![0u8; 64 * 1024];
        let mut downloaded = 0u64;
        let mut head = Vec::new();
        progress(Progress { downloaded, total });
        loop {
            let n = reader.read(&mut buf).map_err(|e| self.err(e.to_string()))?;
            if n == 0 {
                break;
            }
            let chunk = &buf[..n];
            if head.len() < 4096 {
                head.extend_from_slice(&chunk[..chunk.len().min(4096 - head.len())]);
            }
            downloaded += n as u64;
            if downloaded > self.max_bytes {
                return Err(self.too_large(downloaded));
            }
            out.write_all(chunk).map_err(write_err)?;
            progress(Progress { downloaded, total });
        }
        out.flush().map_err(write_err)?;
        if let Some(total) = total.filter(|&t| t != downloaded) {
            return Err(self.err(format!("body ended after {downloaded} of {total} bytes")));
        }
        let first_line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
        if !String::from_utf8_lossy(first_line)
            .to_ascii_uppercase()
            .contains("SECURITY_ID")
        {
            return Err(self.err("the response is not an instrument master (no SECURITY_ID column in its first line)"));
        }
        Ok(downloaded)
    }
}

/// A temporary file beside `path` for a download in progress: hidden, named
/// for the process and a random draw, so no other process (or user) can
/// predict it.
fn part_path(path: &Path) -> PathBuf {
    let name = path.file_name().map_or_else(
        || "instrument-master".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let token = crate::random::os_seed();
    path.with_file_name(format!(".{name}.{}.{token:016x}.part", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_files_are_hidden_and_unpredictable() {
        let path = PathBuf::from("/c/api-scrip-master-detailed.csv");
        let (a, b) = (part_path(&path), part_path(&path));
        assert_ne!(a, b);
        for p in [&a, &b] {
            assert_eq!(p.parent(), path.parent());
            let n = p.file_name().unwrap().to_str().unwrap();
            assert!(
                n.starts_with(".api-scrip-master-detailed.csv.") && n.ends_with(".part"),
                "{n}"
            );
        }
    }

    #[test]
    fn cache_file_names() {
        let d = Download::with_cache_dir(MasterKind::Detailed, "/c");
        assert_eq!(
            d.cache_path(),
            PathBuf::from("/c/api-scrip-master-detailed.csv")
        );
        let d = d.url("https://api.dhan.co/v2/instrument/NSE_EQ?x=1");
        assert_eq!(d.cache_path(), PathBuf::from("/c/NSE_EQ.csv"));
        let d = Download::with_cache_dir(MasterKind::Compact, "/c").url("http://h/");
        assert_eq!(d.cache_path(), PathBuf::from("/c/instrument-master.csv"));
        let d = Download::with_cache_dir(MasterKind::Compact, "/c").url("http://h/../..");
        assert_eq!(d.cache_path(), PathBuf::from("/c/instrument-master.csv"));
    }
}
