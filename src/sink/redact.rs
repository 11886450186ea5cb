//! Connection strings as they may be shown: with any password left out.

/// A connection string with any password left out: `postgres://user:pw@host/db`
/// → `postgres://user@host/db`; `host=h password=pw` → `host=h password=***`.
pub fn redacted(conn: &str) -> String {
    if let Some((scheme, rest)) = conn.split_once("://") {
        let (auth, host) = match rest.rsplit_once('@') {
            Some((a, h)) => (Some(a), h),
            None => (None, rest),
        };
        let user = auth.map(|a| a.split(':').next().unwrap_or(""));
        // A password may also be a query parameter.
        let host: String = host
            .split('&')
            .map(|p| match p.split_once("password=") {
                Some((before, _)) => format!("{before}password=***"),
                None => p.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("&");
        match user {
            Some(u) => format!("{scheme}://{u}@{host}"),
            None => format!("{scheme}://{host}"),
        }
    } else {
        // `key=value` pairs; a value may be quoted and hold spaces.
        let mut out = Vec::new();
        let mut in_password = false;
        for kv in conn.split_whitespace() {
            if in_password {
                // The rest of a quoted password: left out up to its closing quote.
                in_password = !kv.ends_with('\'');
                continue;
            }
            if kv.to_ascii_lowercase().starts_with("password=") {
                let value = &kv["password=".len()..];
                in_password =
                    value.starts_with('\'') && (value.len() == 1 || !value.ends_with('\''));
                out.push("password=***".to_owned());
            } else {
                out.push(kv.to_owned());
            }
        }
        out.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_a_message() {
        for (conn, want) in [
            ("postgres://u:s3cret@h:5432/db", "postgres://u@h:5432/db"),
            (
                "postgresql://h/db?user=u&password=s3cret",
                "postgresql://h/db?user=u&password=***",
            ),
            (
                "host=h user=u password=s3cret dbname=d",
                "host=h user=u password=*** dbname=d",
            ),
            ("host=h PASSWORD=s3cret", "host=h password=***"),
            (
                "host=h password='s3 cr et' user=u",
                "host=h password=*** user=u",
            ),
            ("password='s3cret' dbname=d", "password=*** dbname=d"),
        ] {
            assert_eq!(redacted(conn), want);
            assert!(!redacted(conn).contains("s3"), "{conn}");
        }
    }
}
