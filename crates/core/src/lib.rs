//! CredentialFlow's pure logic: everything the nginx module decides, with no nginx in it.
//!
//! The module crate (`src/`) is thin glue that reads nginx configuration and requests and
//! calls into this crate; everything here is unit-tested without nginx.
//!
//! - [`jose`]: the JOSE layer: compact JWS, base64url, strict JSON, headers, claims, keys and
//!   the crypto per family (verify and sign). No policy: it says what a token *is*.
//! - The decision: [`credential`] (finding the token in a header), [`verifier`] (a key set
//!   and an allow-list), [`policy`] (time, issuer, audience, required claims, scopes),
//!   [`revocation`], [`cache`], [`guard`] (one location's whole decision), [`reject`] (why a
//!   request is refused), [`claims_view`] (claims as header and variable text).
#![forbid(unsafe_code)]

pub mod cache;
pub mod claims_view;
pub mod credential;
pub mod file_access;
mod fingerprint;
pub mod guard;
pub mod jose;
pub mod policy;
pub mod reject;
pub mod revocation;
pub mod verifier;

pub use cache::TokenCache;
pub use fingerprint::fingerprint;
pub use guard::{Accepted, Decision, ForwardedClaim, Guard};
pub use jose::alg::{Algorithm, AlgorithmSet};
pub use policy::Policy;
pub use reject::Rejection;
pub use verifier::{VerifiedToken, Verifier};
