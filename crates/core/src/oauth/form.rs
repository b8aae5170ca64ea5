//! `application/x-www-form-urlencoded` (the token request's body, RFC 6749 §3.2 and
//! Appendix B) and HTTP Basic client credentials with their form-decoding (RFC 6749 §2.3.1).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// Why a form or a Basic credential cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    /// A `%` not followed by two hex digits, or a name or value that is not UTF-8.
    #[error("malformed form encoding")]
    Malformed,
    /// A parameter sent twice (RFC 6749 §3.2: "MUST NOT be included more than once").
    #[error("the parameter \"{0}\" is repeated")]
    Repeated(String),
    /// A Basic credential that is not base64 of `id:secret`.
    #[error("malformed Basic credentials")]
    MalformedBasic,
}

/// Decodes one form component: `+` is a space, `%XX` a byte; the result must be UTF-8.
pub fn decode(component: &[u8]) -> Result<String, FormError> {
    let mut out = Vec::with_capacity(component.len());
    let mut bytes = component.iter();
    while let Some(&byte) = bytes.next() {
        match byte {
            b'+' => out.push(b' '),
            b'%' => {
                let high = bytes.next().and_then(|b| hex(*b));
                let low = bytes.next().and_then(|b| hex(*b));
                match (high, low) {
                    (Some(high), Some(low)) => out.push(high << 4 | low),
                    _ => return Err(FormError::Malformed),
                }
            }
            other => out.push(other),
        }
    }
    String::from_utf8(out).map_err(|_| FormError::Malformed)
}

/// The parameters that carry a client's credentials (RFC 6749 §2.3.1, RFC 7521 §4.2).
const CREDENTIALS: [&[u8]; 4] =
    [b"client_id", b"client_secret", b"client_assertion", b"client_assertion_type"];

/// Whether a query string names a client credential parameter, however it is written: each
/// `&`- or `;`-separated name is decoded leniently (`+` a space, a `%XX` escape its byte, a
/// broken escape left as it is, repeatedly while escapes remain, so `client%255Fid` counts)
/// and compared without regard to case. A query that does not parse as a form still names
/// what it names: RFC 6749 §2.3.1 says credentials MUST NOT be in the URI, and a request that
/// puts them there is refused whatever else it says.
pub fn names_credentials(query: &[u8]) -> bool {
    query.split(|&b| b == b'&' || b == b';').any(|pair| {
        let name = pair.split(|&b| b == b'=').next().unwrap_or_default();
        let mut decoded = name.to_vec();
        for _ in 0..4 {
            let next = decode_leniently(&decoded);
            if next == decoded {
                break;
            }
            decoded = next;
        }
        let decoded = decoded.trim_ascii();
        CREDENTIALS.iter().any(|credential| decoded.eq_ignore_ascii_case(credential))
    })
}

/// `+` as a space and `%XX` as its byte; anything else, a broken escape included, as it is.
fn decode_leniently(component: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(component.len());
    let mut at = 0;
    while let Some(&byte) = component.get(at) {
        let escaped = match component.get(at + 1..at + 3) {
            Some(&[high, low]) => hex(high).zip(hex(low)),
            _ => None,
        };
        match (byte, escaped) {
            (b'%', Some((high, low))) => {
                out.push(high << 4 | low);
                at += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                at += 1;
            }
            (other, _) => {
                out.push(other);
                at += 1;
            }
        }
    }
    out
}

fn hex(byte: u8) -> Option<u8> {
    char::from(byte).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// The parameters of a form body, in order, each name once. Empty pairs (`a=1&&b=2`) are
/// skipped; a name without `=` has the empty value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

/// Names that may be sent more than once, and are then all kept (RFC 8707 `resource`).
const MULTI: [&str; 1] = ["resource"];

impl Form {
    /// Parses `body`; a repeated parameter (other than `resource`) is an error.
    pub fn parse(body: &[u8]) -> Result<Form, FormError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for pair in body.split(|&b| b == b'&').filter(|pair| !pair.is_empty()) {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(at) => {
                    let (name, rest) = pair.split_at(at);
                    (name, rest.get(1..).unwrap_or_default())
                }
                None => (pair, &b""[..]),
            };
            let name = decode(name)?;
            let value = decode(value)?;
            if !MULTI.contains(&name.as_str()) && pairs.iter().any(|(seen, _)| *seen == name) {
                return Err(FormError::Repeated(name));
            }
            pairs.push((name, value));
        }
        Ok(Form { pairs })
    }

    /// The value of `name`, if sent (the first, for `resource`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs.iter().filter(move |(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Whether `name` was sent.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

/// The client id and secret of an `Authorization: Basic` value, each form-decoded after the
/// base64 (RFC 6749 §2.3.1). `None` if the value is another scheme.
pub fn basic_credentials(authorization: &[u8]) -> Option<Result<(String, String), FormError>> {
    let value = authorization.trim_ascii();
    let split = value.iter().position(|&b| b == b' ').unwrap_or(value.len());
    let (scheme, rest) = value.split_at(split);
    if !scheme.eq_ignore_ascii_case(b"basic") {
        return None;
    }
    Some(decode_basic(rest.trim_ascii()))
}

fn decode_basic(encoded: &[u8]) -> Result<(String, String), FormError> {
    let decoded = STANDARD.decode(encoded).map_err(|_| FormError::MalformedBasic)?;
    let colon = decoded.iter().position(|&b| b == b':').ok_or(FormError::MalformedBasic)?;
    let (id, secret) = decoded.split_at(colon);
    let secret = secret.get(1..).unwrap_or_default();
    let id = decode(id).map_err(|_| FormError::MalformedBasic)?;
    let secret = decode(secret).map_err(|_| FormError::MalformedBasic)?;
    Ok((id, secret))
}

/// Whether a `Content-Type` value is `application/x-www-form-urlencoded`, with any parameters.
pub fn is_form_content_type(value: &[u8]) -> bool {
    let media = value.split(|&b| b == b';').next().unwrap_or_default().trim_ascii();
    media.eq_ignore_ascii_case(b"application/x-www-form-urlencoded")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_a_query_are_found_however_written() {
        // RFC 6749 §2.3.1: credentials MUST NOT be in the request URI.
        for query in [
            &b"client_secret=a"[..],
            b"client_secret=a&client_secret=b",
            b"x=%zz&client_id=c",
            b"client%5Fsecret=a",
            b"client%255Fsecret=a",
            b"CLIENT_SECRET=a",
            b"a=1;client_id=x",
            b"client_assertion=eyJ",
            b"client_id",
            b"client_id%zz=1&client_secret",
        ] {
            assert!(names_credentials(query), "{}", String::from_utf8_lossy(query));
        }
        for query in [&b""[..], b"x=%zz", b"resource=client_secret", b"client=1", b"my_client_id=1"]
        {
            assert!(!names_credentials(query), "{}", String::from_utf8_lossy(query));
        }
    }

    #[test]
    fn decodes_forms() {
        let form =
            Form::parse(b"grant_type=client_credentials&scope=a+b%20c&&flag&x=%C3%A9").unwrap();
        assert_eq!(form.get("grant_type"), Some("client_credentials"));
        assert_eq!(form.get("scope"), Some("a b c"));
        assert_eq!(form.get("flag"), Some(""));
        assert_eq!(form.get("x"), Some("é"));
        assert!(!form.has("missing"));
        assert_eq!(Form::parse(b"").unwrap(), Form::default());
    }

    #[test]
    fn refuses_repeats_and_bad_escapes() {
        assert_eq!(Form::parse(b"a=1&a=2"), Err(FormError::Repeated("a".into())));
        assert_eq!(Form::parse(b"a=1&%61=2"), Err(FormError::Repeated("a".into())));
        assert_eq!(Form::parse(b"a=%2"), Err(FormError::Malformed));
        assert_eq!(Form::parse(b"a=%zz"), Err(FormError::Malformed));
        assert_eq!(Form::parse(b"a=%ff"), Err(FormError::Malformed));
        let form = Form::parse(b"resource=https://a&resource=https://b").unwrap();
        assert_eq!(form.all("resource").collect::<Vec<_>>(), vec!["https://a", "https://b"]);
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        // "my%20id:s%3Acr%2Bt+x" in base64: id "my id", secret "s:cr+t x".
        let value = format!("Basic {}", STANDARD.encode("my%20id:s%3Acr%2Bt+x"));
        let (id, secret) = basic_credentials(value.as_bytes()).unwrap().unwrap();
        assert_eq!((id.as_str(), secret.as_str()), ("my id", "s:cr+t x"));
        let value = format!("basic   {}", STANDARD.encode("a:"));
        assert_eq!(basic_credentials(value.as_bytes()), Some(Ok(("a".into(), String::new()))));
        assert_eq!(basic_credentials(b"Bearer x"), None);
        assert_eq!(basic_credentials(b"Basic !!"), Some(Err(FormError::MalformedBasic)));
        let no_colon = format!("Basic {}", STANDARD.encode("abc"));
        assert_eq!(basic_credentials(no_colon.as_bytes()), Some(Err(FormError::MalformedBasic)));
    }

    #[test]
    fn content_types() {
        assert!(is_form_content_type(b"application/x-www-form-urlencoded"));
        assert!(is_form_content_type(b"Application/X-WWW-Form-Urlencoded; charset=UTF-8"));
        assert!(!is_form_content_type(b"application/json"));
        assert!(!is_form_content_type(b"multipart/form-data; boundary=x"));
    }
}
