//! Strict JSON objects (token header and payload): depth bound, duplicates, top-level object.
#![no_main]

use credentialflow_core::jose::json::{check_depth, parse_object, JsonError, MAX_DEPTH};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// Equal, except that floats may differ in the last bits: serde_json (without its
/// `float_roundtrip` feature) may parse a printed float to a neighbouring value.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            x == y || (x - y).abs() <= x.abs().max(y.abs()) * 1e-15
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fuzz_target!(|data: &[u8]| {
    let depth = check_depth(data, MAX_DEPTH);
    match parse_object(data) {
        Ok(object) => {
            assert!(depth.is_ok());
            // What was accepted is accepted again once re-serialised, unchanged.
            let text = serde_json::to_vec(&object).unwrap();
            let again = parse_object(&text).unwrap();
            assert!(same(&Value::Object(object), &Value::Object(again)));
        }
        Err(JsonError::TooDeep) => assert!(depth.is_err()),
        Err(JsonError::Invalid(_)) => {}
    }
});
