//! What every endpoint that authenticates clients reads and answers with: the request as the
//! nginx layer hands it over ([`TokenRequest`]) and the RFC 6749 §5.2 refusal vocabulary
//! ([`ErrorCode`], [`Refusal`]), shared by client authentication, the grant, revocation and
//! introspection (kept apart from all of them, so none imports another for it).

/// A request to the token, revocation or introspection endpoint as the nginx layer reads it.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokenRequest<'a> {
    /// The `Content-Type` header, if any.
    pub content_type: Option<&'a [u8]>,
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a [u8]>,
    /// The query string (credentials there are refused).
    pub query: &'a [u8],
    /// The body.
    pub body: &'a [u8],
}

/// An RFC 6749 §5.2 (and RFC 8707 §2, RFC 7009 §2.2.1) error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// Missing, repeated or malformed parameter, wrong content type, two auth methods.
    InvalidRequest,
    /// Unknown client, wrong secret, no or unsupported client authentication.
    InvalidClient,
    /// The client may not use this grant (a `disabled` client).
    UnauthorizedClient,
    /// A `grant_type` other than `client_credentials`.
    UnsupportedGrantType,
    /// A scope the client may not obtain.
    InvalidScope,
    /// A `resource` or `audience` the client may not obtain tokens for.
    InvalidTarget,
    /// A token the revocation endpoint cannot revoke (RFC 7009 §2.2.1).
    UnsupportedTokenType,
}

impl ErrorCode {
    /// The `error` member of the response.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::InvalidTarget => "invalid_target",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
        }
    }

    /// The HTTP status: 401 for a failed client authentication, else 400.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidClient => 401,
            _ => 400,
        }
    }
}

/// A refused token request: what to answer and what to log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The error code.
    pub code: ErrorCode,
    /// The `error_description`: fixed text, never echoing the request.
    pub description: &'static str,
    /// The client id the request claimed, if any, for the log line (not authenticated).
    pub client_id: Option<String>,
    /// Whether the client used HTTP Basic (the 401 then carries a `Basic` challenge).
    pub basic: bool,
}

impl Refusal {
    /// The error response body.
    pub fn json(&self) -> String {
        serde_json::json!({ "error": self.code.name(), "error_description": self.description })
            .to_string()
    }

    /// The claimed client id made safe for a log line: printable ASCII, at most 64 bytes.
    pub fn client_for_log(&self) -> String {
        match &self.client_id {
            None => "-".into(),
            Some(id) => {
                id.chars().take(64).map(|c| if c.is_ascii_graphic() { c } else { '?' }).collect()
            }
        }
    }
}
