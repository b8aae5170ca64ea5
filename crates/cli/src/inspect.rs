//! `credentialflow inspect`: decode a compact JWS without verifying anything.

use std::io::Read;

use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use serde_json::{json, Map, Value};

use crate::cli::InspectArgs;
use crate::error::CliError;
use crate::timefmt::{format_span, format_utc};

/// base64url that also takes padded input: inspect is for looking at broken tokens too.
const LENIENT_B64URL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Largest token read from stdin; far above any real JWT, it bounds a mistaken `inspect - < big`.
const MAX_STDIN: u64 = 1 << 20;

/// A decoded token.
#[derive(Debug, PartialEq)]
pub struct Decoded {
    /// The JOSE header.
    pub header: Map<String, Value>,
    /// The payload, normally a claims object.
    pub claims: Value,
    /// Length of the decoded signature.
    pub signature_bytes: usize,
}

/// Reads the token, decodes it and renders the report.
pub fn run(args: &InspectArgs, now: i64) -> Result<String, CliError> {
    let token = if args.token == "-" {
        let mut text = String::new();
        std::io::stdin()
            .take(MAX_STDIN)
            .read_to_string(&mut text)
            .map_err(|e| CliError::failed(format!("cannot read the token from stdin: {e}")))?;
        text
    } else {
        args.token.clone()
    };
    let decoded = decode(&token)?;
    if args.json {
        let report = json!({
            "header": decoded.header,
            "claims": decoded.claims,
            "signature_bytes": decoded.signature_bytes,
            "signature_verified": false,
        });
        return pretty(&report);
    }
    render(&decoded, now)
}

/// Splits and decodes a compact JWS; every malformation is an error, never a panic.
pub fn decode(token: &str) -> Result<Decoded, CliError> {
    let token = token.trim();
    // Pasted from an Authorization header.
    let token = match token.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => token[7..].trim_start(),
        _ => token,
    };
    if token.is_empty() {
        return Err(CliError::failed("no token given"));
    }
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = parts.as_slice() else {
        return Err(CliError::failed(match parts.len() {
            5 => "this looks like a JWE (5 parts); only signed tokens (JWS) can be inspected"
                .to_owned(),
            n => format!("a JWS has 3 dot-separated parts, this has {n}"),
        }));
    };
    let header_bytes = b64(header, "header")?;
    let header = match serde_json::from_slice(&header_bytes) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(CliError::failed("the header is JSON but not an object")),
        Err(e) => return Err(CliError::failed(format!("the header is not JSON: {e}"))),
    };
    let claims = serde_json::from_slice(&b64(payload, "payload")?)
        .map_err(|e| CliError::failed(format!("the payload is not JSON: {e}")))?;
    let signature_bytes = b64(signature, "signature")?.len();
    Ok(Decoded { header, claims, signature_bytes })
}

fn b64(part: &str, name: &str) -> Result<Vec<u8>, CliError> {
    LENIENT_B64URL
        .decode(part)
        .map_err(|e| CliError::failed(format!("the {name} is not valid base64url: {e}")))
}

fn pretty(value: &Value) -> Result<String, CliError> {
    serde_json::to_string_pretty(value)
        .map_err(|e| CliError::failed(format!("cannot print JSON: {e}")))
}

/// The human-readable report.
pub fn render(decoded: &Decoded, now: i64) -> Result<String, CliError> {
    let mut out = String::from("WARNING: signature NOT verified (inspect only decodes)\n");
    out.push_str("header:\n");
    out.push_str(&pretty(&Value::Object(decoded.header.clone()))?);
    out.push_str("\nclaims:\n");
    out.push_str(&pretty(&decoded.claims)?);
    out.push('\n');
    for name in ["exp", "nbf", "iat"] {
        if let Some(value) = decoded.claims.get(name) {
            out.push_str(&format!("{name}: {}\n", describe_time(name, value, now)));
        }
    }
    out.push_str(&format!("signature: {} bytes, NOT verified\n", decoded.signature_bytes));
    Ok(out)
}

fn describe_time(name: &str, value: &Value, now: i64) -> String {
    // NumericDate may be fractional; whole seconds are what validators compare.
    let seconds = match value {
        Value::Number(n) => {
            n.as_i64().or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f.floor() as i64))
        }
        _ => None,
    };
    let Some(seconds) = seconds else {
        return format!("{value} (not a NumericDate: validators will reject or ignore it)");
    };
    let Some(date) = format_utc(seconds) else {
        return format!("{value} (out of range)");
    };
    let delta = seconds.saturating_sub(now);
    let span = format_span(delta.unsigned_abs());
    let relation = match (name, delta) {
        (_, 0) => "now".to_owned(),
        ("exp", d) if d <= 0 => format!("EXPIRED {span} ago"),
        ("exp", _) => format!("expires in {span}"),
        ("nbf", d) if d > 0 => format!("NOT YET VALID, valid in {span}"),
        (_, d) if d > 0 => format!("{span} in the future"),
        (_, _) => format!("{span} ago"),
    };
    format!("{value} = {date} ({relation})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(header: &str, payload: &str, signature: &[u8]) -> String {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(signature)
        )
    }

    #[test]
    fn decodes_a_token() {
        let t = token(r#"{"alg":"HS256","typ":"JWT"}"#, r#"{"sub":"alice","exp":100}"#, &[1; 32]);
        let decoded = decode(&format!("  Bearer {t}\n")).expect("decodes");
        assert_eq!(decoded.header["alg"], "HS256");
        assert_eq!(decoded.claims["sub"], "alice");
        assert_eq!(decoded.signature_bytes, 32);
        let text = render(&decoded, 160).expect("renders");
        assert!(text.contains("NOT verified"));
        assert!(text.contains("exp: 100 = 1970-01-01T00:01:40Z (EXPIRED 1m ago)"), "{text}");
    }

    #[test]
    fn describes_times() {
        assert_eq!(
            describe_time("exp", &json!(1060), 100),
            "1060 = 1970-01-01T00:17:40Z (expires in 16m)"
        );
        assert!(describe_time("nbf", &json!(200), 100).contains("NOT YET VALID, valid in 1m 40s"));
        assert!(describe_time("iat", &json!(40), 100).contains("(1m ago)"));
        assert!(describe_time("iat", &json!(40.9), 100).contains("= 1970-01-01T00:00:40Z"));
        assert!(describe_time("exp", &json!("123"), 100).contains("not a NumericDate"));
        assert!(describe_time("exp", &json!(1e300), 100).contains("out of range"));
        assert!(describe_time("exp", &json!(u64::MAX), 100).contains("out of range"));
        assert!(describe_time("exp", &json!(i64::MIN), 100).contains("out of range"));
    }

    #[test]
    fn malformed_tokens_are_errors() {
        let good_header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("{}");
        let cases = [
            "".to_owned(),
            "   ".to_owned(),
            "abc".to_owned(),
            "a.b".to_owned(),
            "a.b.c.d".to_owned(),
            "a.b.c.d.e".to_owned(),
            "!!!.e30.".to_owned(),
            format!("{good_header}.!!!."),
            format!("{good_header}.e30.!!!"),
            token("[1]", "{}", b""),
            token("{", "{}", b""),
            token("{}", "not json", b""),
            "\u{e9}.\u{e9}.\u{e9}".to_owned(),
        ];
        for case in cases {
            assert!(decode(&case).is_err(), "{case:?} decoded");
        }
        assert!(decode("Bearer").is_err());
        assert!(decode("bearer ").is_err());
    }

    #[test]
    fn unsigned_and_padded_tokens_decode() {
        let decoded = decode("eyJhbGciOiJub25lIn0.e30.").expect("alg none decodes");
        assert_eq!(decoded.signature_bytes, 0);
        assert!(decode("eyJhbGciOiJub25lIn0=.e30=.").is_ok());
    }
}
