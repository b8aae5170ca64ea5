//! Signature verification: a key set plus an algorithm allow-list, fixed at config time.

use jsonwebtoken::DecodingKeyKind;

use crate::fingerprint::content_id;
use crate::jose::alg::{Algorithm, AlgorithmSet, KeyFamily};
use crate::jose::claims::Claims;
use crate::jose::crypto::PreparedVerifier;
use crate::jose::header::HeaderMemo;
use crate::jose::keys::{kid_matches, VerifyKey};
use crate::jose::{b64, jws};
use crate::reject::Rejection;

/// A token whose signature verified: its algorithm and typed claims (with the header's `kid`
/// and `typ`, and the token itself). Cloning shares the claims: no copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// The algorithm that verified it.
    pub alg: Algorithm,
    /// The registered claims, `kid` and `typ`.
    pub claims: Claims,
}

/// Why a verifier cannot be built from a configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifierError {
    /// No key was configured.
    #[error("no key configured")]
    NoKeys,
    /// The allow-list and the keys have no algorithm in common.
    #[error("no configured key can verify any of the allowed algorithms ({0})")]
    NothingVerifiable(AlgorithmSet),
    /// An allowed HMAC algorithm needs a longer secret than any configured one.
    #[error("no configured HMAC secret is long enough for {0} (at least {1} bytes required)")]
    SecretTooShortFor(&'static str, usize),
    /// The crypto backend refused a key.
    #[error("a key cannot be used for {0}: {1}")]
    UnusableKey(&'static str, String),
}

/// Keys a token's `kid` does not name (keys without a `kid` for a token with one; every key
/// for a token without) are tried only while they number at most this many for the token's
/// algorithm: with more, they are not tried, and a token with nothing else to try is refused
/// unchecked (a forged token must not cost a worker one signature check per published key,
/// whatever `kid` it carries). Keys whose `kid` equals the token's are always tried.
pub const MAX_KIDLESS_CANDIDATES: usize = 4;

/// One configured key made ready, at config time, for one algorithm it may verify.
struct PreparedKey {
    kid: Option<Box<str>>,
    alg: Algorithm,
    verifier: PreparedVerifier,
    /// The only issuer whose tokens it verifies (`VerifyKey::issuer`).
    issuer: Option<std::sync::Arc<str>>,
}

impl PreparedKey {
    /// One signature check with this key.
    fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        #[cfg(test)]
        tests::record_check(self);
        self.verifier.verify_signature(message, signature)
    }
}

impl std::fmt::Debug for PreparedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedKey").field("kid", &self.kid).field("alg", &self.alg).finish()
    }
}

/// The key set's generation: a fingerprint of every key (kid, algorithm, key bytes) and of the
/// allow-list. Cached verifications are stored under it, so a token verified by one key set
/// never satisfies another, and a key set that changes (a reload, a fetched JWKS) voids them.
fn key_set_id(keys: &[VerifyKey], algorithms: AlgorithmSet) -> u64 {
    let allowed = algorithms.to_string();
    let mut parts: Vec<&[u8]> = vec![b"credentialflow key set v1", allowed.as_bytes()];
    for key in keys {
        parts.push(key.kid.as_deref().map_or(b"-", str::as_bytes));
        parts.push(key.pinned.map_or("-", |alg| alg.name()).as_bytes());
        parts.push(key.issuer.as_deref().map_or(b"-", str::as_bytes));
        match key.key.kind() {
            DecodingKeyKind::SecretOrDer(bytes) => parts.push(bytes),
            DecodingKeyKind::RsaModulusExponent { n, e } => parts.extend([&n[..], &e[..]]),
        }
    }
    content_id(parts)
}

/// Verifies compact JWS tokens against a fixed key set and allow-list.
#[derive(Debug)]
pub struct Verifier {
    id: u64,
    keys: Vec<PreparedKey>,
    algorithms: AlgorithmSet,
    /// Issuers some key is bound to: their tokens verify with their own keys only.
    bound_issuers: Vec<std::sync::Arc<str>>,
}

impl Verifier {
    /// Builds a verifier. `allowed: None` allows every algorithm the keys can verify.
    pub fn new(keys: Vec<VerifyKey>, allowed: Option<AlgorithmSet>) -> Result<Self, VerifierError> {
        if keys.is_empty() {
            return Err(VerifierError::NoKeys);
        }
        let verifiable: AlgorithmSet = keys.iter().flat_map(|k| k.algorithms().iter()).collect();
        let algorithms = match allowed {
            None => verifiable,
            Some(allowed) => {
                let has_hmac = keys.iter().any(|k| k.family == KeyFamily::Hmac);
                if let Some(alg) = allowed.iter().find(|alg| {
                    has_hmac && alg.family() == KeyFamily::Hmac && !verifiable.contains(*alg)
                }) {
                    return Err(VerifierError::SecretTooShortFor(alg.name(), alg.min_secret_len()));
                }
                allowed.intersection(verifiable)
            }
        };
        if algorithms.is_empty() {
            return Err(VerifierError::NothingVerifiable(allowed.unwrap_or_default()));
        }
        let mut prepared = Vec::new();
        for key in &keys {
            for alg in key.algorithms().intersection(algorithms).iter() {
                let verifier = PreparedVerifier::new(alg.to_jsonwebtoken(), &key.key)
                    .map_err(|e| VerifierError::UnusableKey(alg.name(), e.to_string()))?;
                let issuer = key.issuer.clone();
                prepared.push(PreparedKey { kid: key.kid.clone(), alg, verifier, issuer });
            }
        }
        let mut bound_issuers: Vec<std::sync::Arc<str>> = Vec::new();
        for issuer in keys.iter().filter_map(|key| key.issuer.as_ref()) {
            if !bound_issuers.contains(issuer) {
                bound_issuers.push(issuer.clone());
            }
        }
        let id = key_set_id(&keys, algorithms);
        Ok(Verifier { id, keys: prepared, algorithms, bound_issuers })
    }

    /// The key set's generation (see `key_set_id`): the same in every worker and across
    /// reloads for the same keys and allow-list, different as soon as either changes.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The algorithms this verifier accepts.
    pub fn algorithms(&self) -> AlgorithmSet {
        self.algorithms
    }

    /// Verifies the signature, then decodes and types the claims. At most one signature check
    /// per configured key; claims are not even decoded unless the signature verifies.
    /// The JOSE header is taken from or kept in `memo` (the worker's; a test's own).
    pub fn verify(&self, token: &[u8], memo: &mut HeaderMemo) -> Result<VerifiedToken, Rejection> {
        let jws = jws::parse(token, memo)?;
        let alg = jws.header.alg;
        if !self.algorithms.contains(alg) {
            return Err(Rejection::AlgorithmNotAllowed);
        }
        let kid = jws.header.kid.as_deref();
        // Each configured key appears at most once per algorithm: at most one check per key.
        let named = |key: &&PreparedKey| kid.is_some() && key.kid.as_deref() == kid;
        let candidates = || {
            self.keys.iter().filter(|key| key.alg == alg && kid_matches(key.kid.as_deref(), kid))
        };
        let unnamed = candidates().filter(|key| !named(key)).take(MAX_KIDLESS_CANDIDATES + 1);
        let try_unnamed = unnamed.count() <= MAX_KIDLESS_CANDIDATES;
        let mut tried = candidates().filter(|key| try_unnamed || named(key)).peekable();
        if tried.peek().is_none() {
            return Err(match candidates().next() {
                None => Rejection::NoMatchingKey,
                // Keys that could verify it, too many to try unnamed.
                Some(_) => Rejection::BadHeader,
            });
        }
        let Some(key) = tried.find(|key| key.verifies(jws.signing_input, &jws.signature)) else {
            return Err(Rejection::BadSignature);
        };
        let payload = b64::decode(jws.payload_segment).ok_or(Rejection::Malformed)?;
        let header = &jws.header;
        let (kid, typ) = (header.kid.as_deref(), header.typ.as_deref());
        let claims = Claims::parse_for_token(&payload, kid, typ, token)?;
        self.check_binding(key, &claims)?;
        Ok(VerifiedToken { alg, claims })
    }

    /// A key bound to an issuer verifies that issuer's tokens only, and a bound issuer's
    /// tokens verify with its own keys only (the server's own `iss` and `client_id=admin`,
    /// signed by an identity provider's key, are refused where both are trusted).
    fn check_binding(&self, key: &PreparedKey, claims: &Claims) -> Result<(), Rejection> {
        let iss = claims.iss();
        match &key.issuer {
            Some(bound) if iss != Some(&**bound) => Err(Rejection::WrongIssuer),
            None if iss.is_some_and(|iss| self.bound_issuers.iter().any(|b| **b == *iss)) => {
                Err(Rejection::WrongIssuer)
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use jsonwebtoken::EncodingKey;

    use crate::jose::crypto::backend::rand::SystemRandom;
    use crate::jose::crypto::backend::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    use crate::jose::sign::{self, SigningKey};

    use super::*;
    use crate::jose::keys::{parse_key_file, KeyFormat};

    thread_local! {
        /// The keys `verify` checked a signature with on this thread, in order.
        static CHECKED: RefCell<Vec<(Option<Box<str>>, Algorithm)>> = const { RefCell::new(Vec::new()) };
    }

    pub(super) fn record_check(key: &PreparedKey) {
        CHECKED.with_borrow_mut(|checked| checked.push((key.kid.clone(), key.alg)));
    }

    /// Verifies `token`, returning the outcome and the keys it was checked with.
    fn verify(
        verifier: &Verifier,
        token: &str,
    ) -> (Result<(), Rejection>, Vec<(String, Algorithm)>) {
        CHECKED.with_borrow_mut(Vec::clear);
        let outcome = verifier.verify(token.as_bytes(), &mut HeaderMemo::default()).map(|_| ());
        let checked = CHECKED.with_borrow_mut(std::mem::take);
        let named =
            checked.into_iter().map(|(kid, alg)| (kid.as_deref().unwrap_or("-").to_string(), alg));
        (outcome, named.collect())
    }

    const H1: &[u8] = &[1; 32];
    const H2: &[u8] = &[2; 32];
    /// Long enough for every HMAC algorithm; configured without a `kid`.
    const H3: &[u8] = &[3; 64];
    /// Pinned to HS256 by its JWK `alg`, though long enough for HS512.
    const PINNED: &[u8] = &[6; 64];
    const RSA_PUBLIC: &[u8] = include_bytes!("../tests/fixtures/rsa-2048-public.pem");

    enum Signer {
        Hmac(&'static [u8]),
        Ec(P256),
    }

    impl Signer {
        /// The key for a token whose header says `alg`; an HMAC secret MACs with HS256 under
        /// any other family's name (the algorithm-confusion cases).
        fn key(&self, alg: Algorithm) -> SigningKey {
            let (alg, key) = match self {
                Signer::Hmac(secret) => {
                    let alg = if alg.family() == KeyFamily::Hmac { alg } else { Algorithm::HS256 };
                    (alg, EncodingKey::from_secret(secret))
                }
                Signer::Ec(pair) => (alg, EncodingKey::from_ec_der(&pair.pkcs8)),
            };
            SigningKey::new(alg.to_jsonwebtoken(), &key).expect("a signing key")
        }
    }

    /// A P-256 key pair: PKCS#8 and the uncompressed public point.
    struct P256 {
        pkcs8: Vec<u8>,
        point: Vec<u8>,
    }

    fn p256() -> P256 {
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .expect("P-256 key generation");
        let enc = EncodingKey::from_ec_der(pkcs8.as_ref());
        let key = SigningKey::new(jsonwebtoken::Algorithm::ES256, &enc).expect("own key");
        let point = key.public_key().expect("an EC key has a public key");
        P256 { pkcs8: pkcs8.as_ref().to_vec(), point }
    }

    /// A JWK for a P-256 public key (uncompressed point: 0x04, x, y).
    fn ec_jwk(kid: &str, pair: &P256) -> String {
        let (x, y) = pair.point.get(1..).unwrap_or_default().split_at(32);
        format!(
            r#"{{"kty":"EC","crv":"P-256","kid":"{kid}","x":"{}","y":"{}"}}"#,
            b64::encode(x),
            b64::encode(y)
        )
    }

    fn oct_jwk(kid: &str, secret: &[u8], alg: Option<&str>) -> String {
        let alg = alg.map(|alg| format!(r#","alg":"{alg}""#)).unwrap_or_default();
        format!(r#"{{"kty":"oct","kid":"{kid}","k":"{}"{alg}}}"#, b64::encode(secret))
    }

    fn mint(alg: Algorithm, kid: Option<&str>, claims: &str, signer: &Signer) -> String {
        let kid = kid.map(|kid| format!(r#","kid":"{kid}""#)).unwrap_or_default();
        let header = format!(r#"{{"alg":"{}"{kid}}}"#, alg.name());
        sign::mint(header.as_bytes(), claims.as_bytes(), &signer.key(alg)).expect("signs")
    }

    /// The configured keys, in order: a JWKS (h1, h2, p, e1, e2), a secret and an RSA PEM key
    /// (neither with a `kid`).
    fn keys(e1: &P256, e2: &P256) -> Vec<VerifyKey> {
        let jwks = format!(
            r#"{{"keys":[{},{},{},{},{}]}}"#,
            oct_jwk("h1", H1, None),
            oct_jwk("h2", H2, None),
            oct_jwk("p", PINNED, Some("HS256")),
            ec_jwk("e1", e1),
            ec_jwk("e2", e2),
        );
        let files = [
            (jwks.as_bytes(), KeyFormat::Jwks),
            (H3, KeyFormat::Secret),
            (RSA_PUBLIC, KeyFormat::Pem),
        ];
        files
            .into_iter()
            .flat_map(|(bytes, format)| parse_key_file(bytes, Some(format)).expect("test key").keys)
            .collect()
    }

    fn ec_keys(pairs: &[(&str, &P256)]) -> Vec<VerifyKey> {
        let jwks: Vec<String> = pairs.iter().map(|(kid, pair)| ec_jwk(kid, pair)).collect();
        let text = format!(r#"{{"keys":[{}]}}"#, jwks.join(","));
        parse_key_file(text.as_bytes(), Some(KeyFormat::Jwks)).expect("test keys").keys
    }

    #[test]
    fn a_bound_key_verifies_its_issuers_tokens_only_and_they_verify_with_it_only() {
        // RFC 9068 §4 (the issuer's keys are the issuer's): an identity provider's key signing
        // the server's own `iss` with client_id=admin is refused where both are trusted.
        let (own, idp) = (p256(), p256());
        let mut keys = ec_keys(&[("own", &own), ("idp", &idp)]);
        keys[0].issuer = Some("https://as.example".into());
        let verifier = Verifier::new(keys, None).expect("verifier");
        let (own, idp) = (Signer::Ec(own), Signer::Ec(idp));
        let outcome = |token: String| verify(&verifier, &token).0;
        let es = Algorithm::ES256;
        let as_own = r#"{"iss":"https://as.example","client_id":"admin"}"#;
        let as_idp = r#"{"iss":"https://idp.example"}"#;
        assert_eq!(outcome(mint(es, Some("own"), as_own, &own)), Ok(()));
        assert_eq!(outcome(mint(es, Some("idp"), as_idp, &idp)), Ok(()));
        assert_eq!(outcome(mint(es, Some("idp"), as_own, &idp)), Err(Rejection::WrongIssuer));
        assert_eq!(outcome(mint(es, Some("own"), as_idp, &own)), Err(Rejection::WrongIssuer));
        assert_eq!(outcome(mint(es, None, as_own, &idp)), Err(Rejection::WrongIssuer));
        assert_eq!(outcome(mint(es, Some("own"), "{}", &own)), Err(Rejection::WrongIssuer));
    }

    #[test]
    fn a_token_without_kid_is_tried_against_a_few_keys_at_most() {
        let pairs: Vec<P256> = (0..=MAX_KIDLESS_CANDIDATES).map(|_| p256()).collect();
        let named: Vec<(String, &P256)> =
            pairs.iter().enumerate().map(|(at, pair)| (format!("k{at}"), pair)).collect();
        let named: Vec<(&str, &P256)> =
            named.iter().map(|(kid, pair)| (kid.as_str(), *pair)).collect();
        let few = Verifier::new(ec_keys(&named[..MAX_KIDLESS_CANDIDATES]), None).expect("few");
        let many = Verifier::new(ec_keys(&named), None).expect("many");
        let last = Signer::Ec(P256 {
            pkcs8: pairs[MAX_KIDLESS_CANDIDATES - 1].pkcs8.clone(),
            point: pairs[MAX_KIDLESS_CANDIDATES - 1].point.clone(),
        });
        let token = mint(Algorithm::ES256, None, "{}", &last);
        let (outcome, checked) = verify(&few, &token);
        assert_eq!((outcome, checked.len()), (Ok(()), MAX_KIDLESS_CANDIDATES));
        let (outcome, checked) = verify(&many, &token);
        assert_eq!((outcome, checked.len()), (Err(Rejection::BadHeader), 0), "refused unchecked");
        let with_kid = mint(Algorithm::ES256, Some("k3"), "{}", &last);
        assert_eq!(verify(&many, &with_kid), (Ok(()), vec![("k3".into(), Algorithm::ES256)]));
    }

    #[test]
    fn a_made_up_kid_does_not_make_keys_without_kid_all_candidates() {
        // Keys without a kid match any token kid: a token naming a kid nobody has must not be
        // checked against more than a few of them either.
        let secrets: Vec<&'static [u8]> =
            (0..=MAX_KIDLESS_CANDIDATES as u8).map(|b| &*Vec::leak(vec![b + 20; 32])).collect();
        let keys: Vec<VerifyKey> = secrets
            .iter()
            .map(|s| parse_key_file(s, Some(KeyFormat::Secret)).expect("secret").keys.remove(0))
            .collect();
        let many = Verifier::new(keys.clone(), None).expect("many");
        let few = Verifier::new(keys[..MAX_KIDLESS_CANDIDATES].to_vec(), None).expect("few");
        let token = mint(Algorithm::HS256, Some("made-up"), "{}", &Signer::Hmac(secrets[1]));
        let (outcome, checked) = verify(&many, &token);
        assert_eq!((outcome, checked.len()), (Err(Rejection::BadHeader), 0), "refused unchecked");
        let (outcome, checked) = verify(&few, &token);
        assert_eq!((outcome, checked.len()), (Ok(()), 2), "a few are tried, in order");
    }

    #[test]
    fn key_choice_and_one_check_per_key() {
        use Algorithm::{ES256, HS256, HS384, HS512, RS256};
        use Rejection::{BadSignature, NoMatchingKey};
        let (e1, e2) = (p256(), p256());
        let verifier = Verifier::new(keys(&e1, &e2), None).expect("verifier");
        let (e1, e2) = (Signer::Ec(e1), Signer::Ec(e2));
        let (h1, h2, h3, pinned) =
            (Signer::Hmac(H1), Signer::Hmac(H2), Signer::Hmac(H3), Signer::Hmac(PINNED));
        let unknown = Signer::Hmac(&[9; 64]);
        // The RSA public key used as an HMAC secret: the classic algorithm confusion.
        let rsa_as_secret = Signer::Hmac(RSA_PUBLIC);
        type Case<'a> = (
            &'a str,
            Algorithm,
            Option<&'a str>,
            &'a Signer,
            Result<(), Rejection>,
            &'a [(&'a str, Algorithm)],
        );
        let cases: [Case<'_>; 16] = [
            ("kid selects its key", HS256, Some("h1"), &h1, Ok(()), &[("h1", HS256)]),
            ("kid selects its key", HS256, Some("h2"), &h2, Ok(()), &[("h2", HS256)]),
            (
                "kid's key, then keys without kid",
                HS256,
                Some("h2"),
                &h1,
                Err(BadSignature),
                &[("h2", HS256), ("-", HS256)],
            ),
            ("keys without kid match any kid", HS256, Some("other"), &h3, Ok(()), &[("-", HS256)]),
            ("keys without kid match any kid", HS512, Some("h1"), &h3, Ok(()), &[("-", HS512)]),
            (
                "no kid: keys in order until one verifies",
                HS256,
                None,
                &h2,
                Ok(()),
                &[("h1", HS256), ("h2", HS256)],
            ),
            (
                "no kid, unknown key: every fitting key once",
                HS256,
                None,
                &unknown,
                Err(BadSignature),
                &[("h1", HS256), ("h2", HS256), ("p", HS256), ("-", HS256)],
            ),
            ("pinned key verifies its alg", HS256, Some("p"), &pinned, Ok(()), &[("p", HS256)]),
            (
                "pinned key never tried for another alg",
                HS512,
                Some("p"),
                &pinned,
                Err(BadSignature),
                &[("-", HS512)],
            ),
            (
                "short secrets and the HS256-pinned key never tried for HS384",
                HS384,
                None,
                &unknown,
                Err(BadSignature),
                &[("-", HS384)],
            ),
            ("EC kid selects its key", ES256, Some("e2"), &e2, Ok(()), &[("e2", ES256)]),
            ("EC without kid", ES256, None, &e2, Ok(()), &[("e1", ES256), ("e2", ES256)]),
            (
                "EC kid of an HMAC key: no EC key has it",
                ES256,
                Some("h1"),
                &e1,
                Err(NoMatchingKey),
                &[],
            ),
            (
                "RSA public key as HMAC secret",
                HS256,
                Some("x"),
                &rsa_as_secret,
                Err(BadSignature),
                &[("-", HS256)],
            ),
            ("RSA: only the RSA key", RS256, None, &h3, Err(BadSignature), &[("-", RS256)]),
            (
                "HMAC kid on an RSA token",
                RS256,
                Some("h1"),
                &h1,
                Err(BadSignature),
                &[("-", RS256)],
            ),
        ];
        for (what, alg, kid, signer, expected, checked) in cases {
            let token = mint(alg, kid, r#"{"sub":"s"}"#, signer);
            let expected_checks: Vec<_> =
                checked.iter().map(|&(kid, alg)| (kid.to_string(), alg)).collect();
            assert_eq!(
                verify(&verifier, &token),
                (expected, expected_checks),
                "{what}: {alg} {kid:?}"
            );
        }
    }

    #[test]
    fn pinned_algorithms_and_allow_lists() {
        let (e1, e2) = (p256(), p256());
        let allowed: AlgorithmSet = [Algorithm::HS256, Algorithm::ES256].into_iter().collect();
        let verifier = Verifier::new(keys(&e1, &e2), Some(allowed)).expect("verifier");
        assert_eq!(verifier.algorithms(), allowed);
        for alg in [Algorithm::HS384, Algorithm::HS512, Algorithm::RS256, Algorithm::PS256] {
            let token = mint(alg, None, "{}", &Signer::Hmac(H3));
            assert_eq!(
                verify(&verifier, &token),
                (Err(Rejection::AlgorithmNotAllowed), vec![]),
                "{alg}"
            );
        }
        let everything = Verifier::new(keys(&e1, &e2), None).expect("verifier");
        let expected = [Algorithm::ES384, Algorithm::EdDSA];
        assert!(
            expected.iter().all(|alg| !everything.algorithms().contains(*alg)),
            "no P-384 or Ed25519 key"
        );
        // A key pinned by its JWK `alg` verifies nothing else, whatever the allow-list says.
        let jwks = format!(r#"{{"keys":[{}]}}"#, oct_jwk("p", PINNED, Some("HS256")));
        let pinned = parse_key_file(jwks.as_bytes(), Some(KeyFormat::Jwks)).expect("jwks").keys;
        let hs512: AlgorithmSet = [Algorithm::HS512].into_iter().collect();
        assert!(matches!(
            Verifier::new(pinned.clone(), Some(hs512)),
            Err(VerifierError::SecretTooShortFor("HS512", 64))
        ));
        let only = Verifier::new(pinned, None).expect("verifier");
        assert_eq!(only.algorithms(), [Algorithm::HS256].into_iter().collect());
    }

    #[test]
    fn building_refuses_unusable_configurations() {
        assert!(matches!(Verifier::new(Vec::new(), None), Err(VerifierError::NoKeys)));
        let secret = parse_key_file(H1, Some(KeyFormat::Secret)).expect("secret").keys;
        let rsa_only: AlgorithmSet = [Algorithm::RS256].into_iter().collect();
        assert!(matches!(
            Verifier::new(secret.clone(), Some(rsa_only)),
            Err(VerifierError::NothingVerifiable(_))
        ));
        let hs384: AlgorithmSet = [Algorithm::HS256, Algorithm::HS384].into_iter().collect();
        assert!(matches!(
            Verifier::new(secret, Some(hs384)),
            Err(VerifierError::SecretTooShortFor("HS384", 48))
        ));
    }

    #[test]
    fn claims_are_read_only_after_the_signature_verifies() {
        let verifier =
            Verifier::new(parse_key_file(H1, Some(KeyFormat::Secret)).expect("secret").keys, None)
                .expect("verifier");
        let (good, bad) = (Signer::Hmac(H1), Signer::Hmac(H2));
        let cases = [
            (r#"{"sub":"s","exp":5}"#, &good, Ok(())),
            (r#"{"sub":"s","exp":5}"#, &bad, Err(Rejection::BadSignature)),
            (r#"{"exp":"5"}"#, &good, Err(Rejection::BadClaims)),
            (r#"{"exp":"5"}"#, &bad, Err(Rejection::BadSignature)),
            ("not json", &good, Err(Rejection::Malformed)),
            ("not json", &bad, Err(Rejection::BadSignature)),
        ];
        for (claims, signer, expected) in cases {
            let (outcome, checked) =
                verify(&verifier, &mint(Algorithm::HS256, None, claims, signer));
            assert_eq!((outcome, checked.len()), (expected, 1), "{claims}");
        }
        let token = mint(Algorithm::HS256, Some("k"), r#"{"sub":"s"}"#, &good);
        let verified =
            verifier.verify(token.as_bytes(), &mut HeaderMemo::default()).expect("verifies");
        assert_eq!(
            (verified.alg, verified.claims.sub(), verified.claims.kid()),
            (Algorithm::HS256, Some("s"), Some("k"))
        );
        assert_eq!(verified.claims.token(), token.as_bytes());
    }
}

#[cfg(test)]
mod key_set_id_tests {
    use super::*;
    use crate::jose::keys::{parse_key_file, KeyFormat};

    fn secret(byte: u8) -> Vec<VerifyKey> {
        parse_key_file(&[byte; 64], Some(KeyFormat::Secret)).unwrap().keys
    }

    #[test]
    fn the_key_set_id_is_its_content() {
        let id = |keys: Vec<VerifyKey>, allowed: Option<&[Algorithm]>| {
            let allowed = allowed.map(|list| list.iter().copied().collect());
            Verifier::new(keys, allowed).unwrap().id()
        };
        // Built twice (two workers, or before and after a reload): the same generation.
        assert_eq!(id(secret(1), None), id(secret(1), None));
        assert_ne!(id(secret(1), None), id(secret(2), None), "another key");
        assert_ne!(id(secret(1), None), id(secret(1), Some(&[Algorithm::HS256])), "allow-list");
        let mut with_kid = secret(1);
        with_kid[0].kid = Some("k1".into());
        assert_ne!(id(secret(1), None), id(with_kid, None), "a kid");
    }
}
