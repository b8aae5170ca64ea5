//! Client authentication, the same at the token, revocation (RFC 7009 §2.1) and
//! introspection (RFC 7662 §2.1) endpoints: a form body, then the client's id and secret by
//! HTTP Basic or in the body (RFC 6749 §2.3.1), never both and never in the query string, then
//! the registry's verdict. Reading and authenticating are two steps so that the token endpoint
//! can still report a malformed request before a failed authentication.

use super::form::{basic_credentials, is_form_content_type, names_credentials, Form, FormError};
use super::registry::{Client, ClientRegistry};
use super::request::{ErrorCode, Refusal, TokenRequest};

/// What `client_id` in the body of a request authenticated with HTTP Basic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyClientId {
    /// The client's own id again: it must be the Basic id (RFC 6749 §2.3.1).
    Credential,
    /// A parameter of the request (the revocation endpoint's `client_id=` target).
    Parameter,
}

/// A request whose form and client credentials were read, not yet checked.
#[derive(Debug)]
pub struct Presented {
    /// The body's parameters.
    pub form: Form,
    id: String,
    secret: String,
    basic: bool,
}

impl Presented {
    /// Reads the form and the credentials; refuses what RFC 6749 §2.3.1 and §3.2 forbid.
    pub fn read(request: &TokenRequest<'_>) -> Result<Presented, Refusal> {
        Presented::read_as(request, BodyClientId::Credential)
    }

    /// As [`Presented::read`]; `body_client_id` says what a `client_id` in the body is when
    /// the client authenticates with HTTP Basic.
    pub fn read_as(
        request: &TokenRequest<'_>,
        body_client_id: BodyClientId,
    ) -> Result<Presented, Refusal> {
        use ErrorCode::*;
        let basic = request.authorization.and_then(basic_credentials);
        let mut refuse = Refused { basic: basic.is_some(), client_id: None };
        if !request.content_type.is_some_and(is_form_content_type) {
            return Err(refuse
                .with(InvalidRequest, "the request must be application/x-www-form-urlencoded"));
        }
        let form = Form::parse(request.body).map_err(|e| match e {
            FormError::Repeated(_) => refuse.with(InvalidRequest, "a parameter is repeated"),
            _ => refuse.with(InvalidRequest, "malformed form encoding"),
        })?;
        refuse.client_id = form.get("client_id").map(str::to_owned);
        if names_credentials(request.query) {
            return Err(refuse
                .with(InvalidRequest, "client credentials are not accepted in the query string"));
        }
        let (id, secret) = match (basic, request.authorization) {
            (Some(Ok((id, secret))), _) => {
                refuse.client_id = Some(id.clone());
                if form.has("client_secret") {
                    return Err(
                        refuse.with(InvalidRequest, "more than one client authentication method")
                    );
                }
                if body_client_id == BodyClientId::Credential
                    && form.get("client_id").is_some_and(|body_id| body_id != id)
                {
                    return Err(
                        refuse.with(InvalidRequest, "client_id differs from the Basic credentials")
                    );
                }
                (id, secret)
            }
            (Some(Err(_)), _) => {
                return Err(refuse.with(InvalidRequest, "malformed Basic credentials"));
            }
            (None, Some(_)) => {
                return Err(refuse.with(InvalidClient, "unsupported client authentication method"));
            }
            (None, None) => match (form.get("client_id"), form.get("client_secret")) {
                (Some(id), Some(secret)) => (id.to_owned(), secret.to_owned()),
                _ => return Err(refuse.with(InvalidClient, "client authentication is required")),
            },
        };
        Ok(Presented { form, id, secret, basic: refuse.basic })
    }

    /// The registered client these credentials authenticate.
    pub fn authenticate<'r>(&self, registry: &'r ClientRegistry) -> Result<&'r Client, Refusal> {
        registry
            .authenticate(&self.id, self.secret.as_bytes())
            .ok_or_else(|| self.with(ErrorCode::InvalidClient, "client authentication failed"))
    }

    /// Whether the client used HTTP Basic.
    pub fn basic(&self) -> bool {
        self.basic
    }

    /// A refusal of this request (naming the claimed client id in the log line).
    pub fn with(&self, code: ErrorCode, description: &'static str) -> Refusal {
        Refusal { code, description, client_id: Some(self.id.clone()), basic: self.basic }
    }
}

/// A refusal before the credentials were read in full.
struct Refused {
    basic: bool,
    client_id: Option<String>,
}

impl Refused {
    fn with(&self, code: ErrorCode, description: &'static str) -> Refusal {
        Refusal { code, description, client_id: self.client_id.clone(), basic: self.basic }
    }
}

/// Requests and registries for the endpoints' unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;

    use super::TokenRequest;
    use crate::oauth::registry::{format_digest, ClientRegistry};

    /// The form content type.
    pub const FORM: &[u8] = b"application/x-www-form-urlencoded";

    /// A registry of `(id, secret, rest of the line)`.
    pub fn registry(clients: &[(&str, &str, &str)]) -> ClientRegistry {
        let text: String = clients
            .iter()
            .map(|(id, secret, rest)| format!("{id} {} {rest}\n", format_digest(secret.as_bytes())))
            .collect();
        ClientRegistry::parse(text.as_bytes()).expect("a valid registry")
    }

    /// Runs `f` on a form request with `body` and HTTP Basic credentials `id:secret`.
    pub fn with_basic<T>(
        id: &str,
        secret: &str,
        body: &str,
        f: impl FnOnce(&TokenRequest<'_>) -> T,
    ) -> T {
        let header = format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")));
        let request = TokenRequest {
            content_type: Some(FORM),
            authorization: Some(header.as_bytes()),
            body: body.as_bytes(),
            ..Default::default()
        };
        f(&request)
    }
}
