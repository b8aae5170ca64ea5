//! Finding the token in a credential header value.

use crate::reject::Rejection;

/// Where a location reads its token from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialHeader {
    /// `Authorization: Bearer <token>` (the scheme is case-insensitive, RFC 7235 §2.1).
    AuthorizationBearer,
    /// A custom header holding the raw token; `Authorization` is then ignored.
    Raw {
        /// The header name as configured.
        name: String,
        /// The name lower-cased once at config time, for comparison with request headers.
        lowercase: Vec<u8>,
    },
}

impl CredentialHeader {
    /// A custom raw-token header.
    pub fn raw(name: &str) -> CredentialHeader {
        CredentialHeader::Raw {
            name: name.to_string(),
            lowercase: name.to_ascii_lowercase().into(),
        }
    }

    /// Extracts the token from the header's value.
    pub fn token<'a>(&self, value: &'a [u8]) -> Result<&'a [u8], Rejection> {
        match self {
            CredentialHeader::AuthorizationBearer => bearer_token(value),
            CredentialHeader::Raw { .. } => raw_token(value),
        }
    }
}

/// Whether a request header called `name` is the header `lowercase` (given lower-cased):
/// ASCII case is ignored and `_` reads as `-`, because CGI, WSGI and many frameworks fold
/// `X_User` and `x-user` into one name, so a second spelling must never slip past a check.
pub fn same_header_name(name: &[u8], lowercase: &[u8]) -> bool {
    let fold = |c: u8| if c == b'_' { b'-' } else { c.to_ascii_lowercase() };
    name.len() == lowercase.len() && name.iter().zip(lowercase).all(|(&a, &b)| fold(a) == fold(b))
}

fn trim(mut value: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = value {
        value = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    value
}

/// Bytes allowed in a `b64token` (RFC 6750 §2.1) besides trailing `=`.
const B64TOKEN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] =
            c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
        b += 1;
    }
    table
};

/// Whether `token` is a `b64token` (RFC 6750 §2.1). Checked only for tokens not found in the
/// cache: every cached token passed strict parsing, so a hit needs no second scan.
pub fn is_b64token(token: &[u8]) -> bool {
    let body_len = token.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
    body_len > 0 && token[..body_len].iter().all(|&b| B64TOKEN[usize::from(b)])
}

/// Parses an `Authorization` value. Another scheme (e.g. Basic) means "no bearer token", so
/// `satisfy any` with auth_basic works; a Bearer scheme with a bad token is a syntax error.
pub fn bearer_token(value: &[u8]) -> Result<&[u8], Rejection> {
    let value = trim(value);
    let scheme_end = value.iter().position(|&b| b == b' ' || b == b'\t').unwrap_or(value.len());
    let (scheme, rest) = value.split_at(scheme_end);
    if !scheme.eq_ignore_ascii_case(b"Bearer") {
        return Err(Rejection::Missing);
    }
    let token = trim(rest);
    if token.is_empty() {
        return Err(Rejection::BadCredentialSyntax);
    }
    Ok(token)
}

/// Parses a custom header holding nothing but the token.
pub fn raw_token(value: &[u8]) -> Result<&[u8], Rejection> {
    let token = trim(value);
    if token.is_empty() {
        return Err(Rejection::Missing);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_fold_case_and_underscores() {
        assert!(same_header_name(b"X_Api_Token", b"x-api-token"));
        assert!(same_header_name(b"X-API-TOKEN", b"x-api-token"));
        assert!(same_header_name(b"x_api_token", b"x_api-token"));
        assert!(!same_header_name(b"X-Api-Tokens", b"x-api-token"));
        assert!(!same_header_name(b"X.Api.Token", b"x-api-token"));
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer_token(b"Bearer a.b.c"), Ok(&b"a.b.c"[..]));
        assert_eq!(bearer_token(b"BeArEr a.b.c"), Ok(&b"a.b.c"[..]));
        assert_eq!(bearer_token(b"bearer  a.b.c \t"), Ok(&b"a.b.c"[..]));
    }

    #[test]
    fn other_schemes_are_not_bearer_tokens() {
        assert_eq!(bearer_token(b"Basic dXNlcjpwYXNz"), Err(Rejection::Missing));
        assert_eq!(bearer_token(b"Bearer:a.b.c"), Err(Rejection::Missing));
        assert_eq!(bearer_token(b"Bearera.b.c"), Err(Rejection::Missing));
        assert_eq!(bearer_token(b"a.b.c"), Err(Rejection::Missing));
        assert_eq!(bearer_token(b""), Err(Rejection::Missing));
    }

    #[test]
    fn bad_token_syntax() {
        assert_eq!(bearer_token(b"Bearer "), Err(Rejection::BadCredentialSyntax));
        for bad in [
            &b"\"a.b.c\""[..],
            b"a.b.c junk",
            b"\xe2\x80\x8ba.b.c",
            b"a.b.c\xc3\xa9",
            b"===",
            b"a\0b",
            b"Bearer a.b.c",
        ] {
            assert!(!is_b64token(bad), "{bad:?}");
        }
        assert!(is_b64token(b"aZ09-._~+/.x=="));
    }

    #[test]
    fn raw_header() {
        let header = CredentialHeader::raw("X-CredentialFlow-Token");
        assert_eq!(header.token(b" a.b.c "), Ok(&b"a.b.c"[..]));
        assert_eq!(header.token(b""), Err(Rejection::Missing));
        assert_eq!(header.token(b"Bearer a.b.c"), Ok(&b"Bearer a.b.c"[..]));
        assert!(
            matches!(header, CredentialHeader::Raw { ref lowercase, .. } if lowercase == b"x-credentialflow-token")
        );
    }
}
