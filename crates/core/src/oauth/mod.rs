//! The authorization server's decisions (RFC 6749 §4.4 client credentials, RFC 9068 access
//! tokens, RFC 8414 metadata), with no nginx and no I/O: the client registry
//! ([`registry`]), the request's form and Basic credentials ([`form`]), the grant decision
//! ([`grant`]), the request and the refusal vocabulary every endpoint shares ([`request`]), the watched registry file ([`source`]), the issuer with its keys,
//! tokens, JWKS and metadata ([`issuer`]), RFC 9728 protected resource metadata
//! ([`resource`]), client authentication shared by every endpoint ([`client_auth`]), RFC 7009
//! revocation ([`revoke`]) and RFC 7662 introspection ([`introspect`]). The nginx side is
//! `src/oauth/`.

pub mod client_auth;
pub mod form;
pub mod grant;
pub mod introspect;
pub mod issuer;
pub mod registry;
pub mod request;
pub mod resource;
pub mod revoke;
pub mod source;

pub use grant::{decide, Grant};
pub use issuer::{Issuer, IssuerKey};
pub use registry::ClientRegistry;
pub use request::{ErrorCode, Refusal, TokenRequest};
