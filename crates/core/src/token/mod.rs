//! Tokens: finding one in a request header, splitting and decoding a compact JWS, and the
//! typed view of its header and claims.

pub mod b64;
pub mod claims;
pub mod extract;
pub mod header;
pub mod jws;
