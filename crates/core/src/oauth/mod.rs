//! The authorization server's decisions (RFC 6749 §4.4 client credentials, RFC 9068 access
//! tokens, RFC 8414 metadata), with no nginx and no I/O: the client registry
//! ([`registry`]), the request's form and Basic credentials ([`form`]), the grant decision and
//! its errors ([`grant`]), the watched registry file ([`source`]), the issuer with its keys,
//! tokens, JWKS and metadata ([`issuer`]), and RFC 9728 protected resource metadata ([`resource`]). The nginx side is
//! `src/oauth/`.

pub mod form;
pub mod grant;
pub mod issuer;
pub mod registry;
pub mod resource;
pub mod source;

pub use grant::{decide, ErrorCode, Grant, Refusal, TokenRequest};
pub use issuer::{Issuer, IssuerKey};
pub use registry::ClientRegistry;
