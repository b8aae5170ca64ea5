//! `credentialflow keygen`: a key for one algorithm, written as PEM files and a JWK Set.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use credentialflow_core::jose::sign::SigningKey;
use jsonwebtoken::crypto::verify;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{AlgorithmFamily, DecodingKey, EncodingKey};
use serde_json::{json, Value};

use crate::cli::KeygenArgs;
use crate::error::CliError;
use crate::keys::{self, Generated};

const SECRET_MODE: u32 = 0o600;
const PUBLIC_MODE: u32 = 0o644;

/// One file to write.
struct Output {
    path: PathBuf,
    contents: Vec<u8>,
    mode: u32,
    what: String,
}

/// Generates the key and writes its files; returns the lines to print.
pub fn run(args: &KeygenArgs) -> Result<Vec<String>, CliError> {
    let generated = keys::generate(args.alg, args.bits)?;
    let kid = args.kid.clone().unwrap_or_else(|| keys::thumbprint(&generated.jwk_members));
    let alg_name = format!("{:?}", args.alg);

    let mut jwk = generated.jwk_members.clone();
    jwk.insert("kid".to_owned(), Value::String(kid.clone()));
    jwk.insert("alg".to_owned(), Value::String(alg_name.clone()));
    jwk.insert("use".to_owned(), Value::String("sig".to_owned()));
    let jwks = json!({ "keys": [Value::Object(jwk)] });

    self_test(args, &generated.material, &jwks)?;

    let dir = &args.out;
    let mut jwks_text = serde_json::to_string_pretty(&jwks)
        .map_err(|e| CliError::failed(format!("cannot serialise the JWK Set: {e}")))?;
    jwks_text.push('\n');
    let outputs = match generated.material {
        Generated::Secret(secret) => vec![
            Output {
                path: dir.join("secret"),
                what: format!("{}-byte HMAC secret, raw bytes, mode 0600", secret.len()),
                contents: secret,
                mode: SECRET_MODE,
            },
            Output {
                path: dir.join("jwks.json"),
                // It holds the secret itself.
                contents: jwks_text.into_bytes(),
                mode: SECRET_MODE,
                what: format!("JWK Set, oct key, kid {kid:?}, alg {alg_name}, mode 0600"),
            },
        ],
        Generated::Pair { private_pkcs8, public_spki } => vec![
            Output {
                path: dir.join("private.pem"),
                contents: pem_encode("PRIVATE KEY", private_pkcs8).into_bytes(),
                mode: SECRET_MODE,
                what: format!("PKCS#8 private key{}, mode 0600", rsa_size(args)),
            },
            Output {
                path: dir.join("public.pem"),
                contents: pem_encode("PUBLIC KEY", public_spki).into_bytes(),
                mode: PUBLIC_MODE,
                what: "SPKI public key".to_owned(),
            },
            Output {
                path: dir.join("jwks.json"),
                contents: jwks_text.into_bytes(),
                mode: PUBLIC_MODE,
                what: format!("JWK Set, kid {kid:?}, alg {alg_name}"),
            },
        ],
    };

    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::failed(format!("cannot create {}: {e}", dir.display())))?;
    if !args.force {
        // Checked for all files first so a refusal leaves nothing half-written.
        let existing: Vec<String> = outputs
            .iter()
            .filter(|o| o.path.symlink_metadata().is_ok())
            .map(|o| o.path.display().to_string())
            .collect();
        if !existing.is_empty() {
            return Err(CliError::failed(format!(
                "refusing to overwrite {} (use --force)",
                existing.join(", ")
            )));
        }
    }
    let mut report = Vec::new();
    for output in &outputs {
        write_file(&output.path, &output.contents, output.mode, args.force)?;
        report.push(format!("wrote {} ({})", output.path.display(), output.what));
    }
    Ok(report)
}

fn rsa_size(args: &KeygenArgs) -> String {
    if args.alg.family() == AlgorithmFamily::Rsa {
        format!(", RSA {} bits", args.bits)
    } else {
        String::new()
    }
}

fn pem_encode(tag: &str, der: Vec<u8>) -> String {
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    pem::encode_config(&pem::Pem::new(tag, der), config)
}

/// Signs and verifies a probe with the new key, checking the private key, the JWK and the
/// thumbprint agree before anything reaches the disk.
fn self_test(args: &KeygenArgs, material: &Generated, jwks: &Value) -> Result<(), CliError> {
    let broken =
        |what: String| CliError::failed(format!("generated key failed its self-test: {what}"));
    let encoding = match material {
        Generated::Secret(secret) => EncodingKey::from_secret(secret),
        Generated::Pair { private_pkcs8, .. } => match args.alg.family() {
            AlgorithmFamily::Rsa => EncodingKey::from_rsa_der(private_pkcs8),
            AlgorithmFamily::Ec => EncodingKey::from_ec_der(private_pkcs8),
            _ => EncodingKey::from_ed_der(private_pkcs8),
        },
    };
    let jwk: Jwk = serde_json::from_value(jwks["keys"][0].clone())
        .map_err(|e| broken(format!("JWK does not parse: {e}")))?;
    let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| broken(format!("JWK unusable: {e}")))?;
    let probe = b"credentialflow keygen self-test";
    // Signed by the core (as `mint` signs), verified by jsonwebtoken's own crypto from the JWK.
    let signer = SigningKey::new(args.alg, &encoding).map_err(|e| broken(e.to_string()))?;
    let signature = signer.sign(probe).map_err(|e| broken(e.to_string()))?;
    let signature = URL_SAFE_NO_PAD.encode(signature);
    match verify(&signature, probe, &decoding, args.alg) {
        Ok(true) => {}
        Ok(false) => return Err(broken("signature does not verify".to_owned())),
        Err(e) => return Err(broken(e.to_string())),
    }
    if args.kid.is_none() {
        let theirs = jwk
            .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
            .map_err(|e| broken(format!("thumbprint: {e}")))?;
        if jwk.common.key_id.as_deref() != Some(theirs.as_str()) {
            return Err(broken(format!("kid is not the RFC 7638 thumbprint ({theirs})")));
        }
    }
    Ok(())
}

fn write_file(path: &Path, contents: &[u8], mode: u32, force: bool) -> Result<(), CliError> {
    let failed =
        |e: std::io::Error| CliError::failed(format!("cannot write {}: {e}", path.display()));
    let mut options = OpenOptions::new();
    options.write(true).mode(mode);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options.open(path).map_err(failed)?;
    // `mode` only applies to new files; an overwritten one keeps its old, maybe looser, mode.
    file.set_permissions(std::fs::Permissions::from_mode(mode)).map_err(failed)?;
    file.write_all(contents).map_err(failed)?;
    file.sync_all().map_err(failed)
}
