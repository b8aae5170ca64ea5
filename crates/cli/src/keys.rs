//! Key material: generating it for `keygen` and loading it for `mint`.

use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use credentialflow_core::jose::crypto::backend::rand::{SecureRandom, SystemRandom};
use credentialflow_core::jose::crypto::backend::signature::{self, EcdsaKeyPair};
use credentialflow_core::jose::sign::SigningKey;
use jsonwebtoken::{Algorithm, AlgorithmFamily, EncodingKey};
use serde_json::{json, Map, Value};

use crate::error::CliError;
use credentialflow_core::jose::der::{self, KeyKind};
use credentialflow_core::jose::keys::private::{parse_private_pem, PrivateKeyError};

/// RSA sizes keygen offers; both backends sign with 2048 to 4096 bits.
pub const RSA_BITS: [usize; 3] = [2048, 3072, 4096];

/// A freshly generated key, in the forms keygen writes out.
pub enum Generated {
    /// An HMAC secret: raw bytes.
    Secret(Vec<u8>),
    /// An asymmetric pair.
    Pair {
        /// PKCS#8 `PrivateKeyInfo` DER.
        private_pkcs8: Vec<u8>,
        /// `SubjectPublicKeyInfo` DER.
        public_spki: Vec<u8>,
    },
}

/// A generated key together with its public JWK members (those RFC 7638 thumbprints cover).
pub struct GeneratedKey {
    /// The key itself.
    pub material: Generated,
    /// `kty` and the key's public parameters, nothing else.
    pub jwk_members: Map<String, Value>,
}

/// Bytes of HMAC secret for an HS* algorithm: the hash's output size (RFC 7518 §3.2).
pub fn hmac_secret_len(alg: Algorithm) -> Option<usize> {
    match alg {
        Algorithm::HS256 => Some(32),
        Algorithm::HS384 => Some(48),
        Algorithm::HS512 => Some(64),
        _ => None,
    }
}

/// Generates a key for `alg`; `rsa_bits` is only used for RS* and PS*.
pub fn generate(alg: Algorithm, rsa_bits: usize) -> Result<GeneratedKey, CliError> {
    let rng = SystemRandom::new();
    let random_failed = |_| CliError::failed("the system random number generator failed");
    match alg.family() {
        AlgorithmFamily::Hmac => {
            let len = hmac_secret_len(alg).ok_or_else(|| unsupported(alg))?;
            let mut secret = vec![0; len];
            rng.fill(&mut secret).map_err(random_failed)?;
            let jwk_members = members(json!({ "kty": "oct", "k": b64(&secret) }));
            Ok(GeneratedKey { material: Generated::Secret(secret), jwk_members })
        }
        AlgorithmFamily::Rsa => generate_rsa(rsa_bits),
        AlgorithmFamily::Ec => {
            let (signing, curve_oid, crv, coordinate_len) = match alg {
                Algorithm::ES256 => {
                    (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der::OID_P256, "P-256", 32)
                }
                Algorithm::ES384 => {
                    (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, der::OID_P384, "P-384", 48)
                }
                _ => return Err(unsupported(alg)),
            };
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(signing, &rng).map_err(random_failed)?;
            let point = public_key(alg, EncodingKey::from_ec_der(pkcs8.as_ref()), "EC")?;
            let point = point.as_slice();
            let xy = point
                .strip_prefix(&[0x04])
                .filter(|xy| xy.len() == 2 * coordinate_len)
                .ok_or_else(|| CliError::failed("the backend returned an unexpected EC point"))?;
            let (x, y) = xy.split_at(coordinate_len);
            let jwk_members = members(json!({ "kty": "EC", "crv": crv, "x": b64(x), "y": b64(y) }));
            let public_spki = der::spki(der::OID_EC_PUBLIC_KEY, Some(curve_oid), point);
            let material = Generated::Pair { private_pkcs8: pkcs8.as_ref().to_vec(), public_spki };
            Ok(GeneratedKey { material, jwk_members })
        }
        AlgorithmFamily::Ed => {
            // The backends write PKCS#8 v2; a v1 key built from a fresh seed is what OpenSSL
            // writes and what every other tool (and jsonwebtoken's JWK export) reads.
            let mut seed = [0u8; 32];
            rng.fill(&mut seed).map_err(random_failed)?;
            let private_pkcs8 =
                der::pkcs8(der::OID_ED25519, None, &der::tlv(der::TAG_OCTET_STRING, &seed));
            seed.fill(0);
            let public = public_key(alg, EncodingKey::from_ed_der(&private_pkcs8), "Ed25519")?;
            let public = public.as_slice();
            let jwk_members = members(json!({ "kty": "OKP", "crv": "Ed25519", "x": b64(public) }));
            let public_spki = der::spki(der::OID_ED25519, None, public);
            Ok(GeneratedKey {
                material: Generated::Pair { private_pkcs8, public_spki },
                jwk_members,
            })
        }
    }
}

/// The public half of a freshly generated key, through the same preparation `mint` uses.
fn public_key(alg: Algorithm, key: EncodingKey, what: &str) -> Result<Vec<u8>, CliError> {
    let unusable = || CliError::failed(format!("generated {what} key unusable"));
    SigningKey::new(alg, &key).map_err(|_| unusable())?.public_key().ok_or_else(unusable)
}

fn generate_rsa(bits: usize) -> Result<GeneratedKey, CliError> {
    if !RSA_BITS.contains(&bits) {
        return Err(CliError::usage(format!("--bits must be 2048, 3072 or 4096, not {bits}")));
    }
    let (private_pkcs8, public_spki, n, e) = rsa_pair(bits)?;
    let jwk_members = members(json!({ "kty": "RSA", "n": b64(&n), "e": b64(&e) }));
    Ok(GeneratedKey { material: Generated::Pair { private_pkcs8, public_spki }, jwk_members })
}

/// An RSA key pair: PKCS#8 private key, SPKI public key, modulus and exponent (big-endian).
type RsaPair = (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>);

/// An RSA key pair made by the crypto backend (aws-lc).
#[cfg(not(feature = "ring"))]
fn rsa_pair(bits: usize) -> Result<RsaPair, CliError> {
    use credentialflow_core::jose::crypto::backend::encoding::AsDer;
    use credentialflow_core::jose::crypto::backend::rsa::{KeyPair, KeySize};
    use credentialflow_core::jose::crypto::backend::signature::KeyPair as _;
    let failed = |what: &str| CliError::failed(format!("RSA key {what} failed"));
    let size = match bits {
        2048 => KeySize::Rsa2048,
        3072 => KeySize::Rsa3072,
        _ => KeySize::Rsa4096,
    };
    let pair = KeyPair::generate(size).map_err(|_| failed("generation"))?;
    let private_pkcs8 = pair.as_der().map_err(|_| failed("encoding"))?.as_ref().to_vec();
    let public = pair.public_key();
    let public_spki = public.as_der().map_err(|_| failed("encoding"))?.as_ref().to_vec();
    let n = public.modulus().big_endian_without_leading_zero().to_vec();
    let e = public.exponent().big_endian_without_leading_zero().to_vec();
    Ok((private_pkcs8, public_spki, n, e))
}

/// An RSA key pair made by the `rsa` crate: ring, this build's backend, cannot generate RSA
/// keys (the `rsa` crate only generates and encodes them here; ring signs and verifies).
#[cfg(feature = "ring")]
fn rsa_pair(bits: usize) -> Result<RsaPair, CliError> {
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
    use rsa::traits::PublicKeyParts;
    let failed = |what: &str, e: &dyn std::fmt::Display| CliError::failed(format!("{what}: {e}"));
    let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, bits)
        .map_err(|e| failed("RSA key generation failed", &e))?;
    let private_pkcs8 = private
        .to_pkcs8_der()
        .map_err(|e| failed("cannot encode the RSA private key", &e))?
        .as_bytes()
        .to_vec();
    let public = private.to_public_key();
    let public_spki = public
        .to_public_key_der()
        .map_err(|e| failed("cannot encode the RSA public key", &e))?
        .as_bytes()
        .to_vec();
    Ok((private_pkcs8, public_spki, public.n().to_bytes_be(), public.e().to_bytes_be()))
}

fn members(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unsupported(alg: Algorithm) -> CliError {
    CliError::usage(format!("unsupported algorithm {alg:?}"))
}

/// The RFC 7638 thumbprint (SHA-256, base64url) of a JWK given its required members.
pub fn thumbprint(jwk_members: &Map<String, Value>) -> String {
    let members =
        jwk_members.iter().filter_map(|(name, value)| Some((name.as_str(), value.as_str()?)));
    credentialflow_core::jose::thumbprint::jwk_thumbprint(members)
}

/// Loads the key `mint` signs with (a raw secret for HS*, else a private key PEM), prepared
/// for signing.
pub fn load_signing_key(path: &Path, alg: Algorithm) -> Result<SigningKey, CliError> {
    let shown = path.display();
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::failed(format!("cannot read key file {shown}: {e}")))?;
    if alg.family() == AlgorithmFamily::Hmac {
        if bytes.is_empty() {
            return Err(CliError::failed(format!("secret file {shown} is empty")));
        }
        // Used byte for byte, so that e.g. a PEM public key can be used as an HMAC secret
        // to test alg-confusion defences.
        return prepare(EncodingKey::from_secret(&bytes), alg, &shown);
    }

    let curve = match alg {
        Algorithm::ES256 => Some(KeyKind::P256),
        Algorithm::ES384 => Some(KeyKind::P384),
        _ => None,
    };
    let private = parse_private_pem(&bytes, curve).map_err(|e| {
        let hint = match e {
            PrivateKeyError::NotPem => " (for HS* algorithms the key file is the raw secret)",
            _ => "",
        };
        CliError::failed(format!("{shown}: {e}{hint}"))
    })?;
    if !kind_fits(private.kind, alg) {
        return Err(CliError::failed(format!(
            "{shown} holds {}, which cannot sign {alg:?}",
            private.kind.describe()
        )));
    }
    prepare(private.key, alg, &shown)
}

/// Parses the key once, so a bad key is reported as such rather than as a signing failure.
fn prepare(
    key: EncodingKey,
    alg: Algorithm,
    shown: &dyn std::fmt::Display,
) -> Result<SigningKey, CliError> {
    SigningKey::new(alg, &key)
        .map_err(|e| CliError::failed(format!("{shown} cannot sign {alg:?}: {e}")))
}

fn kind_fits(kind: KeyKind, alg: Algorithm) -> bool {
    match alg.family() {
        AlgorithmFamily::Rsa => kind == KeyKind::Rsa,
        AlgorithmFamily::Ec => {
            (alg == Algorithm::ES256 && kind == KeyKind::P256)
                || (alg == Algorithm::ES384 && kind == KeyKind::P384)
        }
        AlgorithmFamily::Ed => kind == KeyKind::Ed25519,
        AlgorithmFamily::Hmac => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn setup() {
        assert!(credentialflow_core::jose::crypto::install_provider());
    }

    fn file_with(contents: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(contents).expect("write");
        file
    }

    fn pem_text(tag: &str, der: &[u8]) -> String {
        pem::encode(&pem::Pem::new(tag, der.to_vec()))
    }

    fn load_error(contents: &[u8], alg: Algorithm) -> String {
        match load_signing_key(file_with(contents).path(), alg) {
            Ok(_) => panic!("loaded a bad key for {alg:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn rfc7638_example_thumbprint() {
        let members = members(json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSo\
                  c_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YG\
                  jQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt\
                  -bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
        }));
        assert_eq!(thumbprint(&members), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn generated_keys_have_the_right_shape() {
        setup();
        for (alg, len) in [(Algorithm::HS256, 32), (Algorithm::HS384, 48), (Algorithm::HS512, 64)] {
            let key = generate(alg, 2048).expect("generates");
            let Generated::Secret(secret) = key.material else { panic!("not a secret") };
            assert_eq!(secret.len(), len);
            assert_eq!(key.jwk_members["kty"], "oct");
        }
        let key = generate(Algorithm::ES384, 2048).expect("generates");
        assert_eq!(key.jwk_members["crv"], "P-384");
        let Generated::Pair { private_pkcs8, public_spki } = key.material else { panic!("pair") };
        assert_eq!(der::pkcs8_key_kind(&private_pkcs8), Some(KeyKind::P384));
        assert_eq!(der::pkcs8_key_kind(&public_spki), Some(KeyKind::P384));
        let key = generate(Algorithm::EdDSA, 2048).expect("generates");
        let Generated::Pair { private_pkcs8, .. } = key.material else { panic!("pair") };
        assert_eq!(private_pkcs8.len(), 48, "PKCS#8 v1, as OpenSSL writes");
        assert!(generate(Algorithm::RS256, 1024).is_err());
    }

    #[test]
    fn sec1_keys_without_a_curve_name_load() {
        setup();
        let signing = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(signing, &SystemRandom::new()).expect("keygen");
        let mut outer = der::DerReader::new(pkcs8.as_ref());
        let mut fields = der::DerReader::new(outer.read(der::TAG_SEQUENCE).expect("PKCS#8"));
        fields.read(der::TAG_INTEGER).expect("version");
        fields.read(der::TAG_SEQUENCE).expect("algorithm");
        let sec1 = fields.read(der::TAG_OCTET_STRING).expect("ECPrivateKey");
        let pem = pem_text("EC PRIVATE KEY", sec1);
        let key = load_signing_key(file_with(pem.as_bytes()).path(), Algorithm::ES256)
            .expect("a SEC1 key loads");
        assert!(key.sign(b"m").is_ok());
        // Taken for P-384 it does not parse.
        assert!(load_error(pem.as_bytes(), Algorithm::ES384).contains("cannot sign ES384"));
    }

    #[test]
    fn bad_key_files_are_reported() {
        setup();
        assert!(load_error(b"", Algorithm::HS256).contains("empty"));
        assert!(load_error(b"not pem", Algorithm::RS256).contains("not a PEM file"));
        let spki = der::spki(der::OID_ED25519, None, &[1; 32]);
        let public = pem_text("PUBLIC KEY", &spki);
        assert!(load_error(public.as_bytes(), Algorithm::EdDSA).contains("holds a public key"));
        let encrypted = pem_text("ENCRYPTED PRIVATE KEY", &[0x30, 0]);
        assert!(load_error(encrypted.as_bytes(), Algorithm::RS256).contains("encrypted"));
        let garbage = pem_text("PRIVATE KEY", &[0x30, 0x03, 0x02, 0x01, 0x00]);
        assert!(load_error(garbage.as_bytes(), Algorithm::RS256).contains("malformed"));
        let ed = pem_text("PRIVATE KEY", &der::pkcs8(der::OID_ED25519, None, &[4, 32, 1]));
        assert!(load_error(ed.as_bytes(), Algorithm::RS256).contains("Ed25519 key"));
        assert!(load_error(ed.as_bytes(), Algorithm::EdDSA).contains("cannot sign EdDSA"));
        let rsa1 = pem_text("RSA PRIVATE KEY", &[0x30, 0]);
        assert!(load_error(rsa1.as_bytes(), Algorithm::ES256).contains("RSA key"));
        assert!(load_error(rsa1.as_bytes(), Algorithm::RS256).contains("malformed RSA key"));
        let missing = std::path::Path::new("/nonexistent/credentialflow/key.pem");
        assert!(load_signing_key(missing, Algorithm::RS256).is_err());
    }
}
