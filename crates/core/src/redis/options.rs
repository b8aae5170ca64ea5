//! `credentialflow_redis address [password_file=file] [db=n] [prefix=string] [timeout=time]`:
//! the arguments, checked and typed. Reading the password file and resolving the address
//! are the nginx layer's (at configuration time).

use std::fmt;

use crate::defaults;

/// Where the server listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Address {
    /// `host:port`, `[v6]:port`, or `host` (port 6379).
    Tcp {
        /// A name or an address; IPv6 inside brackets.
        host: String,
        /// The port.
        port: u16,
    },
    /// `unix:/path/to/socket`.
    Unix(String),
}

impl Address {
    /// The address as nginx's `ngx_parse_url` reads it (the port always written).
    pub fn url(&self) -> String {
        match self {
            Address::Tcp { host, port } => format!("{host}:{port}"),
            Address::Unix(path) => format!("unix:{path}"),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url())
    }
}

/// The directive's arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisOptions {
    /// Where the server listens.
    pub address: Address,
    /// `password_file=`: a file holding the password (`AUTH`) on its first line.
    pub password_file: Option<String>,
    /// `db=`: the database (`SELECT`), 0 by default.
    pub db: u32,
    /// `prefix=`: what every key and channel name starts with.
    pub prefix: String,
    /// `timeout=`, in milliseconds: the longest wait for a connection or a reply.
    pub timeout_ms: u64,
}

/// An argument the directive refuses: the value, and why (nginx's "invalid value" form).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionError {
    /// The argument as written.
    pub value: String,
    /// Why it is refused.
    pub why: String,
}

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid value \"{}\": {}", self.value, self.why)
    }
}

fn refuse(value: &str, why: &str) -> OptionError {
    OptionError { value: value.into(), why: why.into() }
}

/// Reads `host:port`, `[v6]:port`, `host` or `unix:path`.
pub fn parse_address(text: &str) -> Result<Address, OptionError> {
    const SHAPE: &str = "the address must be host:port or unix:/path";
    if let Some(path) = text.strip_prefix("unix:") {
        if path.is_empty() || path.bytes().any(|b| b.is_ascii_control()) {
            return Err(refuse(text, SHAPE));
        }
        return Ok(Address::Unix(path.into()));
    }
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest.split_once(']').ok_or_else(|| refuse(text, SHAPE))?;
        if inside.is_empty() || !inside.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return Err(refuse(text, SHAPE));
        }
        match after {
            "" => (format!("[{inside}]"), None),
            _ => (
                format!("[{inside}]"),
                Some(after.strip_prefix(':').ok_or_else(|| refuse(text, SHAPE))?),
            ),
        }
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) => (host.to_string(), Some(port)),
            None => (text.to_string(), None),
        }
    };
    let host_ok = host.starts_with('[')
        || (!host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_'));
    if !host_ok {
        return Err(refuse(text, SHAPE));
    }
    let port = match port {
        None => defaults::REDIS_PORT,
        Some(port) => port
            .parse::<u16>()
            .ok()
            .filter(|&p| p != 0 && port.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| refuse(text, "the port must be a number from 1 to 65535"))?,
    };
    Ok(Address::Tcp { host, port })
}

impl RedisOptions {
    /// Reads the directive's arguments; `parse_ms` reads a time (`500ms`, `2s`) as nginx
    /// does, in milliseconds.
    pub fn parse(
        args: &[&str],
        parse_ms: impl Fn(&str) -> Option<u64>,
    ) -> Result<RedisOptions, OptionError> {
        let (first, rest) = args.split_first().ok_or_else(|| refuse("", "no address"))?;
        let mut options = RedisOptions {
            address: parse_address(first)?,
            password_file: None,
            db: 0,
            prefix: defaults::REDIS_PREFIX.into(),
            timeout_ms: defaults::REDIS_TIMEOUT_MS,
        };
        let mut seen: Vec<&str> = Vec::new();
        for arg in rest {
            let (name, value) = arg
                .split_once('=')
                .ok_or_else(|| refuse(arg, "expected password_file=, db=, prefix= or timeout="))?;
            if seen.contains(&name) {
                return Err(refuse(arg, &format!("\"{name}=\" is given twice")));
            }
            match name {
                "password_file" => {
                    if value.is_empty() {
                        return Err(refuse(arg, "the file name is empty"));
                    }
                    options.password_file = Some(value.into());
                }
                "db" => {
                    options.db = value
                        .parse::<u32>()
                        .ok()
                        .filter(|_| value.bytes().all(|b| b.is_ascii_digit()))
                        .ok_or_else(|| refuse(arg, "the database must be a number"))?;
                }
                "prefix" => {
                    if value.bytes().any(|b| b.is_ascii_control() || b == b' ') {
                        return Err(refuse(
                            arg,
                            "the prefix may not hold spaces or control characters",
                        ));
                    }
                    options.prefix = value.into();
                }
                "timeout" => {
                    options.timeout_ms = parse_ms(value).filter(|&ms| ms > 0).ok_or_else(|| {
                        refuse(arg, "the timeout must be a time such as 500ms or 1s")
                    })?;
                }
                _ => {
                    return Err(refuse(arg, "expected password_file=, db=, prefix= or timeout="));
                }
            }
            seen.push(name);
        }
        Ok(options)
    }
}

/// The password read from `password_file=`: its first line, without the line end and the
/// spaces around it. Never printed (`Debug` hides it).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    password: Vec<u8>,
}

/// Why a password file cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    /// The first line is empty.
    #[error("the file holds no password on its first line")]
    Empty,
}

impl Credentials {
    /// The password in a password file's contents.
    pub fn from_file(contents: &[u8]) -> Result<Credentials, CredentialsError> {
        let first = contents.split(|&b| b == b'\n').next().unwrap_or_default();
        let password = first.trim_ascii();
        if password.is_empty() {
            return Err(CredentialsError::Empty);
        }
        Ok(Credentials { password: password.to_vec() })
    }

    /// The password, for `AUTH`.
    pub fn password(&self) -> &[u8] {
        &self.password
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> Option<u64> {
        match text {
            "500ms" => Some(500),
            "2s" => Some(2000),
            "0s" => Some(0),
            _ => None,
        }
    }

    fn parse(args: &[&str]) -> Result<RedisOptions, OptionError> {
        RedisOptions::parse(args, ms)
    }

    #[test]
    fn addresses() {
        let tcp = |host: &str, port| Ok(Address::Tcp { host: host.into(), port });
        assert_eq!(parse_address("127.0.0.1:6380"), tcp("127.0.0.1", 6380));
        assert_eq!(parse_address("redis.internal"), tcp("redis.internal", 6379));
        assert_eq!(parse_address("[::1]:7000"), tcp("[::1]", 7000));
        assert_eq!(parse_address("[::1]"), tcp("[::1]", 6379));
        assert_eq!(
            parse_address("unix:/run/redis.sock"),
            Ok(Address::Unix("/run/redis.sock".into()))
        );
        for bad in [
            "",
            ":6379",
            "host:",
            "host:0",
            "host:70000",
            "host:+1",
            "a b:1",
            "unix:",
            "[::1",
            "[]:1",
            "[::1]x",
        ] {
            assert!(parse_address(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(parse_address("[::1]:7000").unwrap().url(), "[::1]:7000");
        assert_eq!(parse_address("unix:/s").unwrap().to_string(), "unix:/s");
    }

    #[test]
    fn defaults_and_every_option() {
        let options = parse(&["127.0.0.1:6379"]).unwrap();
        assert_eq!(options.prefix, "credentialflow:");
        assert_eq!((options.db, options.timeout_ms, options.password_file), (0, 1000, None));
        let options =
            parse(&["r:1", "password_file=/etc/pw", "db=3", "prefix=app:", "timeout=500ms"])
                .unwrap();
        assert_eq!(options.password_file.as_deref(), Some("/etc/pw"));
        assert_eq!((options.db, options.prefix.as_str(), options.timeout_ms), (3, "app:", 500));
    }

    #[test]
    fn refused_options() {
        let why = |args: &[&str]| parse(args).unwrap_err();
        assert_eq!(why(&["r", "db=x"]).value, "db=x");
        assert!(why(&["r", "db=-1"]).why.contains("number"));
        assert!(why(&["r", "timeout=soon"]).why.contains("timeout"));
        assert!(why(&["r", "timeout=0s"]).why.contains("timeout"));
        assert!(why(&["r", "colour=blue"]).why.contains("expected"));
        assert!(why(&["r", "plain"]).why.contains("expected"));
        assert!(why(&["r", "db=1", "db=2"]).why.contains("twice"));
        assert!(why(&["r", "password_file="]).why.contains("empty"));
        assert!(why(&["r", "prefix=a b"]).why.contains("prefix"));
        assert!(why(&[]).why.contains("address"));
    }

    #[test]
    fn password_files() {
        assert_eq!(Credentials::from_file(b"  pw \r\nignored").unwrap().password(), b"pw");
        assert_eq!(Credentials::from_file(b"\nsecond"), Err(CredentialsError::Empty));
        assert_eq!(Credentials::from_file(b""), Err(CredentialsError::Empty));
        assert_eq!(format!("{:?}", Credentials::from_file(b"pw").unwrap()), "Credentials(..)");
    }
}
