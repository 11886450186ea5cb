//! The token thread: watches a client's [`TokenSource`] off the I/O thread and
//! hands a renewed token to the engine (as [`Client::set_access_token`] would),
//! so a program that runs all day follows its login job's daily token.
//!
//! [`Client::set_access_token`]: crate::Client::set_access_token

use crate::config::TokenSource;
use crate::engine::port::{Command, EngineHandle};
use crate::secret::Secret;
use std::io;
use std::sync::Weak;
use std::time::{Duration, Instant};

/// How often a token file is read.
const FILE_EVERY: Duration = Duration::from_millis(500);

/// Where the token comes from, for messages (never the token).
pub(crate) fn describe(source: &TokenSource) -> String {
    match source {
        TokenSource::File(p) => format!("the token file {}", p.display()),
        _ => "the token callback".to_owned(),
    }
}

/// Starts the token thread of a client whose engine is `engine`, its token now
/// `current`. It ends when the engine is gone or stopped.
pub(crate) fn spawn(
    source: TokenSource,
    refresh: Duration,
    current: Secret,
    engine: Weak<EngineHandle>,
) -> io::Result<()> {
    let every = match source {
        TokenSource::Fixed => return Ok(()),
        TokenSource::File(_) => FILE_EVERY,
        TokenSource::Callback(_) => refresh.max(Duration::from_millis(10)),
    };
    std::thread::Builder::new()
        .name("dhan-feed-token".into())
        .spawn(move || watch(&source, every, current, &engine))?;
    Ok(())
}

fn watch(source: &TokenSource, every: Duration, mut current: Secret, engine: &Weak<EngineHandle>) {
    let mut problem: Option<String> = None;
    let mut next = Instant::now() + every;
    loop {
        // Short naps, so the thread ends soon after its client.
        std::thread::sleep(
            next.saturating_duration_since(Instant::now())
                .min(FILE_EVERY),
        );
        {
            let Some(engine) = engine.upgrade() else {
                return;
            };
            if engine.stopped().is_some() {
                return;
            }
        }
        if Instant::now() < next {
            continue;
        }
        next = Instant::now() + every;
        let Some(read) = source.read() else { return };
        match read {
            Ok(token) => {
                problem = None;
                if token == current {
                    continue;
                }
                let Some(engine) = engine.upgrade() else {
                    return;
                };
                if engine.send(Command::SetAccessToken(token.clone())).is_err() {
                    return;
                }
                log::info!("access token renewed from {}", describe(source));
                current = token;
            }
            Err(e) => {
                let why = e.to_string();
                if problem.as_deref() != Some(why.as_str()) {
                    log::warn!(
                        "cannot read the access token from {}: {why}; keeping the current token",
                        describe(source)
                    );
                    problem = Some(why);
                }
            }
        }
    }
}
