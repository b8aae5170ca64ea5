//! CredentialFlow's pure logic: everything the nginx module decides, with no nginx in it.
//!
//! The module crate (`src/`) is thin glue that reads nginx configuration and requests and
//! calls into this crate; everything here is unit-tested without nginx.

pub mod alg;
pub mod cache;
pub mod claims_view;
pub mod crypto_provider;
pub mod der;
pub mod file_access;
pub mod guard;
pub mod json;
pub mod keys;
pub mod policy;
pub mod reject;
pub mod revocation;
pub mod token;
pub mod verifier;

pub use alg::{Algorithm, AlgorithmSet};
pub use cache::TokenCache;
pub use guard::{Accepted, Decision, ForwardedClaim, Guard};
pub use policy::Policy;
pub use reject::Rejection;
pub use verifier::{VerifiedToken, Verifier};
