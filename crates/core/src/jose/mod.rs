//! The JOSE layer (RFC 7515, 7517, 7518, 7519): what a token and a key *are*, with no policy
//! in it. Splitting and decoding a compact JWS (`jws`, `b64`), strict JSON (`json`), the typed
//! header and claims (`header`, `claims`), keys from PEM, DER and JWKS (`keys`, `der`), the
//! algorithms (`alg`), the cryptography per family (`crypto`) and minting a token (`sign`).
//! Whether a token is acceptable at a location is decided outside this module.

pub mod alg;
pub mod b64;
pub mod claims;
pub mod crypto;
pub mod der;
pub mod header;
pub mod json;
pub mod jws;
pub mod keys;
pub mod sign;
pub mod thumbprint;
