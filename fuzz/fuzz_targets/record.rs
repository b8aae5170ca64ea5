//! `Claims::from_record`: the bytes a worker reads back from the shared-memory zone. Any
//! input is refused or yields claims that read without a panic and lay out the same record
//! again (a torn write or a foreign layout must never become a panic or wrong claims).
#![no_main]

use credentialflow_core::jose::claims::Claims;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(claims) = Claims::from_record(data) else { return };
    assert_eq!(claims.record(), data);
    let span = claims.token_span();
    assert_eq!(data.get(span), Some(claims.token()));
    let _ = (claims.exp(), claims.nbf(), claims.iat(), claims.iss(), claims.sub());
    let _ = (claims.jti(), claims.scope(), claims.kid(), claims.typ());
    // An empty `aud` array is a valid claim: only reading it is checked.
    let _ = claims.audiences().map(Iterator::count);
    let again = Claims::from_record(claims.record()).expect("a record read back reads again");
    assert_eq!(again.record(), claims.record());
});
