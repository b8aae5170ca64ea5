//! The token request's decision for the client credentials grant (RFC 6749 §4.4): who the
//! client is, and what it gets, or the RFC 6749 §5.2 / RFC 8707 error.

use super::client_auth::Presented;
use super::registry::{valid_scope, ClientRegistry};
use super::request::{ErrorCode, Refusal, TokenRequest};

/// The only grant this endpoint issues.
pub const CLIENT_CREDENTIALS: &str = "client_credentials";

/// What an accepted request obtains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The authenticated client.
    pub client_id: String,
    /// The granted scopes, in the order requested (or the client's order).
    pub scopes: Vec<String>,
    /// The token's audience.
    pub audience: String,
    /// The token's lifetime in seconds.
    pub ttl: i64,
}

impl Grant {
    /// The scopes as the `scope` claim and response member write them.
    pub fn scope(&self) -> String {
        self.scopes.join(" ")
    }
}

/// Decides a token request against the registry; `default_ttl` is the configured lifetime.
pub fn decide(
    registry: &ClientRegistry,
    request: &TokenRequest<'_>,
    default_ttl: i64,
) -> Result<Grant, Refusal> {
    use ErrorCode::*;
    let presented = Presented::read(request)?;
    let refuse = &presented;
    let form = &presented.form;

    let grant_type = form
        .get("grant_type")
        .ok_or_else(|| refuse.with(InvalidRequest, "grant_type is missing"))?;
    let resources: Vec<&str> = form.all("resource").collect();
    let audience_param = form.get("audience");
    if !resources.is_empty() && audience_param.is_some() {
        return Err(refuse.with(InvalidRequest, "resource and audience may not both be sent"));
    }

    let client = presented.authenticate(registry)?;
    if grant_type != CLIENT_CREDENTIALS {
        return Err(refuse.with(UnsupportedGrantType, "only client_credentials is supported"));
    }
    if client.disabled {
        return Err(refuse.with(UnauthorizedClient, "the client may not obtain tokens"));
    }

    let scopes = match form.get("scope") {
        None => client.scopes.iter().map(|s| s.to_string()).collect(),
        Some(requested) => {
            let mut scopes: Vec<String> = Vec::new();
            for scope in requested.split(' ') {
                if !valid_scope(scope) {
                    return Err(refuse.with(InvalidScope, "the scope is malformed"));
                }
                if !client.scopes.iter().any(|allowed| &**allowed == scope) {
                    return Err(
                        refuse.with(InvalidScope, "a requested scope is not granted to the client")
                    );
                }
                if !scopes.iter().any(|seen| seen == scope) {
                    scopes.push(scope.to_owned());
                }
            }
            scopes
        }
    };

    let requested = match (resources.as_slice(), audience_param) {
        ([], None) => None,
        ([one], None) => Some(*one),
        ([], Some(one)) => Some(one),
        _ => return Err(refuse.with(InvalidTarget, "one resource per token")),
    };
    let audience = match requested {
        None => client.audiences.first().map(|a| a.to_string()),
        Some(wanted) => client.audiences.iter().find(|a| &***a == wanted).map(|a| a.to_string()),
    };
    let Some(audience) = audience else {
        return Err(
            refuse.with(InvalidTarget, "the client may not obtain tokens for this resource")
        );
    };

    Ok(Grant {
        client_id: client.id.to_string(),
        scopes,
        audience,
        ttl: client.ttl.unwrap_or(default_ttl),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::client_auth::testing::{self, FORM};

    fn registry() -> ClientRegistry {
        testing::registry(&[
            ("svc", "s3cret", "read,write https://api.a,https://api.b 5m"),
            ("svc", "n3w", "read,write https://api.a,https://api.b 5m"),
            ("off", "x", "read https://api.a disabled"),
            ("my:id", "p+w:d", "- https://api.a"),
        ])
    }

    fn post(body: &str) -> Result<Grant, Refusal> {
        let request =
            TokenRequest { content_type: Some(FORM), body: body.as_bytes(), ..Default::default() };
        decide(&registry(), &request, 900)
    }

    fn basic(id: &str, secret: &str, body: &str) -> Result<Grant, Refusal> {
        testing::with_basic(id, secret, body, |request| decide(&registry(), request, 900))
    }

    fn code(result: Result<Grant, Refusal>) -> ErrorCode {
        result.expect_err("refused").code
    }

    #[test]
    fn issues_with_basic_and_with_post() {
        let grant = basic("svc", "s3cret", "grant_type=client_credentials").unwrap();
        assert_eq!(grant.client_id, "svc");
        assert_eq!(grant.scope(), "read write");
        assert_eq!(grant.audience, "https://api.a");
        assert_eq!(grant.ttl, 300);
        let grant =
            post("grant_type=client_credentials&client_id=svc&client_secret=n3w&scope=write")
                .unwrap();
        assert_eq!(grant.scope(), "write");
        // Form-decoded Basic id and secret (RFC 6749 §2.3.1), and the default lifetime.
        let grant = basic("my%3Aid", "p%2Bw%3Ad", "grant_type=client_credentials").unwrap();
        assert_eq!((grant.client_id.as_str(), grant.ttl, grant.scope()), ("my:id", 900, "".into()));
    }

    #[test]
    fn scopes_and_targets() {
        let ok =
            |body: &str| basic("svc", "s3cret", &format!("grant_type=client_credentials&{body}"));
        assert_eq!(ok("scope=write+read+write").unwrap().scope(), "write read");
        assert_eq!(code(ok("scope=read+admin")), ErrorCode::InvalidScope);
        assert_eq!(code(ok("scope=")), ErrorCode::InvalidScope);
        assert_eq!(ok("resource=https://api.b").unwrap().audience, "https://api.b");
        assert_eq!(ok("audience=https://api.b").unwrap().audience, "https://api.b");
        assert_eq!(code(ok("resource=https://evil")), ErrorCode::InvalidTarget);
        assert_eq!(
            code(ok("resource=https://api.a&resource=https://api.b")),
            ErrorCode::InvalidTarget
        );
        assert_eq!(
            code(ok("resource=https://api.a&audience=https://api.a")),
            ErrorCode::InvalidRequest
        );
    }

    #[test]
    fn client_errors() {
        let wrong = basic("svc", "nope", "grant_type=client_credentials").unwrap_err();
        assert_eq!((wrong.code, wrong.basic), (ErrorCode::InvalidClient, true));
        assert_eq!(wrong.client_id.as_deref(), Some("svc"));
        let unknown = basic("ghost", "s3cret", "grant_type=client_credentials").unwrap_err();
        assert_eq!((unknown.code, unknown.description), (wrong.code, wrong.description));
        let post_wrong = post("grant_type=client_credentials&client_id=svc&client_secret=x");
        assert!(!post_wrong.as_ref().unwrap_err().basic);
        assert_eq!(code(post_wrong), ErrorCode::InvalidClient);
        assert_eq!(code(post("grant_type=client_credentials")), ErrorCode::InvalidClient);
        assert_eq!(
            code(post("grant_type=client_credentials&client_id=svc")),
            ErrorCode::InvalidClient
        );
        assert_eq!(
            code(basic("off", "x", "grant_type=client_credentials")),
            ErrorCode::UnauthorizedClient
        );
        let both = basic("svc", "s3cret", "grant_type=client_credentials&client_secret=s3cret");
        assert_eq!(code(both), ErrorCode::InvalidRequest);
        let other_id = basic("svc", "s3cret", "grant_type=client_credentials&client_id=off");
        assert_eq!(code(other_id), ErrorCode::InvalidRequest);
        let bearer = TokenRequest {
            content_type: Some(FORM),
            authorization: Some(b"Bearer abc"),
            body: b"grant_type=client_credentials",
            ..Default::default()
        };
        assert_eq!(decide(&registry(), &bearer, 900).unwrap_err().code, ErrorCode::InvalidClient);
    }

    #[test]
    fn request_errors() {
        assert_eq!(code(basic("svc", "s3cret", "")), ErrorCode::InvalidRequest);
        assert_eq!(
            code(basic("svc", "s3cret", "grant_type=password")),
            ErrorCode::UnsupportedGrantType
        );
        assert_eq!(
            code(basic("svc", "s3cret", "grant_type=client_credentials&scope=a&scope=b")),
            ErrorCode::InvalidRequest
        );
        assert_eq!(code(basic("svc", "s3cret", "grant_type=%zz")), ErrorCode::InvalidRequest);
        let json = TokenRequest {
            content_type: Some(b"application/json"),
            body: b"{}",
            ..Default::default()
        };
        assert_eq!(decide(&registry(), &json, 900).unwrap_err().code, ErrorCode::InvalidRequest);
        let query = TokenRequest {
            content_type: Some(FORM),
            query: b"client_secret=s3cret",
            body: b"grant_type=client_credentials&client_id=svc",
            ..Default::default()
        };
        assert_eq!(decide(&registry(), &query, 900).unwrap_err().code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn refusals_render_and_log_safely() {
        let refusal = basic("a\nb", "x", "grant_type=client_credentials").unwrap_err();
        assert_eq!(refusal.client_for_log(), "a?b");
        assert_eq!(
            refusal.json(),
            r#"{"error":"invalid_client","error_description":"client authentication failed"}"#
        );
        assert_eq!(ErrorCode::InvalidClient.status(), 401);
        assert_eq!(ErrorCode::InvalidTarget.status(), 400);
    }
}
