//! The API key registry (`credentialflow_api_keys`): one key per line,
//!
//! ```text
//! # id             digest of the whole key  subject  scopes             audiences  expires
//! 3f9a0c2d81b7e645 sha256:<64 hex>          billing  orders:read,orders:write  https://api.example  2027-03-07T00:00:00Z
//! 77c01a9e5d34b210 sha256:<64 hex>          reports  -
//! ```
//!
//! Scopes and audiences are comma-separated (`-` for none); the audiences and the expiry are
//! optional (`-` holds the audiences' place before an expiry). The expiry is seconds since the
//! epoch, an RFC 3339 time or a date (`2027-03-07`, midnight UTC). Only the SHA-256 digest of
//! the key is stored: keys carry 256 random bits, so a fast hash is safe (see the client
//! registry), and a lookup costs one hash on nginx's event loop.
//!
//! Each key's claims are built once, when the file is read: `sub` and `client_id` (the
//! subject), `scope` (space-separated), `aud`, `exp`, and `jti` (the key id). The record a
//! key becomes never holds the key or its secret.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::{key_id, valid_id};
use crate::jose::alg::Algorithm;
use crate::jose::b64;
use crate::jose::claims::Claims;
use crate::oauth::registry::{
    parse_digest, same_digest, secret_digest, valid_audience, valid_client_id, valid_scope,
    DIGEST_LEN,
};
use crate::reject::Rejection;
use crate::revocation::parse_time;
use crate::verifier::VerifiedToken;
use crate::watched::{Contents, Watched};

/// One registered key, as `credentialflow apikey list` shows it (no digest).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyEntry {
    /// The key id (the `jti` of its claims).
    pub id: Box<str>,
    /// Who the key acts for (`sub` and `client_id`).
    pub subject: Box<str>,
    /// Its scopes.
    pub scopes: Vec<Box<str>>,
    /// Its audiences (none: `aud` absent).
    pub audiences: Vec<Box<str>>,
    /// When it stops working, in seconds since the epoch.
    pub expires: Option<i64>,
}

#[derive(Clone, Debug)]
struct Registered {
    digest: [u8; DIGEST_LEN],
    /// The credential a correct key becomes.
    token: VerifiedToken,
}

/// A parsed key registry.
#[derive(Clone, Debug, Default)]
pub struct ApiKeyRegistry {
    keys: HashMap<Box<str>, Registered>,
    entries: Vec<KeyEntry>,
}

/// A line of the registry that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiKeyRegistryError {
    /// A line that does not follow the format.
    #[error("line {line}: {why}")]
    BadLine {
        /// 1-based line number.
        line: usize,
        /// What is wrong, never quoting a digest.
        why: String,
    },
    /// The file cannot be read.
    #[error("cannot read: {0}")]
    Io(String),
}

/// The digest an unknown id is compared against, so that it costs what a known one does. No
/// key hashes to it: that would be a SHA-256 preimage.
const NO_DIGEST: [u8; DIGEST_LEN] = [0; DIGEST_LEN];

/// The placeholder signature of the compact form a key's claims are kept in (`apikey`).
const NO_SIGNATURE: &str = "YXBpa2V5";

fn list(word: &str, valid: fn(&str) -> bool, what: &str) -> Result<Vec<Box<str>>, String> {
    if word == "-" {
        return Ok(Vec::new());
    }
    let mut items: Vec<Box<str>> = Vec::new();
    for item in word.split(',') {
        if !valid(item) {
            return Err(format!(
                "{what} must be printable ASCII without spaces, commas, quotes or backslashes"
            ));
        }
        if !items.iter().any(|seen| &**seen == item) {
            items.push(item.into());
        }
    }
    Ok(items)
}

/// An expiry: seconds, RFC 3339, or a date (midnight UTC).
pub fn parse_expiry(word: &str) -> Option<i64> {
    parse_time(word.as_bytes()).or_else(|| {
        let mut parts = word.splitn(3, '-');
        let mut number = |len: usize| {
            let part =
                parts.next().filter(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))?;
            part.parse::<i32>().ok()
        };
        let (year, month, day) = (number(4)?, number(2)?, number(2)?);
        let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
        let date = time::Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()?;
        Some(date.midnight().assume_utc().unix_timestamp())
    })
}

/// The claims a key becomes.
fn claims_of(entry: &KeyEntry) -> Result<Claims, Rejection> {
    let mut object = Map::new();
    object.insert("sub".into(), json!(&*entry.subject));
    object.insert("client_id".into(), json!(&*entry.subject));
    object.insert("jti".into(), json!(&*entry.id));
    if !entry.scopes.is_empty() {
        object.insert("scope".into(), json!(entry.scopes.join(" ")));
    }
    if !entry.audiences.is_empty() {
        let audiences: Vec<&str> = entry.audiences.iter().map(|a| &**a).collect();
        object.insert("aud".into(), json!(audiences));
    }
    if let Some(exp) = entry.expires {
        object.insert("exp".into(), json!(exp));
    }
    let payload = Value::Object(object).to_string();
    // Kept in the compact form the claim variables decode (`aud`, `exp` as text), with no
    // signature: the key itself never leaves the request.
    let compact = format!("e30.{}.{NO_SIGNATURE}", b64::encode(payload.as_bytes()));
    Claims::parse_for_token(payload.as_bytes(), None, None, compact.as_bytes())
}

fn parse_line(text: &str) -> Result<(KeyEntry, [u8; DIGEST_LEN]), String> {
    let mut words = text.split_ascii_whitespace();
    let id = words.next().unwrap_or_default();
    if !valid_id(id) {
        return Err(format!(
            "the key id must be 1 to {} ASCII letters and digits",
            super::MAX_ID_LEN
        ));
    }
    let digest = words.next().ok_or("missing the key digest (sha256:<64 hex digits>)")?;
    let digest =
        parse_digest(digest).ok_or("the key digest must be sha256: followed by 64 hex digits")?;
    let subject = words.next().ok_or("missing the subject")?;
    if !valid_client_id(subject) || subject.contains(['"', '\\']) {
        return Err(
            "the subject must be printable ASCII without spaces, quotes or backslashes".into()
        );
    }
    let scopes = list(
        words.next().ok_or("missing the scopes (a comma-separated list, or -)")?,
        valid_scope,
        "a scope",
    )?;
    let audiences = match words.next() {
        None => Vec::new(),
        Some(word) => list(word, valid_audience, "an audience")?,
    };
    let expires = match words.next() {
        None | Some("-") => None,
        Some(word) => Some(parse_expiry(word).ok_or_else(|| {
            format!(
                "\"{word}\" is not an expiry (seconds since the epoch, RFC 3339, or YYYY-MM-DD)"
            )
        })?),
    };
    if let Some(extra) = words.next() {
        return Err(format!("unexpected \"{extra}\" after the expiry"));
    }
    let entry = KeyEntry { id: id.into(), subject: subject.into(), scopes, audiences, expires };
    Ok((entry, digest))
}

impl ApiKeyRegistry {
    /// Parses a registry file's contents.
    pub fn parse(bytes: &[u8]) -> Result<ApiKeyRegistry, ApiKeyRegistryError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut registry = ApiKeyRegistry::default();
        for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
            let bad = |why: String| ApiKeyRegistryError::BadLine { line: index + 1, why };
            let text = std::str::from_utf8(line).map_err(|_| bad("not UTF-8".into()))?;
            let text = text.trim();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            let (entry, digest) = parse_line(text).map_err(bad)?;
            if registry.keys.contains_key(&entry.id) {
                return Err(bad(format!("key id \"{}\" is already registered", entry.id)));
            }
            let claims = claims_of(&entry).map_err(|e| bad(e.to_string()))?;
            // The algorithm is a placeholder: an API key was not signed (variables that show
            // a JWT header are empty for it).
            let token = VerifiedToken { alg: Algorithm::HS256, claims };
            registry.keys.insert(entry.id.clone(), Registered { digest, token });
            registry.entries.push(entry);
        }
        Ok(registry)
    }

    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds no key.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The keys, in file order.
    pub fn entries(&self) -> &[KeyEntry] {
        &self.entries
    }

    /// The credential `key` is, if it is a registered key. A string that is not a key at all
    /// (prefix, shape, checksum) is refused without a lookup as a malformed credential; an
    /// unknown id and a wrong secret get the same refusal after the same work (one hash, one
    /// constant-time comparison). Expiry, revocation and scopes are the rules' business.
    pub fn check(&self, key: &[u8]) -> Result<&VerifiedToken, Rejection> {
        let id = key_id(key).map_err(|_| Rejection::BadCredentialSyntax)?;
        let presented = secret_digest(key);
        let found = self.keys.get(id);
        let expected = found.map_or(&NO_DIGEST, |registered| &registered.digest);
        match (same_digest(&presented, expected), found) {
            (true, Some(registered)) => Ok(&registered.token),
            _ => Err(Rejection::BadSignature),
        }
    }
}

/// The line `credentialflow apikey create` appends for `key`.
pub fn format_line(key: &str, entry: &KeyEntry) -> String {
    let or_dash = |items: &[Box<str>]| match items.is_empty() {
        true => "-".to_string(),
        false => items.join(","),
    };
    let mut line = format!(
        "{} {} {} {} {}",
        entry.id,
        crate::oauth::registry::format_digest(key.as_bytes()),
        entry.subject,
        or_dash(&entry.scopes),
        or_dash(&entry.audiences)
    );
    if let Some(expires) = entry.expires {
        let time = time::OffsetDateTime::from_unix_timestamp(expires)
            .ok()
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok());
        line.push(' ');
        line.push_str(&time.unwrap_or_else(|| expires.to_string()));
    }
    line
}

impl Contents for ApiKeyRegistry {
    type Error = ApiKeyRegistryError;

    fn parse(bytes: &[u8]) -> Result<Self, ApiKeyRegistryError> {
        ApiKeyRegistry::parse(bytes)
    }

    fn io_error(error: std::io::Error) -> ApiKeyRegistryError {
        ApiKeyRegistryError::Io(error.to_string())
    }

    fn io_message(error: &ApiKeyRegistryError) -> Option<&str> {
        match error {
            ApiKeyRegistryError::Io(message) => Some(message),
            ApiKeyRegistryError::BadLine { .. } => None,
        }
    }

    fn entries(&self) -> usize {
        self.len()
    }
}

/// A key registry file and the registry last loaded from it.
pub type ApiKeySource = Watched<ApiKeyRegistry>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_key::{format_key, SECRET_BYTES};
    use crate::claims_view::ClaimsView;

    fn key(id: &str, fill: u8) -> String {
        format_key(id, &[fill; SECRET_BYTES]).unwrap()
    }

    fn entry(id: &str, expires: Option<i64>) -> KeyEntry {
        KeyEntry {
            id: id.into(),
            subject: "billing".into(),
            scopes: vec!["orders:read".into(), "orders:write".into()],
            audiences: vec!["https://api.example".into()],
            expires,
        }
    }

    #[test]
    fn a_registered_key_becomes_its_claims() {
        let k = key("a1", 1);
        let file = format!("# keys\n\n{}\n", format_line(&k, &entry("a1", Some(1_800_000_000))));
        let registry = ApiKeyRegistry::parse(file.as_bytes()).unwrap();
        assert_eq!(registry.len(), 1);
        let token = registry.check(k.as_bytes()).unwrap();
        let claims = &token.claims;
        assert_eq!(claims.sub(), Some("billing"));
        assert_eq!(claims.client_id(), Some("billing"));
        assert_eq!(claims.jti(), Some("a1"));
        assert_eq!(claims.scope(), Some("orders:read orders:write"));
        assert_eq!(claims.exp(), Some(1_800_000_000));
        assert_eq!(claims.audiences().unwrap().collect::<Vec<_>>(), ["https://api.example"]);
        let view = ClaimsView::new(token);
        assert_eq!(view.text("aud").as_deref(), Some("https://api.example"));
        assert_eq!(view.text("exp").as_deref(), Some("1800000000"));
        let secret_part = &k[k.len() - 49..k.len() - 6];
        assert!(!String::from_utf8_lossy(claims.token()).contains(secret_part));
    }

    #[test]
    fn wrong_secret_unknown_id_and_malformed_keys() {
        let k = key("a1", 1);
        let file = format!("{}\n", format_line(&k, &entry("a1", None)));
        let registry = ApiKeyRegistry::parse(file.as_bytes()).unwrap();
        assert_eq!(registry.check(key("a1", 2).as_bytes()).err(), Some(Rejection::BadSignature));
        assert_eq!(registry.check(key("b2", 1).as_bytes()).err(), Some(Rejection::BadSignature));
        assert_eq!(registry.check(b"cfk_nope").err(), Some(Rejection::BadCredentialSyntax));
        let mut typo = k.into_bytes();
        typo[8] ^= 1;
        assert_eq!(registry.check(&typo).err(), Some(Rejection::BadCredentialSyntax));
    }

    #[test]
    fn lines_optional_fields_and_errors() {
        let d = crate::oauth::registry::format_digest(b"x");
        let ok = format!("a {d} s -\nb {d} s x,y aud1,aud2\nc {d} s - - 2027-03-07\n");
        let registry = ApiKeyRegistry::parse(ok.as_bytes()).unwrap();
        let entries = registry.entries();
        assert_eq!(entries[0].scopes.len(), 0);
        assert_eq!(entries[1].audiences.len(), 2);
        assert_eq!(entries[2].expires, Some(1_804_377_600));
        for (bad, line) in [
            (format!("a {d}\n"), 1),
            (format!("\na_b {d} s -\n"), 2),
            ("a sha256:00 s -\n".to_string(), 1),
            (format!("a {d} s - - tomorrow\n"), 1),
            (format!("a {d} s - - - extra\n"), 1),
            (format!("a {d} s -\na {d} t -\n"), 2),
            (format!("a {d} s a\"b\n"), 1),
        ] {
            match ApiKeyRegistry::parse(bad.as_bytes()) {
                Err(ApiKeyRegistryError::BadLine { line: at, .. }) => assert_eq!(at, line, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_rules_check_expiry_audience_scopes_and_revocation() {
        use crate::policy::Policy;
        use crate::revocation::{RevocationKind, RevocationSet};
        use crate::rules::{AccessRules, Live};
        let k = key("a1", 1);
        let file = format!("{}\n", format_line(&k, &entry("a1", Some(1_000))));
        let registry = ApiKeyRegistry::parse(file.as_bytes()).unwrap();
        let token = registry.check(k.as_bytes()).unwrap();
        let rules = |audiences: &[&str], scopes: &[&str]| {
            let policy = Policy {
                issuers: vec!["https://issuer".into()],
                audiences: audiences.iter().map(|&a| a.into()).collect(),
                required_scopes: scopes.iter().map(|&s| s.into()).collect(),
                scope_claim: "scp".into(),
                ..Policy::default()
            };
            AccessRules::without_keys(policy, true, Vec::new(), 8192)
        };
        let ok = rules(&["https://api.example"], &["orders:read"]);
        assert!(ok.check_api_key(token.clone(), Live::NONE, 999).is_ok(), "no iss, no replay");
        assert_eq!(
            ok.check_api_key(token.clone(), Live::NONE, 1_000).err(),
            Some(Rejection::Expired)
        );
        let other = rules(&["https://other"], &[]);
        assert_eq!(
            other.check_api_key(token.clone(), Live::NONE, 0).err(),
            Some(Rejection::WrongAudience)
        );
        let more = rules(&[], &["admin"]);
        assert_eq!(
            more.check_api_key(token.clone(), Live::NONE, 0).err(),
            Some(Rejection::InsufficientScope)
        );
        for (kind, value) in [(RevocationKind::Jti, "a1"), (RevocationKind::Sub, "billing")] {
            let mut set = RevocationSet::default();
            set.insert(&crate::revocation::Revocation::new(kind, value.as_bytes()));
            let live = Live { revocations: Some(&set), ..Live::NONE };
            assert_eq!(ok.check_api_key(token.clone(), live, 0).err(), Some(Rejection::Revoked));
        }
    }

    #[test]
    fn a_watched_registry_keeps_the_last_good_keys() {
        use crate::watched::{FileVersion, ListFile, Refresh};
        use std::path::{Path, PathBuf};
        use std::sync::{Arc, Mutex};

        #[derive(Debug)]
        struct Memory(Arc<Mutex<(u64, Vec<u8>)>>, PathBuf);
        impl ListFile for Memory {
            fn path(&self) -> &Path {
                &self.1
            }
            fn version(&self) -> std::io::Result<FileVersion> {
                let (n, _) = &*self.0.lock().unwrap();
                Ok(FileVersion { modified: None, len: 0, inode: *n, changed: (0, 0) })
            }
            fn read(&self) -> std::io::Result<Vec<u8>> {
                Ok(self.0.lock().unwrap().1.clone())
            }
        }

        let (a, b) = (key("a1", 1), key("b2", 2));
        let one = format!("{}\n", format_line(&a, &entry("a1", None)));
        let two = format!("{one}{}\n", format_line(&b, &entry("b2", None)));
        let state = Arc::new(Mutex::new((1, two.into_bytes())));
        let source = ApiKeySource::open(Box::new(Memory(state.clone(), "keys".into()))).unwrap();
        assert!(source.current().check(b.as_bytes()).is_ok());
        *state.lock().unwrap() = (2, one.into_bytes());
        assert_eq!(source.refresh(), Refresh::Reloaded(1));
        assert_eq!(source.current().check(b.as_bytes()).err(), Some(Rejection::BadSignature));
        *state.lock().unwrap() = (3, b"junk\n".to_vec());
        assert!(matches!(
            source.refresh(),
            Refresh::Failed(ApiKeyRegistryError::BadLine { line: 1, .. })
        ));
        assert_eq!(source.refresh(), Refresh::Unchanged, "reported once");
        assert!(source.current().check(a.as_bytes()).is_ok(), "the last good registry stays");
    }
}
