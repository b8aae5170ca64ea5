//! API keys, the second credential kind: what a key looks like (`cfk_<id>_<secret><check>`),
//! how a mistyped or random string is refused without a lookup (the checksum), and the
//! registry a key is looked up in ([`registry`]). A key that passes becomes a
//! [`crate::VerifiedToken`] whose claims are its registry fields, so everything after the
//! verification (policy, revocation, scopes, forwarding, variables) is the same as for a JWT.
//!
//! ```text
//! cfk_3f9a0c2d81b7e645_q8Hn...43 base64url characters...Xw0aB4Cg
//! ^^^^ prefix          ^^^^^^^^ secret (256 bits)         ^^^^^^ CRC-32 of all before it
//!     ^^^^^^^^^^^^^^^^ key id (looked up)
//! ```

pub mod registry;

use crate::jose::b64;
use crate::reject::Rejection;

/// What every key starts with, so that secret scanners can find a leaked one.
pub const PREFIX: &str = "cfk_";
/// Bytes of randomness in a key's secret (256 bits).
pub const SECRET_BYTES: usize = 32;
/// Characters of the secret once base64url-encoded (no padding).
pub const SECRET_CHARS: usize = 43;
/// Characters of the checksum (a CRC-32, base64url, no padding).
pub const CHECK_CHARS: usize = 6;
/// Longest key id.
pub const MAX_ID_LEN: usize = 64;

/// The kind of credential a request presented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialKind {
    /// A JWT bearer token.
    Jwt,
    /// An API key from `credentialflow_api_keys`.
    ApiKey,
}

impl CredentialKind {
    /// The word `credentialflow_accept` uses for it (also a fine metric label).
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Jwt => "jwt",
            CredentialKind::ApiKey => "api_key",
        }
    }
}

/// Which credential kinds a protected location takes (`credentialflow_accept`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accept {
    /// JWT bearer tokens.
    pub jwt: bool,
    /// API keys.
    pub api_key: bool,
}

impl Default for Accept {
    fn default() -> Self {
        Accept { jwt: true, api_key: false }
    }
}

impl Accept {
    /// The set the words name (`jwt`, `api_key`); `Err` names a word that is neither.
    pub fn from_words<'a>(words: impl IntoIterator<Item = &'a str>) -> Result<Accept, &'a str> {
        let mut accept = Accept { jwt: false, api_key: false };
        for word in words {
            match word {
                "jwt" => accept.jwt = true,
                "api_key" => accept.api_key = true,
                other => return Err(other),
            }
        }
        Ok(accept)
    }
}

/// Whether `id` can be a key id: ASCII letters and digits (no `_`, which ends the id).
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// CRC-32 (IEEE 802.3, the polynomial zlib and secret scanners use), bit by bit: keys are short.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

fn checksum(body: &[u8]) -> String {
    b64::encode(&crc32(body).to_be_bytes())
}

/// The key made of `id` and `secret` (256 random bits: the caller draws them from the OS's
/// CSPRNG). `None` when the id is not [`valid_id`].
pub fn format_key(id: &str, secret: &[u8; SECRET_BYTES]) -> Option<String> {
    if !valid_id(id) {
        return None;
    }
    let mut key = format!("{PREFIX}{id}_{}", b64::encode(secret));
    let check = checksum(key.as_bytes());
    key.push_str(&check);
    Some(key)
}

/// Why a string is not an API key (found without a lookup).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// It does not start with [`PREFIX`].
    Prefix,
    /// The id, the secret or the checksum has the wrong length or characters.
    Shape,
    /// The checksum does not match: a mistyped or made-up key.
    Checksum,
}

/// The id of a well-formed key (prefix, shape and checksum checked), borrowed from it.
pub fn key_id(key: &[u8]) -> Result<&str, FormatError> {
    let rest = key.strip_prefix(PREFIX.as_bytes()).ok_or(FormatError::Prefix)?;
    let tail = SECRET_CHARS + CHECK_CHARS;
    let id_len = rest.len().checked_sub(tail + 1).ok_or(FormatError::Shape)?;
    let (id, rest) = rest.split_at(id_len);
    let id = std::str::from_utf8(id).map_err(|_| FormatError::Shape)?;
    let Some((b'_', secret_and_check)) = rest.split_first() else {
        return Err(FormatError::Shape);
    };
    if !valid_id(id) {
        return Err(FormatError::Shape);
    }
    let (secret, check) = secret_and_check.split_at(SECRET_CHARS);
    if !secret_and_check.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(FormatError::Shape);
    }
    // Canonical base64url only: one key, one spelling.
    if b64::decode(secret).is_none_or(|bytes| bytes.len() != SECRET_BYTES) {
        return Err(FormatError::Shape);
    }
    let body = &key[..key.len() - CHECK_CHARS];
    if checksum(body).as_bytes() != check {
        return Err(FormatError::Checksum);
    }
    Ok(id)
}

/// What a request presented, as a location that takes `accept` reads it: the JWT found in its
/// token header (`Err(Missing)` when there is none) and, where API keys are taken, the key
/// found in the key header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presented<'a> {
    /// A token to verify.
    Jwt(&'a [u8]),
    /// An API key to look up.
    ApiKey(&'a [u8]),
    /// Refused before any verification, as this kind of credential; the credential's bytes
    /// when one was read (a key too large), for the audit trail's fingerprint.
    Refused(CredentialKind, Rejection, &'a [u8]),
}

/// Which credential counts: both kinds where both are taken is ambiguous (refused: which one
/// counts would be a guess); an API key, where keys are taken and one was sent; else the
/// token, or why there is none. A key longer than `max_size` is refused as too large, as a
/// token is.
pub fn presented<'a>(
    accept: Accept,
    jwt: Result<&'a [u8], Rejection>,
    key: Option<Result<&'a [u8], Rejection>>,
    max_size: usize,
) -> Presented<'a> {
    let sent = |found: &Result<&[u8], Rejection>| found != &Err(Rejection::Missing);
    let kind = if accept.jwt { CredentialKind::Jwt } else { CredentialKind::ApiKey };
    match (jwt, key) {
        (jwt, Some(key)) if sent(&jwt) && sent(&key) => {
            Presented::Refused(kind, Rejection::AmbiguousCredential, &[])
        }
        (_, Some(Ok(raw))) if raw.len() > max_size => {
            Presented::Refused(CredentialKind::ApiKey, Rejection::TooLarge, raw)
        }
        (_, Some(Ok(raw))) => Presented::ApiKey(raw),
        (_, Some(Err(rejection))) if rejection != Rejection::Missing => {
            Presented::Refused(CredentialKind::ApiKey, rejection, &[])
        }
        (Err(rejection), _) => Presented::Refused(kind, rejection, &[]),
        (Ok(raw), _) => Presented::Jwt(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: [u8; SECRET_BYTES] = [7; SECRET_BYTES];

    #[test]
    fn crc32_is_the_ieee_one() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn a_formatted_key_reads_back_and_any_change_is_refused() {
        let key = format_key("a1b2", &SECRET).unwrap();
        assert!(key.starts_with("cfk_a1b2_"));
        assert_eq!(key.len(), PREFIX.len() + 4 + 1 + SECRET_CHARS + CHECK_CHARS);
        assert_eq!(key_id(key.as_bytes()), Ok("a1b2"));
        let mut typo = key.clone().into_bytes();
        typo[12] = if typo[12] == b'A' { b'B' } else { b'A' };
        assert_eq!(key_id(&typo), Err(FormatError::Checksum));
        assert_eq!(key_id(&key.as_bytes()[1..]), Err(FormatError::Prefix));
        assert_eq!(key_id(b"cfk_"), Err(FormatError::Shape));
        assert_eq!(key_id(&key.as_bytes()[..key.len() - 1]), Err(FormatError::Shape));
        let spaced = key.replacen("_a1b2_", "_a1 2_", 1);
        assert_eq!(key_id(spaced.as_bytes()), Err(FormatError::Shape));
        assert_eq!(format_key("a_b", &SECRET), None);
        assert_eq!(format_key("", &SECRET), None);
    }

    #[test]
    fn accept_words() {
        assert_eq!(Accept::from_words(["jwt"]), Ok(Accept { jwt: true, api_key: false }));
        assert_eq!(Accept::from_words(["api_key", "jwt"]), Ok(Accept { jwt: true, api_key: true }));
        assert_eq!(Accept::from_words(["basic"]), Err("basic"));
        assert_eq!(Accept::default(), Accept { jwt: true, api_key: false });
    }

    #[test]
    fn which_credential_counts() {
        use super::{presented, Accept, CredentialKind as Kind, Presented as P};
        let both = Accept { jwt: true, api_key: true };
        let keys = Accept { jwt: false, api_key: true };
        let missing = Err(Rejection::Missing);
        let ambiguous = P::Refused(Kind::Jwt, Rejection::AmbiguousCredential, b"");
        assert_eq!(presented(both, Ok(b"t"), Some(Ok(b"k")), 8), ambiguous);
        assert_eq!(presented(both, Ok(b"t"), Some(missing), 8), P::Jwt(b"t"));
        assert_eq!(presented(both, missing, Some(Ok(b"k")), 8), P::ApiKey(b"k"));
        let long = P::Refused(Kind::ApiKey, Rejection::TooLarge, b"too long");
        assert_eq!(presented(keys, missing, Some(Ok(b"too long")), 4), long);
        let bad = Err(Rejection::BadCredentialSyntax);
        let refused = P::Refused(Kind::ApiKey, Rejection::BadCredentialSyntax, b"");
        assert_eq!(presented(keys, missing, Some(bad), 8), refused);
        let none = P::Refused(Kind::ApiKey, Rejection::Missing, b"");
        assert_eq!(presented(keys, missing, Some(missing), 8), none);
        assert_eq!(presented(Accept::default(), Ok(b"t"), None, 8), P::Jwt(b"t"));
    }
}
