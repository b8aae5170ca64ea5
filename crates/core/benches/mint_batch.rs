//! Not a benchmark: a bulk token minter for `scripts/bench.sh` (pools of distinct valid tokens
//! for the `rotate` scenarios and the 100,000-entry memory test). The CLI spawns one process
//! and re-parses the private key per token; this signs thousands per second with one prepared
//! key (the core's minting helper), even for RSA.
//!
//! Run: cargo bench -p credentialflow-core --bench mint_batch -- \
//!        --alg ES256 --key DIR/private.pem --count 12000 --out tokens.txt \
//!        [--kid K] [--iss I] [--aud A] [--scope "read write"] [--ttl SECONDS] [--start N]
//! For HS*, --key is the raw secret file (as `credentialflow mint`). One token per line;
//! token n has sub "user-n", jti "bench-n" and email "user-n@example.com".
use std::io::Write;

use credentialflow_core::Algorithm;
use serde_json::json;

mod common;
use common::{mint, signing_key, unix_now};

fn main() {
    let mut alg = None;
    let (mut key, mut out, mut kid, mut iss, mut aud, mut scope) =
        (None, None, None, None, None, None);
    let (mut count, mut ttl, mut start) = (1usize, 7200i64, 0usize);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--bench" => {} // appended by `cargo bench`
            "--alg" => {
                let name = value();
                alg = Some(Algorithm::from_name(name.as_bytes()).expect("unknown --alg"));
            }
            "--key" => key = Some(value()),
            "--out" => out = Some(value()),
            "--kid" => kid = Some(value()),
            "--iss" => iss = Some(value()),
            "--aud" => aud = Some(value()),
            "--scope" => scope = Some(value()),
            "--count" => count = value().parse().expect("--count N"),
            "--ttl" => ttl = value().parse().expect("--ttl SECONDS"),
            "--start" => start = value().parse().expect("--start N"),
            other => panic!("unknown argument {other}"),
        }
    }
    let alg = alg.expect("--alg is required");
    let key_bytes = std::fs::read(key.expect("--key is required")).expect("reading --key");
    let key = signing_key(alg, &key_bytes);
    let now = unix_now();
    let out = out.expect("--out is required");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&out).expect("creating --out"));
    for n in start..start + count {
        let mut claims = json!({
            "sub": format!("user-{n:07}"),
            "jti": format!("bench-{n:08}"),
            "email": format!("user-{n:07}@example.com"),
            "iat": now,
            "exp": now + ttl,
        });
        if let Some(iss) = &iss {
            claims["iss"] = iss.as_str().into();
        }
        if let Some(aud) = &aud {
            claims["aud"] = aud.as_str().into();
        }
        if let Some(scope) = &scope {
            claims["scope"] = scope.as_str().into();
        }
        writeln!(file, "{}", mint(alg, &key, kid.as_deref(), &claims)).unwrap();
    }
    file.flush().unwrap();
}
