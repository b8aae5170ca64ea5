//! CredentialFlow's pure logic: everything the nginx module decides, with no nginx in it.
//!
//! The module crate (`src/`) is thin glue that reads nginx configuration and requests and
//! calls into this crate; everything here is unit-tested without nginx.
//!
//! - [`jose`]: the JOSE layer: compact JWS, base64url, strict JSON, headers, claims, keys and
//!   the crypto per family (verify and sign). No policy: it says what a token *is*.
//! - The decision: [`credential`] (finding the token in a header), [`verifier`] (a key set
//!   and an allow-list), [`policy`] (time, issuer, audience, required claims, scopes),
//!   [`remote_keys`] (a key set fetched from an IdP: when to fetch, what stays in force),
//!   [`revocation`], [`replay`], [`cache`] and [`shared_cache`] (the per-worker and the shared token
//!   caches), [`rules`] (everything one protected location checks, and its
//!   decision), [`reject`] (why a request is refused), [`claims_view`] (claims as header and
//!   variable text), [`defaults`] (every default).
//! - [`redis`]: what the module says to Redis and how it reads the answers (no I/O).
//! - [`oauth`]: the authorization server (client registry, client credentials grant, RFC 9068
//!   tokens, JWKS, metadata).
#![forbid(unsafe_code)]

pub mod api_key;
pub mod cache;
pub mod claims_view;
pub mod credential;
pub mod defaults;
pub mod file_access;
mod fingerprint;
pub mod jose;
pub mod metrics;
pub mod oauth;
pub mod policy;
pub mod redis;
pub mod reject;
pub mod remote_keys;
pub mod replay;
pub mod revocation;
pub mod rules;
pub mod shared_cache;
pub mod verifier;
pub mod watched;

pub use cache::TokenCache;
pub use fingerprint::fingerprint;
pub use jose::alg::{Algorithm, AlgorithmSet};
pub use policy::Policy;
pub use reject::Rejection;
pub use rules::{Accepted, AccessRules, Decision, Forwarded, ForwardedClaim, Live};
pub use shared_cache::SharedTokens;
pub use verifier::{VerifiedToken, Verifier};
