//! CredentialFlow's pure logic: everything the nginx module decides, with no nginx in it.
//!
//! The module crate (`src/`) is thin glue that reads nginx configuration and requests and
//! calls into this crate; everything here is unit-tested without nginx.

pub mod crypto_provider;
