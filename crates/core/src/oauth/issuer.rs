//! The issuer: its signing keys (the first that is not `publish_only` signs, all are
//! published), the RFC 9068 access token, the token response, the JWKS and the RFC 8414
//! metadata. Tokens are made with the JOSE layer's one minting helper, [`sign::mint`].

use std::sync::Arc;

use jsonwebtoken::DecodingKey;
use serde_json::{json, Value};

use super::grant::{Grant, CLIENT_CREDENTIALS};
use crate::jose::alg::{Algorithm, AlgorithmSet, KeyFamily};
use crate::jose::b64;
use crate::jose::crypto::backend::rand::{SecureRandom, SystemRandom};
use crate::jose::der::{rsa_modulus_bits, DerReader, KeyKind, TAG_SEQUENCE};
use crate::jose::keys::private::{parse_private_pem, PrivateKeyError};
use crate::jose::keys::{VerifyKey, MIN_RSA_BITS};
use crate::jose::sign::{self, SignError, SigningKey};
use crate::jose::thumbprint::jwk_thumbprint;

/// Why a signing key file cannot be used. Messages never quote key material.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum IssuerKeyError {
    /// A public key or certificate: the issuer needs the private key.
    #[error("holds a public key or certificate; the issuer signs with a private key")]
    PublicKey,
    /// The file holds no private key the issuer can use (see [`PrivateKeyError`]).
    #[error("{0} (the issuer signs with an EC P-256, P-384, Ed25519 or RSA private key)")]
    Key(PrivateKeyError),
    /// The key was read but cannot be prepared for signing.
    #[error("the private key cannot be prepared for signing (EC P-256, P-384, Ed25519 or RSA)")]
    NotPrivateKey,
    /// An RSA key under [`MIN_RSA_BITS`].
    #[error("RSA key of {0} bits is too weak (at least {MIN_RSA_BITS} bits required)")]
    WeakRsa(usize),
    /// `alg=` names an algorithm the key cannot sign.
    #[error("the key cannot sign {0} (it is {1})")]
    WrongAlgorithm(Algorithm, &'static str),
    /// An HMAC algorithm: issued tokens are verified by others with a public key.
    #[error("{0} is symmetric; the issuer signs with a private key (ES256, ES384, EdDSA, RS256, PS256...)")]
    Symmetric(Algorithm),
    /// A `kid` that cannot be written in a header without escaping.
    #[error("kid must be printable ASCII without quotes or backslashes")]
    BadKid,
}

/// One configured key of the issuer.
pub struct IssuerKey {
    /// The `kid` of its tokens and of its JWK.
    pub kid: Box<str>,
    /// The algorithm it signs with.
    pub alg: Algorithm,
    /// Published but not used for signing (the next key, during a rotation).
    pub publish_only: bool,
    signer: SigningKey,
    /// The public JWK with `kid`, `alg` and `use`.
    jwk: Value,
    /// The public half, as a protected location verifies with it.
    verify: VerifyKey,
}

impl std::fmt::Debug for IssuerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("publish_only", &self.publish_only)
            .finish_non_exhaustive()
    }
}

fn family_name(family: KeyFamily) -> &'static str {
    match family {
        KeyFamily::Rsa => "an RSA key",
        KeyFamily::EcP256 => "an EC P-256 key",
        KeyFamily::EcP384 => "an EC P-384 key",
        KeyFamily::Ed25519 => "an Ed25519 key",
        KeyFamily::Hmac => "a secret",
    }
}

/// The key's family and its prepared signer for `alg` (or the family's default algorithm).
fn signer(pem: &[u8], alg: Option<Algorithm>) -> Result<(KeyFamily, SigningKey), IssuerKeyError> {
    // A SEC1 key that names no curve is taken to be on alg='s curve.
    let curve = match alg {
        Some(Algorithm::ES384) => Some(KeyKind::P384),
        Some(Algorithm::ES256) => Some(KeyKind::P256),
        _ => None,
    };
    let private = parse_private_pem(pem, curve).map_err(|e| match e {
        PrivateKeyError::PublicKey => IssuerKeyError::PublicKey,
        other => IssuerKeyError::Key(other),
    })?;
    let (family, default) = match private.kind {
        KeyKind::Rsa => (KeyFamily::Rsa, Algorithm::RS256),
        KeyKind::P256 => (KeyFamily::EcP256, Algorithm::ES256),
        KeyKind::P384 => (KeyFamily::EcP384, Algorithm::ES384),
        KeyKind::Ed25519 => (KeyFamily::Ed25519, Algorithm::EdDSA),
        other => return Err(IssuerKeyError::Key(PrivateKeyError::Unsupported(other))),
    };
    let alg = alg.unwrap_or(default);
    if alg.family() == KeyFamily::Hmac {
        return Err(IssuerKeyError::Symmetric(alg));
    }
    if alg.family() != family {
        return Err(IssuerKeyError::WrongAlgorithm(alg, family_name(family)));
    }
    if let Some(bits) = private.rsa_bits.filter(|&bits| bits < MIN_RSA_BITS) {
        return Err(IssuerKeyError::WeakRsa(bits));
    }
    let signer = SigningKey::new(alg.to_jsonwebtoken(), &private.key)
        .map_err(|_| IssuerKeyError::NotPrivateKey)?;
    Ok((family, signer))
}

/// The RSA modulus and exponent of a PKCS#1 `RSAPublicKey`.
fn rsa_components(pkcs1: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut outer = DerReader::new(pkcs1);
    let mut fields = DerReader::new(outer.read(TAG_SEQUENCE)?);
    Some((fields.read_positive_integer()?, fields.read_positive_integer()?))
}

/// The JWK members RFC 7638 thumbprints cover, as `(name, value)` in lexicographic order.
fn required_members(
    family: KeyFamily,
    public: &[u8],
) -> Result<Vec<(&'static str, String)>, IssuerKeyError> {
    let point = |len: usize| {
        public
            .strip_prefix(&[0x04])
            .filter(|xy| xy.len() == 2 * len)
            .map(|xy| xy.split_at(len))
            .ok_or(IssuerKeyError::NotPrivateKey)
    };
    Ok(match family {
        KeyFamily::Rsa => {
            let bits = rsa_modulus_bits(public).ok_or(IssuerKeyError::NotPrivateKey)?;
            if bits < MIN_RSA_BITS {
                return Err(IssuerKeyError::WeakRsa(bits));
            }
            let (n, e) = rsa_components(public).ok_or(IssuerKeyError::NotPrivateKey)?;
            vec![("e", b64::encode(e)), ("kty", "RSA".into()), ("n", b64::encode(n))]
        }
        KeyFamily::EcP256 | KeyFamily::EcP384 => {
            let (crv, len) =
                if family == KeyFamily::EcP256 { ("P-256", 32) } else { ("P-384", 48) };
            let (x, y) = point(len)?;
            vec![
                ("crv", crv.into()),
                ("kty", "EC".into()),
                ("x", b64::encode(x)),
                ("y", b64::encode(y)),
            ]
        }
        KeyFamily::Ed25519 => {
            vec![("crv", "Ed25519".into()), ("kty", "OKP".into()), ("x", b64::encode(public))]
        }
        KeyFamily::Hmac => return Err(IssuerKeyError::NotPrivateKey),
    })
}

/// The RFC 7638 thumbprint of the required members.
fn thumbprint(members: &[(&'static str, String)]) -> String {
    jwk_thumbprint(members.iter().map(|(name, value)| (*name, value.as_str())))
}

fn verify_key(family: KeyFamily, public: &[u8], kid: &str, alg: Algorithm) -> VerifyKey {
    let key = match family {
        KeyFamily::Rsa => DecodingKey::from_rsa_der(public),
        KeyFamily::EcP256 | KeyFamily::EcP384 => DecodingKey::from_ec_der(public),
        _ => DecodingKey::from_ed_der(public),
    };
    VerifyKey { kid: Some(kid.into()), family, pinned: Some(alg), secret_len: 0, key, issuer: None }
}

impl IssuerKey {
    /// Loads a PEM private key (PKCS#8, or PKCS#1 for RSA). `alg` defaults from the key type
    /// (ES256, ES384, EdDSA, RS256); `kid` defaults to the RFC 7638 thumbprint.
    pub fn from_pem(
        pem: &[u8],
        alg: Option<Algorithm>,
        kid: Option<&str>,
        publish_only: bool,
    ) -> Result<IssuerKey, IssuerKeyError> {
        if kid.is_some_and(|kid| {
            kid.is_empty()
                || !kid.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
        }) {
            return Err(IssuerKeyError::BadKid);
        }
        let (family, signer) = signer(pem, alg)?;
        let public = signer.public_key().ok_or(IssuerKeyError::NotPrivateKey)?;
        let members = required_members(family, &public)?;
        let kid: Box<str> = kid.map_or_else(|| thumbprint(&members).into(), Into::into);
        let alg = Algorithm::ALL
            .into_iter()
            .find(|a| a.to_jsonwebtoken() == signer.algorithm())
            .ok_or(IssuerKeyError::NotPrivateKey)?;
        let mut jwk = serde_json::Map::new();
        for (name, value) in members {
            jwk.insert(name.into(), value.into());
        }
        jwk.insert("kid".into(), kid.as_ref().into());
        jwk.insert("alg".into(), alg.name().into());
        jwk.insert("use".into(), "sig".into());
        let verify = verify_key(family, &public, &kid, alg);
        Ok(IssuerKey { kid, alg, publish_only, signer, jwk: Value::Object(jwk), verify })
    }

    /// The public half as a protected location verifies with it (`kid` and `alg` pinned).
    pub fn verify_key(&self) -> &VerifyKey {
        &self.verify
    }
}

/// Why the issuer's configuration cannot be used.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum IssuerError {
    /// No key, or only `publish_only` keys.
    #[error("no signing key without \"publish_only\"")]
    NoSigner,
    /// Two keys with one `kid`.
    #[error("two signing keys have the kid \"{0}\"")]
    DuplicateKid(Box<str>),
}

/// Why a token could not be issued (an internal error: 500).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    /// The random number generator failed.
    #[error("the system random number generator failed")]
    Random,
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// An authorization server's issuing side: its `iss`, its keys and its default lifetime.
#[derive(Debug)]
pub struct Issuer {
    issuer: Box<str>,
    keys: Arc<Vec<IssuerKey>>,
    signer: usize,
    rng: SystemRandom,
}

impl Issuer {
    /// The issuer `issuer` with `keys`: the first key that is not `publish_only` signs.
    pub fn new(issuer: &str, keys: Arc<Vec<IssuerKey>>) -> Result<Issuer, IssuerError> {
        for (at, key) in keys.iter().enumerate() {
            if keys.iter().take(at).any(|earlier| earlier.kid == key.kid) {
                return Err(IssuerError::DuplicateKid(key.kid.clone()));
            }
        }
        let signer = keys.iter().position(|k| !k.publish_only).ok_or(IssuerError::NoSigner)?;
        Ok(Issuer { issuer: issuer.into(), keys, signer, rng: SystemRandom::new() })
    }

    /// The `iss` of every token.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The key that signs.
    pub fn signing_key(&self) -> Option<&IssuerKey> {
        self.keys.get(self.signer)
    }

    /// Every key, signing or published.
    pub fn keys(&self) -> &[IssuerKey] {
        &self.keys
    }

    /// The public halves of every key, for `credentialflow_accept_own_tokens`: each bound to
    /// this issuer, so that it verifies no token of another issuer and no other key verifies a
    /// token that claims to be this issuer's.
    pub fn verify_keys(&self) -> Vec<VerifyKey> {
        let issuer: std::sync::Arc<str> = self.issuer.as_ref().into();
        let bound = |k: &IssuerKey| VerifyKey { issuer: Some(issuer.clone()), ..k.verify.clone() };
        self.keys.iter().map(bound).collect()
    }

    /// The algorithms of every key.
    pub fn algorithms(&self) -> AlgorithmSet {
        self.keys.iter().map(|k| k.alg).collect()
    }

    /// A new `jti`: 128 random bits, base64url.
    fn jti(&self) -> Result<String, IssueError> {
        let mut bytes = [0u8; 16];
        self.rng.fill(&mut bytes).map_err(|_| IssueError::Random)?;
        Ok(b64::encode(&bytes))
    }

    /// The RFC 9068 access token for `grant`, issued at `now` (Unix seconds).
    pub fn access_token(&self, grant: &Grant, now: i64) -> Result<String, IssueError> {
        Ok(self.mint(grant, now)?.0)
    }

    /// The access token with its `jti` and the `kid` that signed it.
    fn mint(&self, grant: &Grant, now: i64) -> Result<(String, String, String), IssueError> {
        let key = self.signing_key().ok_or(IssueError::Sign(SignError))?;
        let jti = self.jti()?;
        let header = json!({ "typ": "at+jwt", "alg": key.alg.name(), "kid": &*key.kid });
        let mut claims = json!({
            "iss": &*self.issuer,
            "sub": grant.client_id,
            "client_id": grant.client_id,
            "aud": grant.audience,
            "iat": now,
            "nbf": now,
            "exp": now.saturating_add(grant.ttl),
            "jti": &jti,
        });
        if !grant.scopes.is_empty() {
            if let Value::Object(members) = &mut claims {
                members.insert("scope".into(), grant.scope().into());
            }
        }
        let header = header.to_string();
        let claims = claims.to_string();
        let token = sign::mint(header.as_bytes(), claims.as_bytes(), &key.signer)?;
        Ok((token, jti, key.kid.to_string()))
    }

    /// The token response (RFC 6749 §5.1) for `grant`, issued at `now`.
    pub fn token_response(&self, grant: &Grant, now: i64) -> Result<String, IssueError> {
        Ok(self.issue(grant, now)?.response)
    }

    /// The token response for `grant`, with what the access log may say of the token.
    pub fn issue(&self, grant: &Grant, now: i64) -> Result<Issued, IssueError> {
        let (token, jti, kid) = self.mint(grant, now)?;
        let mut response = json!({
            "access_token": &token,
            "token_type": "Bearer",
            "expires_in": grant.ttl,
        });
        if !grant.scopes.is_empty() {
            if let Value::Object(members) = &mut response {
                members.insert("scope".into(), grant.scope().into());
            }
        }
        Ok(Issued { response: response.to_string(), token, jti, kid })
    }

    /// The JWKS of every key (`kid`, `alg`, `use: sig`).
    pub fn jwks(&self) -> String {
        let keys: Vec<&Value> = self.keys.iter().map(|k| &k.jwk).collect();
        json!({ "keys": keys }).to_string()
    }
}

/// An issued token's response, and the identifiers of the token that may be logged (never
/// the token itself).
#[derive(Debug)]
pub struct Issued {
    /// The JSON body of the 200 answer (holds the token: never log it).
    pub response: String,
    /// The access token itself (never log it; its fingerprint may be).
    pub token: String,
    /// The token's `jti`.
    pub jti: String,
    /// The `kid` of the key that signed it.
    pub kid: String,
}

/// `base` and `path` joined with exactly one `/`.
pub fn join_url(base: &str, path: &str) -> String {
    format!("{}/{}", base.trim_end_matches('/'), path.trim_start_matches('/'))
}

/// The endpoints of one server, as absolute URLs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// The token endpoint.
    pub token: String,
    /// The JWKS, if the server publishes one.
    pub jwks: Option<String>,
    /// The RFC 7009 revocation endpoint, if the server has one.
    pub revocation: Option<String>,
    /// The RFC 7662 introspection endpoint, if the server has one.
    pub introspection: Option<String>,
}

/// Which scopes the metadata's `scopes_supported` names (`credentialflow_oauth_metadata
/// scopes=`): by default every scope some client of the registry may obtain, which tells
/// anyone who reads the document what the clients can do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PublishedScopes {
    /// Every scope of the registry (`scopes=all`, the default).
    #[default]
    All,
    /// None: the member is left out (it is RECOMMENDED, not REQUIRED, by RFC 8414 §2).
    Nothing,
    /// Only these, of those the registry has (`scopes=a,b`).
    Only(Vec<Box<str>>),
}

impl PublishedScopes {
    /// Reads `all`, `none` or a comma-separated list of scopes.
    pub fn parse(value: &str) -> Option<PublishedScopes> {
        match value {
            "all" => Some(PublishedScopes::All),
            "none" => Some(PublishedScopes::Nothing),
            list => {
                let valid = |scope: &str| {
                    !scope.is_empty()
                        && scope.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
                };
                let all_valid = list.split(',').all(valid);
                all_valid.then(|| PublishedScopes::Only(list.split(',').map(Into::into).collect()))
            }
        }
    }

    /// The scopes to publish, of `registry`'s (`None`: leave `scopes_supported` out).
    pub fn select<'a>(&self, registry: &[&'a str]) -> Option<Vec<&'a str>> {
        match self {
            PublishedScopes::All => Some(registry.to_vec()),
            PublishedScopes::Nothing => None,
            PublishedScopes::Only(listed) => Some(
                registry.iter().copied().filter(|s| listed.iter().any(|l| &**l == *s)).collect(),
            ),
        }
    }
}

/// How clients authenticate at every endpoint (RFC 6749 §2.3.1).
const AUTH_METHODS: [&str; 2] = ["client_secret_basic", "client_secret_post"];

/// RFC 8414 authorization server metadata.
pub fn metadata(issuer: &str, endpoints: &Endpoints, scopes: Option<&[&str]>) -> String {
    let mut document = json!({
        "issuer": issuer,
        "token_endpoint": endpoints.token,
        // REQUIRED by RFC 8414 §2, and empty: every response_type (RFC 6749 §3.1.1) is a
        // request to an authorization endpoint, which a client-credentials-only server does
        // not have. Naming "code" would send clients to an endpoint that does not exist.
        "response_types_supported": [],
        "grant_types_supported": [CLIENT_CREDENTIALS],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
    });
    if let Value::Object(members) = &mut document {
        if let Some(scopes) = scopes {
            members.insert("scopes_supported".into(), json!(scopes));
        }
        if let Some(jwks) = &endpoints.jwks {
            members.insert("jwks_uri".into(), jwks.as_str().into());
        }
        // RFC 8414 §2: each endpoint with its client authentication methods.
        if let Some(revocation) = &endpoints.revocation {
            members.insert("revocation_endpoint".into(), revocation.as_str().into());
            members
                .insert("revocation_endpoint_auth_methods_supported".into(), json!(AUTH_METHODS));
        }
        if let Some(introspection) = &endpoints.introspection {
            members.insert("introspection_endpoint".into(), introspection.as_str().into());
            members.insert(
                "introspection_endpoint_auth_methods_supported".into(),
                json!(AUTH_METHODS),
            );
        }
    }
    document.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::jws;
    use crate::Verifier;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/benches/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(path).expect("bench fixture")
    }

    fn grant() -> Grant {
        Grant {
            client_id: "svc".into(),
            scopes: vec!["read".into(), "write".into()],
            audience: "https://api.example".into(),
            ttl: 600,
        }
    }

    fn claims_of(token: &str) -> Value {
        assert!(
            jws::parse(token.as_bytes(), &mut crate::jose::header::HeaderMemo::default()).is_ok()
        );
        let payload = token.split('.').nth(1).expect("claims");
        serde_json::from_slice(&b64::decode(payload.as_bytes()).expect("base64url")).expect("JSON")
    }

    fn header_of(token: &str) -> Value {
        let header = token.split('.').next().expect("header");
        serde_json::from_slice(&b64::decode(header.as_bytes()).expect("base64url")).expect("JSON")
    }

    #[test]
    fn every_key_type_signs_tokens_its_public_half_verifies() {
        for (file, alg, crv) in [
            ("p256-private.pem", "ES256", Some("P-256")),
            ("p384-private.pem", "ES384", Some("P-384")),
            ("ed25519-private.pem", "EdDSA", Some("Ed25519")),
            ("rsa2048-private.pem", "RS256", None),
        ] {
            let key = IssuerKey::from_pem(&fixture(file), None, None, false).expect(file);
            assert_eq!(key.alg.name(), alg);
            assert_eq!(key.jwk["crv"].as_str(), crv);
            assert_eq!(key.jwk["use"], "sig");
            assert_eq!(key.jwk["kid"].as_str(), Some(&*key.kid));
            let issuer = Issuer::new("https://auth.example", Arc::new(vec![key])).unwrap();
            let token = issuer.access_token(&grant(), 1_000).unwrap();
            let verifier = Verifier::new(issuer.verify_keys(), None).unwrap();
            assert!(
                verifier
                    .verify(token.as_bytes(), &mut crate::jose::header::HeaderMemo::default())
                    .is_ok(),
                "{file}"
            );
        }
        let ps = IssuerKey::from_pem(
            &fixture("rsa2048-private.pem"),
            Some(Algorithm::PS256),
            Some("r"),
            false,
        );
        assert_eq!(ps.unwrap().jwk["alg"], "PS256");
    }

    #[test]
    fn tokens_follow_rfc_9068() {
        let key =
            IssuerKey::from_pem(&fixture("p256-private.pem"), None, Some("k1"), false).unwrap();
        let issuer = Issuer::new("https://auth.example", Arc::new(vec![key])).unwrap();
        let token = issuer.access_token(&grant(), 1_000).unwrap();
        let header = header_of(&token);
        assert_eq!(header, json!({"typ": "at+jwt", "alg": "ES256", "kid": "k1"}));
        let claims = claims_of(&token);
        assert_eq!(claims["iss"], "https://auth.example");
        assert_eq!(claims["sub"], "svc");
        assert_eq!(claims["client_id"], "svc");
        assert_eq!(claims["aud"], "https://api.example");
        assert_eq!(claims["scope"], "read write");
        assert_eq!((claims["iat"].as_i64(), claims["nbf"].as_i64()), (Some(1_000), Some(1_000)));
        assert_eq!(claims["exp"], 1_600);
        let jti = b64::decode(claims["jti"].as_str().unwrap().as_bytes()).unwrap();
        assert_eq!(jti.len(), 16);
        assert_ne!(claims_of(&issuer.access_token(&grant(), 1_000).unwrap())["jti"], claims["jti"]);
        let response: Value =
            serde_json::from_str(&issuer.token_response(&grant(), 5).unwrap()).unwrap();
        assert_eq!(response["token_type"], "Bearer");
        assert_eq!(response["expires_in"], 600);
        assert_eq!(response["scope"], "read write");
        let no_scope = Grant { scopes: Vec::new(), ..grant() };
        let response: Value =
            serde_json::from_str(&issuer.token_response(&no_scope, 5).unwrap()).unwrap();
        assert!(response.get("scope").is_none());
        assert!(claims_of(response["access_token"].as_str().unwrap()).get("scope").is_none());
        // What the access log may say of an issued token is the token's own jti and kid.
        let issued = issuer.issue(&grant(), 5).unwrap();
        let response: Value = serde_json::from_str(&issued.response).unwrap();
        assert_eq!(response["access_token"], issued.token.as_str());
        assert_eq!(claims_of(&issued.token)["jti"], issued.jti.as_str());
        assert_eq!(issued.kid, "k1");
    }

    #[test]
    fn the_first_key_not_publish_only_signs_and_every_key_is_published() {
        let next = IssuerKey::from_pem(&fixture("ed25519-private.pem"), None, None, true).unwrap();
        let current = IssuerKey::from_pem(&fixture("p256-private.pem"), None, None, false).unwrap();
        let issuer = Issuer::new("https://a", Arc::new(vec![next, current])).unwrap();
        assert_eq!(issuer.signing_key().unwrap().alg, Algorithm::ES256);
        let jwks: Value = serde_json::from_str(&issuer.jwks()).unwrap();
        assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(2));
        assert_eq!(jwks["keys"][0]["kty"], "OKP");
        let only_next =
            IssuerKey::from_pem(&fixture("ed25519-private.pem"), None, None, true).unwrap();
        assert_eq!(
            Issuer::new("https://a", Arc::new(vec![only_next])).unwrap_err(),
            IssuerError::NoSigner
        );
        let a =
            IssuerKey::from_pem(&fixture("p256-private.pem"), None, Some("same"), false).unwrap();
        let b =
            IssuerKey::from_pem(&fixture("p384-private.pem"), None, Some("same"), false).unwrap();
        assert!(matches!(
            Issuer::new("https://a", Arc::new(vec![a, b])),
            Err(IssuerError::DuplicateKid(_))
        ));
    }

    #[test]
    fn the_default_kid_is_the_rfc_7638_thumbprint() {
        // RFC 7638 §3.1's example key.
        let members = vec![
            ("e", "AQAB".to_string()),
            ("kty", "RSA".to_string()),
            ("n", "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw".to_string()),
        ];
        assert_eq!(thumbprint(&members), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn unusable_keys_are_refused() {
        let refused = |pem: &[u8], alg| IssuerKey::from_pem(pem, alg, None, false).unwrap_err();
        assert_eq!(refused(&fixture("p256-public.pem"), None), IssuerKeyError::PublicKey);
        assert_eq!(refused(&fixture("rsa2048-public.pem"), None), IssuerKeyError::PublicKey);
        assert_eq!(refused(b"junk", None), IssuerKeyError::Key(PrivateKeyError::NotPem));
        let p256 = fixture("p256-private.pem");
        assert!(matches!(
            refused(&p256, Some(Algorithm::RS256)),
            IssuerKeyError::WrongAlgorithm(..)
        ));
        assert!(matches!(
            refused(&p256, Some(Algorithm::ES384)),
            IssuerKeyError::WrongAlgorithm(..)
        ));
        assert!(matches!(refused(&p256, Some(Algorithm::HS256)), IssuerKeyError::Symmetric(_)));
        let weak = std::fs::read(format!(
            "{}/tests/fixtures/rsa-1024-private.pem",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        assert!(matches!(refused(&weak, None), IssuerKeyError::WeakRsa(_)));
        let bad_kid = IssuerKey::from_pem(&p256, None, Some("a\"b"), false).unwrap_err();
        assert_eq!(bad_kid, IssuerKeyError::BadKid);
    }

    #[test]
    fn metadata_lists_the_endpoints() {
        let endpoints = Endpoints {
            token: join_url("https://auth.example/", "/oauth/token"),
            jwks: Some(join_url("https://auth.example", "/jwks.json")),
            ..Endpoints::default()
        };
        let document: Value =
            serde_json::from_str(&metadata("https://auth.example", &endpoints, Some(&["read"])))
                .unwrap();
        assert_eq!(document["token_endpoint"], "https://auth.example/oauth/token");
        assert_eq!(document["jwks_uri"], "https://auth.example/jwks.json");
        assert_eq!(document["grant_types_supported"], json!(["client_credentials"]));
        assert_eq!(document["response_types_supported"], json!([]));
        assert!(document.get("authorization_endpoint").is_none());
        assert_eq!(document["scopes_supported"], json!(["read"]));
        let bare: Value =
            serde_json::from_str(&metadata("https://auth.example", &endpoints, None)).unwrap();
        assert!(bare.get("scopes_supported").is_none(), "scopes=none leaves the member out");
        assert_eq!(
            document["token_endpoint_auth_methods_supported"],
            json!(["client_secret_basic", "client_secret_post"])
        );
        assert!(document.get("revocation_endpoint").is_none());
        let endpoints = Endpoints {
            revocation: Some(join_url("https://auth.example", "/revoke")),
            introspection: Some(join_url("https://auth.example", "/introspect")),
            ..endpoints
        };
        let document: Value =
            serde_json::from_str(&metadata("https://auth.example", &endpoints, Some(&[]))).unwrap();
        assert_eq!(document["revocation_endpoint"], "https://auth.example/revoke");
        assert_eq!(document["introspection_endpoint"], "https://auth.example/introspect");
        for member in [
            "revocation_endpoint_auth_methods_supported",
            "introspection_endpoint_auth_methods_supported",
        ] {
            assert_eq!(document[member], json!(["client_secret_basic", "client_secret_post"]));
        }
    }

    #[test]
    fn published_scopes_are_all_none_or_a_listed_few() {
        let registry = ["orders:read", "orders:write", "admin"];
        assert_eq!(
            PublishedScopes::parse("all").unwrap().select(&registry),
            Some(registry.to_vec())
        );
        assert_eq!(PublishedScopes::parse("none").unwrap().select(&registry), None);
        let few = PublishedScopes::parse("orders:read,unknown").unwrap();
        assert_eq!(
            few.select(&registry),
            Some(vec!["orders:read"]),
            "only what clients may obtain"
        );
        assert_eq!(PublishedScopes::parse("a,,b"), None);
        assert_eq!(PublishedScopes::parse("a\"b"), None);
    }
}
