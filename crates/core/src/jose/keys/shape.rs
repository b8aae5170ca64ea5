//! What a key file looks like, decided in one place: format detection uses it, and so does
//! the refusal of key material as an HMAC secret (RS256→HS256 confusion: a public key's bytes
//! are public, so a "secret" made of them lets anyone sign).
//!
//! A file "looks like a key" when, after an optional UTF-8 byte order mark and surrounding
//! whitespace, it is or holds any of:
//! - a PEM armour line (`-----BEGIN `) anywhere: public and private keys, certificates, PGP;
//! - an SSH public key: RFC 4716 armour (`---- BEGIN SSH2`) or an OpenSSH key type name
//!   (`ssh-rsa`, `ssh-ed25519`, `ecdsa-sha2-...`, ...) followed by base64 (`AAAA`);
//! - a JSON object or array (a JWK, a JWK Set, or anything else in JSON), or text starting
//!   with `{` or `[` that fails to parse but names a `"keys"` or `"kty"` member;
//! - one DER structure spanning the whole file whose first element is a SEQUENCE or an
//!   INTEGER (SubjectPublicKeyInfo, an X.509 certificate, PKCS#1, PKCS#8);
//! - base64 (standard or URL alphabet, line breaks allowed) of such a DER structure: a PEM
//!   body without its armour.
//!
//! Anything else is opaque, and only opaque bytes may be an HMAC secret. A random secret
//! looks like DER with a probability under one in eight million (a 0x30 tag, a length that
//! spans the file exactly, an inner tag), and like nothing else on the list.

use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::Value;

use crate::jose::der::{DerReader, TAG_INTEGER, TAG_SEQUENCE};

/// The UTF-8 encoding of U+FEFF, which some editors put at the start of a text file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// OpenSSH public key type names, as they start an `authorized_keys` or `.pub` line.
const SSH_KEY_TYPES: [&[u8]; 7] = [
    b"ssh-rsa",
    b"ssh-dss",
    b"ssh-ed25519",
    b"ssh-ed448",
    b"ecdsa-sha2-",
    b"sk-ssh-ed25519@openssh.com",
    b"sk-ecdsa-sha2-",
];

/// The kind of contents a key file has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// PEM armour.
    Pem,
    /// A JSON object with `keys`.
    JwkSet,
    /// A JSON object with `kty` and no `keys`.
    Jwk,
    /// Any other JSON object or array.
    OtherJson,
    /// An SSH public key.
    Ssh,
    /// A DER structure, raw or base64-encoded.
    Der,
    /// None of the above: the only shape an HMAC secret may have.
    Opaque,
}

impl Shape {
    /// What the file is, for messages ("the file is {}").
    pub fn describe(self) -> &'static str {
        match self {
            Shape::Pem => "a PEM key or certificate",
            Shape::JwkSet => "a JWK Set",
            Shape::Jwk => "a JWK",
            Shape::OtherJson => "JSON",
            Shape::Ssh => "an SSH public key",
            Shape::Der => "a DER key or certificate",
            Shape::Opaque => "opaque bytes",
        }
    }
}

/// The file's contents without a leading UTF-8 byte order mark.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

/// Classifies a key file's contents (see the module documentation).
pub fn shape(bytes: &[u8]) -> Shape {
    let text = strip_bom(bytes).trim_ascii();
    if contains(text, b"-----BEGIN ") {
        return Shape::Pem;
    }
    if contains(text, b"---- BEGIN SSH2") || is_openssh_key(text) {
        return Shape::Ssh;
    }
    if matches!(text.first(), Some(b'{' | b'[')) {
        match serde_json::from_slice::<Value>(text) {
            Ok(Value::Object(object)) if object.contains_key("keys") => return Shape::JwkSet,
            Ok(Value::Object(object)) if object.contains_key("kty") => return Shape::Jwk,
            Ok(Value::Object(_) | Value::Array(_)) => return Shape::OtherJson,
            Ok(_) => {}
            // Broken JSON that names JWK members is a broken key file (its parse error is the
            // useful message), never a secret.
            Err(_) if contains(text, b"\"keys\"") => return Shape::JwkSet,
            Err(_) if contains(text, b"\"kty\"") => return Shape::Jwk,
            Err(_) => {}
        }
    }
    if is_der_structure(bytes) || is_base64_der(text) {
        return Shape::Der;
    }
    Shape::Opaque
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// A key type name followed by whitespace and the base64 of an SSH wire-format key, which
/// always starts with a 4-byte length below 2^24 (`AAAA`).
fn is_openssh_key(text: &[u8]) -> bool {
    SSH_KEY_TYPES.iter().any(|name| {
        memchr::memmem::find_iter(text, name).any(|at| {
            let after = text.get(at + name.len()..).unwrap_or_default();
            // Skip the rest of the type name (e.g. "nistp256") up to the space.
            let after = match after.iter().position(|b| b.is_ascii_whitespace()) {
                Some(space) => after.get(space..).unwrap_or_default(),
                None => return false,
            };
            after.trim_ascii_start().starts_with(b"AAAA")
        })
    })
}

/// One DER SEQUENCE spanning all of `bytes`, whose contents start with a well-formed
/// SEQUENCE or INTEGER: the outer shape of every public key, certificate and private key
/// encoding in use.
fn is_der_structure(bytes: &[u8]) -> bool {
    let mut outer = DerReader::new(bytes);
    let Some(contents) = outer.read(TAG_SEQUENCE) else {
        return false;
    };
    if !outer.is_empty() {
        return false;
    }
    let mut inner = DerReader::new(contents);
    match inner.peek_tag() {
        Some(TAG_SEQUENCE) => inner.read(TAG_SEQUENCE).is_some(),
        Some(TAG_INTEGER) => inner.read(TAG_INTEGER).is_some(),
        _ => false,
    }
}

/// Base64 text (line breaks allowed) that decodes to a DER structure.
fn is_base64_der(text: &[u8]) -> bool {
    // DER keys start with 0x30, which base64 spells "M"; cheap to rule out everything else.
    if !text.starts_with(b"M") {
        return false;
    }
    let compact: Vec<u8> = text.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    [STANDARD.decode(&compact), URL_SAFE.decode(&compact), URL_SAFE_NO_PAD.decode(&compact)]
        .into_iter()
        .flatten()
        .any(|der| is_der_structure(&der))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A P-256 SubjectPublicKeyInfo, as `openssl pkey -pubout` writes it.
    const P256_PEM_BODY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEVs/o5+uQbTjL3chynL4wXgUg2R9
q9UU8I5mEovUf86QZ7kOBIjJwqnzD1omageEHWwHdBO6B+dFabmdT9POxg==";

    fn p256_der() -> Vec<u8> {
        let compact: String = P256_PEM_BODY.split_whitespace().collect();
        STANDARD.decode(compact).unwrap()
    }

    #[test]
    fn recognises_every_kind_of_key_file() {
        let pem =
            format!("-----BEGIN PUBLIC KEY-----\n{P256_PEM_BODY}\n-----END PUBLIC KEY-----\n");
        assert_eq!(shape(pem.as_bytes()), Shape::Pem);
        assert_eq!(shape(format!("# comment\n{pem}").as_bytes()), Shape::Pem);
        assert_eq!(shape(b"-----BEGIN CERTIFICATE-----\nMIIB\n"), Shape::Pem);
        assert_eq!(shape(b"{\"keys\":[]}"), Shape::JwkSet);
        assert_eq!(shape(b"\xEF\xBB\xBF {\"keys\":[]}\n"), Shape::JwkSet);
        assert_eq!(shape(b"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}"), Shape::Jwk);
        assert_eq!(shape(b"{\"a\":1}"), Shape::OtherJson);
        assert_eq!(shape(b"[1,2]"), Shape::OtherJson);
        assert_eq!(shape(b"{\"keys\": ["), Shape::JwkSet, "a truncated JWK Set");
        assert_eq!(shape(b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA user@host\n"), Shape::Ssh);
        assert_eq!(shape(b"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ"), Shape::Ssh);
        assert_eq!(shape(b"ecdsa-sha2-nistp256 AAAAE2VjZHNh"), Shape::Ssh);
        assert_eq!(shape(b"from=\"10.0.0.1\" ssh-ed25519 AAAAC3Nza"), Shape::Ssh);
        assert_eq!(shape(b"---- BEGIN SSH2 PUBLIC KEY ----\nAAAAB3\n"), Shape::Ssh);
        assert_eq!(shape(&p256_der()), Shape::Der);
        assert_eq!(shape(P256_PEM_BODY.as_bytes()), Shape::Der, "a PEM body without armour");
        let url: String = STANDARD.encode(p256_der()).replace('+', "-").replace('/', "_");
        assert_eq!(shape(url.trim_end_matches('=').as_bytes()), Shape::Der);
    }

    #[test]
    fn secrets_are_opaque() {
        assert_eq!(shape(b"0123456789abcdef0123456789abcdef0123456789abcdef"), Shape::Opaque);
        assert_eq!(shape(&[0x30; 64]), Shape::Opaque);
        // A DER-looking prefix that does not span the file, and base64 of random bytes.
        assert_eq!(shape(&[0x30, 0x03, 0x02, 0x01, 0x05, 0xff]), Shape::Opaque);
        assert_eq!(shape(b"MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI="), Shape::Opaque);
        assert_eq!(shape(b"{not json at all, just a brace"), Shape::Opaque);
        assert_eq!(shape(b"12345678901234567890123456789012"), Shape::Opaque, "a JSON number");
        assert_eq!(shape(b"ssh-rsa is mentioned here but no key follows"), Shape::Opaque);
    }

    #[test]
    fn byte_order_mark_is_stripped_once() {
        assert_eq!(strip_bom(b"\xEF\xBB\xBF{}"), b"{}");
        assert_eq!(strip_bom(b"{}"), b"{}");
    }
}
