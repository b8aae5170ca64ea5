//! The families against each other, and against jsonwebtoken's own use of the provider.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{decode, encode, get_current_timestamp, Header, Validation};
use serde_json::{json, Value};

use super::backend::rand::SystemRandom;
use super::backend::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair};
use super::*;
use crate::jose::der::{DerReader, TAG_INTEGER, TAG_SEQUENCE};
use crate::jose::sign;

// RSA keys come from tests/fixtures/regenerate.sh (openssl): ring cannot generate RSA keys.
const RSA_PRIVATE_PKCS8: &str = include_str!("../../../tests/fixtures/rsa-2048-private.pem");
const RSA_PRIVATE_PKCS1: &str = include_str!("../../../tests/fixtures/rsa-2048-private-pkcs1.pem");
const RSA_PUBLIC_SPKI: &str = include_str!("../../../tests/fixtures/rsa-2048-public.pem");
const RSA_PUBLIC_PKCS1: &str = include_str!("../../../tests/fixtures/rsa-2048-public-pkcs1.pem");
const RSA_1024_PRIVATE: &str = include_str!("../../../tests/fixtures/rsa-1024-private.pem");
const RSA_1024_PUBLIC: &str = include_str!("../../../tests/fixtures/rsa-1024-public.pem");

/// Every algorithm, in jsonwebtoken's vocabulary.
fn all() -> impl Iterator<Item = Algorithm> {
    crate::jose::alg::Algorithm::ALL.into_iter().map(crate::jose::alg::Algorithm::to_jsonwebtoken)
}

struct Keys {
    enc: EncodingKey,
    dec: DecodingKey,
}

/// Only for the tests that go through jsonwebtoken's own `encode`, `decode` and JWK helpers.
fn setup() {
    assert!(install_provider(), "the {BACKEND_NAME} provider must be in force");
}

/// The DER inside a PEM file, without relying on jsonwebtoken's PEM handling.
fn pem_der(pem: &str) -> Vec<u8> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(b64).expect("fixture PEM is valid base64")
}

fn ec_pkcs8_and_point(alg: Algorithm) -> (Vec<u8>, Vec<u8>) {
    let params = ecdsa::parameters(alg).expect("an ECDSA algorithm");
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(params.signing, &SystemRandom::new())
        .expect("EC key generation");
    let pair = ecdsa::key_pair(alg, pkcs8.as_ref()).expect("own key");
    (pkcs8.as_ref().to_vec(), pair.public_key().as_ref().to_vec())
}

fn ed_pkcs8_and_public() -> (Vec<u8>, Vec<u8>) {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("Ed25519 keygen");
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("own key");
    (pkcs8.as_ref().to_vec(), pair.public_key().as_ref().to_vec())
}

fn keys_for(alg: Algorithm) -> Keys {
    match alg.family() {
        AlgorithmFamily::Hmac => Keys {
            enc: EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
            dec: DecodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        },
        AlgorithmFamily::Rsa => Keys {
            enc: EncodingKey::from_rsa_pem(RSA_PRIVATE_PKCS8.as_bytes()).expect("fixture"),
            dec: DecodingKey::from_rsa_pem(RSA_PUBLIC_SPKI.as_bytes()).expect("fixture"),
        },
        AlgorithmFamily::Ec => {
            let (pkcs8, point) = ec_pkcs8_and_point(alg);
            Keys { enc: EncodingKey::from_ec_der(&pkcs8), dec: DecodingKey::from_ec_der(&point) }
        }
        AlgorithmFamily::Ed => {
            let (pkcs8, public) = ed_pkcs8_and_public();
            Keys { enc: EncodingKey::from_ed_der(&pkcs8), dec: DecodingKey::from_ed_der(&public) }
        }
    }
}

/// One key of each family, none of them valid for anything but its own family.
fn key_of_family(family: AlgorithmFamily) -> Keys {
    match family {
        AlgorithmFamily::Hmac => keys_for(Algorithm::HS256),
        AlgorithmFamily::Rsa => keys_for(Algorithm::RS256),
        AlgorithmFamily::Ec => keys_for(Algorithm::ES256),
        AlgorithmFamily::Ed => keys_for(Algorithm::EdDSA),
    }
}

fn claims() -> Value {
    json!({ "sub": "alice", "exp": get_current_timestamp() + 600 })
}

/// A token signed by our [`SigningKey`] through the one minting helper.
fn mint(alg: Algorithm, enc: &EncodingKey) -> String {
    let key = SigningKey::new(alg, enc).expect("a signing key");
    let header = json!({ "alg": alg, "typ": "JWT" }).to_string();
    sign::mint(header.as_bytes(), claims().to_string().as_bytes(), &key).expect("signs")
}

/// (signing input, signature) of a compact JWS, the signature decoded.
fn split(token: &str) -> (&str, Vec<u8>) {
    let (message, sig) = token.rsplit_once('.').expect("a compact JWS");
    (message, URL_SAFE_NO_PAD.decode(sig).expect("base64url"))
}

fn verifies(token: &str, dec: &DecodingKey, alg: Algorithm) -> bool {
    let (message, sig) = split(token);
    PreparedVerifier::new(alg, dec)
        .expect("the key is usable")
        .verify_signature(message.as_bytes(), &sig)
}

fn verifier_error(alg: Algorithm, key: &DecodingKey) -> ErrorKind {
    match PreparedVerifier::new(alg, key) {
        Ok(_) => panic!("{alg:?} accepted the key"),
        Err(e) => e.into_kind(),
    }
}

fn signer_error(alg: Algorithm, key: &EncodingKey) -> ErrorKind {
    match SigningKey::new(alg, key) {
        Ok(_) => panic!("{alg:?} accepted the key"),
        Err(e) => e.into_kind(),
    }
}

/// Re-encodes a fixed-width ECDSA signature as the DER `ECDSA-Sig-Value` X.509 uses.
fn fixed_to_der(sig: &[u8]) -> Vec<u8> {
    let integer = |half: &[u8]| {
        let magnitude = strip_leading_zeros(half);
        let mut out = vec![TAG_INTEGER];
        let pad = magnitude.first().is_some_and(|b| b & 0x80 != 0);
        out.push(u8::try_from(magnitude.len() + usize::from(pad)).expect("short"));
        if pad {
            out.push(0);
        }
        out.extend_from_slice(magnitude);
        out
    };
    let (r, s) = sig.split_at(sig.len() / 2);
    let body = [integer(r), integer(s)].concat();
    let mut out = vec![TAG_SEQUENCE, u8::try_from(body.len()).expect("short")];
    out.extend(body);
    out
}

#[test]
fn install_is_idempotent() {
    setup();
    assert!(install_provider());
    assert!(install_provider());
}

#[test]
fn every_algorithm_round_trips() {
    for alg in all() {
        let keys = keys_for(alg);
        let token = mint(alg, &keys.enc);
        assert!(verifies(&token, &keys.dec, alg), "{alg:?}");
    }
}

#[test]
fn our_tokens_and_jsonwebtokens_agree() {
    setup();
    for alg in all() {
        let keys = keys_for(alg);
        // Ours, read by jsonwebtoken through the provider in force.
        let data = decode::<Value>(&mint(alg, &keys.enc), &keys.dec, &Validation::new(alg))
            .unwrap_or_else(|e| panic!("{alg:?}: {e}"));
        assert_eq!(data.claims["sub"], "alice");
        assert_eq!(data.header.alg, alg);
        // jsonwebtoken's, read by ours.
        let theirs = encode(&Header::new(alg), &claims(), &keys.enc).expect("signs");
        assert!(verifies(&theirs, &keys.dec, alg), "{alg:?}");
    }
}

#[test]
fn signature_lengths_match_the_jwa() {
    let expected = [
        (Algorithm::HS256, 32),
        (Algorithm::HS384, 48),
        (Algorithm::HS512, 64),
        (Algorithm::RS256, 256),
        (Algorithm::PS512, 256),
        (Algorithm::ES256, 64),
        (Algorithm::ES384, 96),
        (Algorithm::EdDSA, 64),
    ];
    for (alg, len) in expected {
        let key = SigningKey::new(alg, &keys_for(alg).enc).expect("a signing key");
        assert_eq!(key.sign(b"message").expect("signs").len(), len, "{alg:?}");
        assert_eq!(key.algorithm(), alg);
    }
}

#[test]
fn tampered_tokens_are_rejected() {
    for alg in all() {
        let keys = keys_for(alg);
        let verifier = PreparedVerifier::new(alg, &keys.dec).expect("usable");
        let token = mint(alg, &keys.enc);
        let (message, sig) = split(&token);

        let mut forged = message.to_owned();
        forged.push('A');
        assert!(!verifier.verify_signature(forged.as_bytes(), &sig), "{alg:?}");

        let mut bad_sig = sig.clone();
        bad_sig[0] ^= 1;
        assert!(!verifier.verify_signature(message.as_bytes(), &bad_sig), "{alg:?}");
        assert!(!verifier.verify_signature(message.as_bytes(), b""), "{alg:?}");
        assert!(verifier.verify_signature(message.as_bytes(), &sig), "{alg:?}");
    }
}

#[test]
fn a_key_of_another_family_is_refused() {
    let families =
        [AlgorithmFamily::Hmac, AlgorithmFamily::Rsa, AlgorithmFamily::Ec, AlgorithmFamily::Ed];
    for alg in all() {
        for family in families.into_iter().filter(|f| *f != alg.family()) {
            let keys = key_of_family(family);
            assert!(
                matches!(verifier_error(alg, &keys.dec), ErrorKind::InvalidAlgorithm),
                "{alg:?} verifier with a {family:?} key"
            );
            assert!(
                matches!(signer_error(alg, &keys.enc), ErrorKind::InvalidAlgorithm),
                "{alg:?} signer with a {family:?} key"
            );
        }
    }
}

#[test]
fn rsa_public_key_bytes_never_verify_an_hmac_token() {
    // The alg-confusion attack: an HS256 token MACed with the RSA public key's bytes,
    // presented to a verifier holding that RSA key.
    let rsa_public = DecodingKey::from_rsa_pem(RSA_PUBLIC_SPKI.as_bytes()).expect("fixture");
    let secret = pem_der(RSA_PUBLIC_SPKI);
    let token = mint(Algorithm::HS256, &EncodingKey::from_secret(&secret));
    assert!(PreparedVerifier::new(Algorithm::HS256, &rsa_public).is_err());
    assert!(verifies(&token, &DecodingKey::from_secret(&secret), Algorithm::HS256));
}

#[test]
fn an_empty_hmac_key_is_refused() {
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let kind = verifier_error(alg, &DecodingKey::from_secret(b""));
        assert!(matches!(kind, ErrorKind::InvalidKeyFormat), "{alg:?}: {kind:?}");
        let kind = signer_error(alg, &EncodingKey::from_secret(b""));
        assert!(matches!(kind, ErrorKind::InvalidKeyFormat), "{alg:?}: {kind:?}");
    }
}

#[test]
fn a_der_ecdsa_signature_is_rejected() {
    for alg in [Algorithm::ES256, Algorithm::ES384] {
        let keys = keys_for(alg);
        let verifier = PreparedVerifier::new(alg, &keys.dec).expect("usable");
        let token = mint(alg, &keys.enc);
        let (message, sig) = split(&token);
        assert!(!verifier.verify_signature(message.as_bytes(), &fixed_to_der(&sig)), "{alg:?}");
        assert!(verifier.verify_signature(message.as_bytes(), &sig), "{alg:?}");
    }
}

#[test]
fn rsa_signatures_do_not_cross_paddings_or_hashes() {
    let keys = keys_for(Algorithm::RS256);
    let pairs = [
        (Algorithm::RS256, Algorithm::PS256),
        (Algorithm::PS256, Algorithm::RS256),
        (Algorithm::RS256, Algorithm::RS384),
        (Algorithm::PS384, Algorithm::PS512),
    ];
    for (signed_as, verified_as) in pairs {
        let token = mint(signed_as, &keys.enc);
        assert!(!verifies(&token, &keys.dec, verified_as), "{signed_as:?} as {verified_as:?}");
    }
}

#[test]
fn ecdsa_keys_must_match_the_curve() {
    let (p256_pkcs8, p256_point) = ec_pkcs8_and_point(Algorithm::ES256);
    let kind = verifier_error(Algorithm::ES384, &DecodingKey::from_ec_der(&p256_point));
    assert!(matches!(kind, ErrorKind::InvalidEcdsaKey), "{kind:?}");
    let kind = signer_error(Algorithm::ES384, &EncodingKey::from_ec_der(&p256_pkcs8));
    assert!(matches!(kind, ErrorKind::InvalidEcdsaKey), "{kind:?}");
    // A compressed point (02/03 prefix) is refused too.
    let mut compressed = p256_point[..33].to_vec();
    compressed[0] = 0x02;
    let kind = verifier_error(Algorithm::ES256, &DecodingKey::from_ec_der(&compressed));
    assert!(matches!(kind, ErrorKind::InvalidEcdsaKey), "{kind:?}");
}

#[test]
fn every_rsa_key_form_works() {
    let pkcs1_signer = EncodingKey::from_rsa_pem(RSA_PRIVATE_PKCS1.as_bytes()).expect("PKCS#1");
    let spki_der = pem_der(RSA_PUBLIC_SPKI);
    let parts = rsa::parse_public_key(&spki_der).expect("SPKI parses");
    let (n, e) = (parts.n.to_vec(), parts.e.to_vec());
    let mut padded_n = vec![0];
    padded_n.extend_from_slice(&n);
    let verifiers = [
        DecodingKey::from_rsa_pem(RSA_PUBLIC_SPKI.as_bytes()).expect("SPKI PEM"),
        DecodingKey::from_rsa_pem(RSA_PUBLIC_PKCS1.as_bytes()).expect("PKCS#1 PEM"),
        DecodingKey::from_rsa_der(&pem_der(RSA_PUBLIC_PKCS1)),
        DecodingKey::from_rsa_der(&spki_der),
        DecodingKey::from_rsa_raw_components(&n, &e),
        DecodingKey::from_rsa_raw_components(&padded_n, &e),
    ];
    for alg in [Algorithm::RS256, Algorithm::PS256] {
        for signer in [&pkcs1_signer, &keys_for(alg).enc] {
            let token = mint(alg, signer);
            for (i, dec) in verifiers.iter().enumerate() {
                assert!(verifies(&token, dec, alg), "{alg:?} with verifier key #{i}");
            }
        }
    }
}

#[test]
fn rsa_keys_below_2048_bits_are_refused() {
    let small = DecodingKey::from_rsa_pem(RSA_1024_PUBLIC.as_bytes()).expect("parses as PEM");
    let kind = verifier_error(Algorithm::RS256, &small);
    assert!(matches!(kind, ErrorKind::InvalidRsaKey(_)), "{kind:?}");
    let der = pem_der(RSA_1024_PUBLIC);
    let parts = rsa::parse_public_key(&der).expect("parses");
    let kind =
        verifier_error(Algorithm::RS256, &DecodingKey::from_rsa_raw_components(parts.n, parts.e));
    assert!(matches!(kind, ErrorKind::InvalidRsaKey(_)), "{kind:?}");
    let small = EncodingKey::from_rsa_pem(RSA_1024_PRIVATE.as_bytes()).expect("parses as PEM");
    let kind = signer_error(Algorithm::RS256, &small);
    assert!(matches!(kind, ErrorKind::InvalidRsaKey(_)), "{kind:?}");
}

#[cfg(feature = "ring")]
#[test]
fn key_utils_agree_with_the_keys() {
    use jsonwebtoken::jwk::EllipticCurve;
    let from_private = rsa::components_from_private_key(&pem_der(RSA_PRIVATE_PKCS1)).unwrap();
    let from_pkcs8 = rsa::components_from_private_key(&pem_der(RSA_PRIVATE_PKCS8)).unwrap();
    let from_spki = rsa::components_from_public_key(&pem_der(RSA_PUBLIC_SPKI)).unwrap();
    let from_pkcs1 = rsa::components_from_public_key(&pem_der(RSA_PUBLIC_PKCS1)).unwrap();
    assert_eq!(from_private, from_pkcs8);
    assert_eq!(from_private, from_spki);
    assert_eq!(from_private, from_pkcs1);
    assert_eq!(from_private.0.len(), 256);
    assert_eq!(from_private.1, [1, 0, 1]);

    for (alg, curve) in
        [(Algorithm::ES256, EllipticCurve::P256), (Algorithm::ES384, EllipticCurve::P384)]
    {
        let (pkcs8, point) = ec_pkcs8_and_point(alg);
        let (got_curve, x, y) = ecdsa::components_from_private_key(&pkcs8, alg).unwrap();
        assert_eq!(got_curve, curve);
        assert_eq!([&[4][..], &x, &y].concat(), point);
    }
    let (pkcs8, public) = ed_pkcs8_and_public();
    assert_eq!(eddsa::public_from_private_key(&pkcs8, &EllipticCurve::Ed25519).unwrap(), public);
    assert!(eddsa::public_from_private_key(&pkcs8, &EllipticCurve::P256).is_err());
}

#[test]
fn thumbprint_digests() {
    setup();
    let digest = |hash| {
        let jwk: Jwk = serde_json::from_value(json!({ "kty": "oct", "k": "YWJj" })).expect("a JWK");
        URL_SAFE_NO_PAD.decode(jwk.thumbprint(hash).expect("digests")).expect("base64url").len()
    };
    assert_eq!(digest(ThumbprintHash::SHA256), 32);
    assert_eq!(digest(ThumbprintHash::SHA384), 48);
    assert_eq!(digest(ThumbprintHash::SHA512), 64);
}

#[test]
fn rfc7638_thumbprint() {
    setup();
    let jwk: Jwk = serde_json::from_value(json!({
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSo\
              c_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YG\
              jQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt\
              -bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29"
    }))
    .expect("the RFC 7638 example key");
    let thumbprint = jwk.thumbprint(ThumbprintHash::SHA256).expect("computes");
    assert_eq!(thumbprint, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

#[test]
fn jwks_built_from_keys_verify_tokens() {
    setup();
    for alg in all() {
        let keys = keys_for(alg);
        let token = mint(alg, &keys.enc);
        let from_public = Jwk::from_decoding_key(&keys.dec, Some(alg)).expect("exports");
        let dec = DecodingKey::from_jwk(&from_public).expect("imports");
        assert!(verifies(&token, &dec, alg), "{alg:?} via the public key's JWK");
        // jsonwebtoken's own Ed25519 export only takes 48-byte PKCS#8 v1 keys; the backends
        // make v2.
        if alg != Algorithm::EdDSA {
            let from_private = Jwk::from_encoding_key(&keys.enc, alg).expect("exports");
            let dec = DecodingKey::from_jwk(&from_private).expect("imports");
            assert!(verifies(&token, &dec, alg), "{alg:?} via the private key's JWK");
        }
    }
}

#[test]
fn garbage_keys_are_errors_not_panics() {
    let lengths = [0, 1, 2, 31, 32, 33, 48, 64, 65, 97, 256, 300, 1100];
    for alg in all() {
        for &len in &lengths {
            for fill in [0x00u8, 0x04, 0x30, 0xff] {
                let bytes = vec![fill; len];
                let dec = match alg.family() {
                    AlgorithmFamily::Hmac => DecodingKey::from_secret(&bytes),
                    AlgorithmFamily::Rsa => DecodingKey::from_rsa_der(&bytes),
                    AlgorithmFamily::Ec => DecodingKey::from_ec_der(&bytes),
                    AlgorithmFamily::Ed => DecodingKey::from_ed_der(&bytes),
                };
                if let Ok(verifier) = PreparedVerifier::new(alg, &dec) {
                    assert!(!verifier.verify_signature(b"m", &vec![fill; len]), "{alg:?}");
                }
                let enc = match alg.family() {
                    AlgorithmFamily::Hmac => EncodingKey::from_secret(&bytes),
                    AlgorithmFamily::Rsa => EncodingKey::from_rsa_der(&bytes),
                    AlgorithmFamily::Ec => EncodingKey::from_ec_der(&bytes),
                    AlgorithmFamily::Ed => EncodingKey::from_ed_der(&bytes),
                };
                let signed = SigningKey::new(alg, &enc);
                assert_eq!(signed.is_ok(), alg.family() == AlgorithmFamily::Hmac && len > 0);
            }
        }
    }
    let rsa_empty = DecodingKey::from_rsa_raw_components(&[], &[]);
    assert!(PreparedVerifier::new(Algorithm::RS256, &rsa_empty).is_err());
    let der = pem_der(RSA_PUBLIC_SPKI);
    let n = rsa::parse_public_key(&der).expect("parses").n;
    let zero_e = DecodingKey::from_rsa_raw_components(n, &[0, 0]);
    assert!(PreparedVerifier::new(Algorithm::RS256, &zero_e).is_err());
}

#[test]
fn truncated_der_is_an_error_not_a_panic() {
    for pem in [RSA_PUBLIC_SPKI, RSA_PUBLIC_PKCS1, RSA_PRIVATE_PKCS1, RSA_PRIVATE_PKCS8] {
        let der = pem_der(pem);
        for end in 0..der.len() {
            assert!(rsa::parse_public_key(&der[..end]).is_none());
            assert!(rsa::parse_private_key(&der[..end]).is_err());
        }
    }
    for alg in [Algorithm::ES256, Algorithm::ES384] {
        let (pkcs8, _) = ec_pkcs8_and_point(alg);
        for end in 0..pkcs8.len() {
            assert!(ecdsa::key_pair(alg, &pkcs8[..end]).is_err());
        }
    }
    let (pkcs8, _) = ed_pkcs8_and_public();
    for end in 0..pkcs8.len() {
        assert!(eddsa::key_pair(&pkcs8[..end]).is_err());
    }
}

#[test]
fn der_reader_is_strict() {
    // Long-form length for a short value is not DER.
    assert!(DerReader::new(&[0x04, 0x81, 0x01, 0xaa]).read(0x04).is_none());
    assert_eq!(DerReader::new(&[0x04, 0x01, 0xaa]).read(0x04), Some(&[0xaa][..]));
    // Indefinite length, a leading zero length byte, and overlong input are refused.
    assert!(DerReader::new(&[0x30, 0x80, 0x00, 0x00]).read(0x30).is_none());
    assert!(DerReader::new(&[0x04, 0x82, 0x00, 0x81]).read(0x04).is_none());
    assert!(DerReader::new(&[0x04, 0x05, 0xaa]).read(0x04).is_none());
    // Integers: negative, zero and needlessly padded ones are refused.
    for bad in
        [&[0x02, 0x01, 0x80][..], &[0x02, 0x01, 0x00], &[0x02, 0x02, 0x00, 0x01], &[0x02, 0x00]]
    {
        assert!(DerReader::new(bad).read_positive_integer().is_none(), "{bad:02x?}");
    }
    assert_eq!(
        DerReader::new(&[0x02, 0x02, 0x00, 0x80]).read_positive_integer(),
        Some(&[0x80][..])
    );
    // Trailing bytes after the key, and an SPKI for another algorithm, are refused.
    let mut der = pem_der(RSA_PUBLIC_PKCS1);
    der.push(0);
    assert!(rsa::parse_public_key(&der).is_none());
    let mut spki = pem_der(RSA_PUBLIC_SPKI);
    let oid = rsa::OID_RSA_ENCRYPTION;
    let oid_at = spki.windows(oid.len()).position(|w| w == oid);
    spki[oid_at.expect("the OID is in the SPKI") + oid.len() - 1] = 0x0b;
    assert!(rsa::parse_public_key(&spki).is_none());
    assert!(rsa::is_pkcs8(&pem_der(RSA_PRIVATE_PKCS8)));
    assert!(!rsa::is_pkcs8(&pem_der(RSA_PRIVATE_PKCS1)));
}

/// A `fips` build runs on aws-lc's FIPS module in FIPS mode (its power-on self-tests passed);
/// other builds make no FIPS claim and pass the check trivially.
#[test]
fn the_fips_check_matches_the_build() {
    assert_eq!(check_fips_mode(), Ok(()));
    #[cfg(feature = "fips")]
    assert_eq!(aws_lc_rs::try_fips_mode(), Ok(()));
    let expected = if cfg!(feature = "fips") {
        "aws-lc-fips"
    } else if cfg!(feature = "aws-lc") {
        "aws-lc"
    } else {
        "ring"
    };
    assert_eq!(BACKEND_NAME, expected);
}
