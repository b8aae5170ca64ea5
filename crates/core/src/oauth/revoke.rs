//! The revocation endpoint's decisions (RFC 7009): who may revoke what, and the revocation to
//! commit. A client authenticates as at the token endpoint ([`Presented`]) and may revoke the
//! tokens issued to it (RFC 7009 §2.1); a client whose registry line says `revoke` may revoke
//! any token, and every token of a subject, a client or a signing key (`sub=`, `client_id=`,
//! `kid=`, an extension of this server).
//!
//! What is committed, as a line of the revocation file ([`Revocation::to_line`]):
//! - a token: `jti <jti> until=<exp>`, forgotten once the token has expired anyway;
//! - `sub`/`client_id`: `before=<now + 1>`, so tokens issued from the next second on pass
//!   ("as of now"; a token issued in the same second as the revocation is refused, whichever
//!   came first, the safe side of a one-second clock);
//! - `kid`: permanent.

use super::client_auth::{BodyClientId, Presented};
use super::registry::{Client, ClientRegistry};
use super::request::{ErrorCode, Refusal, TokenRequest};
use crate::jose::claims::Claims;
use crate::revocation::{writable_by, writable_value, Revocation, RevocationKind};

/// What an authenticated, permitted client asks to revoke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// One token (`token=`); the hint is only advisory (RFC 7009 §2.1) and is not kept.
    Token(String),
    /// Every token of a subject, a client or a key issued until now (or, for `kid`, ever).
    All(RevocationKind, String),
}

/// A revocation request that passed client authentication and the permission check.
#[derive(Debug)]
pub struct RevokeRequest<'r> {
    /// The authenticated client.
    pub client: &'r Client,
    /// What it revokes.
    pub target: Target,
    presented: Presented,
}

/// The parameters naming what to revoke, besides `token`.
const BY: [(&str, RevocationKind); 3] = [
    ("sub", RevocationKind::Sub),
    ("client_id", RevocationKind::ClientId),
    ("kid", RevocationKind::Kid),
];

/// Authenticates the client and reads what it revokes. `client_id` in the body is the
/// client's own id when it authenticates in the body (RFC 6749 §2.3.1) and a revocation target
/// only with HTTP Basic.
pub fn read<'r>(
    registry: &'r ClientRegistry,
    request: &TokenRequest<'_>,
) -> Result<RevokeRequest<'r>, Refusal> {
    use ErrorCode::*;
    let presented = Presented::read_as(request, BodyClientId::Parameter)?;
    let client = presented.authenticate(registry)?;
    if client.disabled {
        return Err(presented.with(UnauthorizedClient, "the client is disabled"));
    }
    let form = &presented.form;
    let mut targets = Vec::new();
    if let Some(token) = form.get("token") {
        targets.push(Target::Token(token.to_owned()));
    }
    for (name, kind) in BY {
        // With client_secret_post, client_id is the caller itself (and matches, or
        // authentication failed): revoking one's own client id takes Basic.
        if name == "client_id" && !presented.basic() {
            continue;
        }
        if let Some(value) = form.get(name) {
            targets.push(Target::All(kind, value.to_owned()));
        }
    }
    let target = match targets.len() {
        0 => return Err(presented.with(InvalidRequest, "token is missing")),
        1 => targets.remove(0),
        _ => return Err(presented.with(InvalidRequest, "one of token, sub, client_id, kid")),
    };
    if let Target::All(_, value) = &target {
        if !client.permissions.revoke {
            return Err(presented.with(
                UnauthorizedClient,
                "revoking by sub, client_id or kid takes the revoke permission",
            ));
        }
        if !writable_value(value.as_bytes()) {
            return Err(presented.with(InvalidRequest, "the value cannot be revoked"));
        }
    }
    Ok(RevokeRequest { client, target, presented })
}

impl RevokeRequest<'_> {
    /// The revocation of a `sub`, `client_id` or `kid` at `now`; `None` for a token.
    pub fn revocation_by_value(&self, now: i64) -> Option<Revocation> {
        let Target::All(kind, value) = &self.target else { return None };
        let mut revocation = self.made_by(Revocation::new(*kind, value.as_bytes()));
        if *kind != RevocationKind::Kid {
            revocation.before = Some(now.saturating_add(1));
        }
        Some(revocation)
    }

    /// The revocation of the presented token, given its verified claims (`None`: the token
    /// is not one of ours or the location's: forged, garbage, unknown key). `Ok(None)`: nothing
    /// to do, answered 200 (RFC 7009 §2.2: an invalid token is no error); `at` is `now` less
    /// the leeway, the time before which an expired token is left alone.
    pub fn revocation_of_token(
        &self,
        claims: Option<&Claims>,
        now: i64,
        leeway: i64,
    ) -> Result<Option<Revocation>, Refusal> {
        let Some(claims) = claims else { return Ok(None) };
        if claims.exp().is_some_and(|exp| now >= exp.saturating_add(leeway)) {
            return Ok(None);
        }
        let own = claims.client_id().is_some_and(|id| id == &*self.client.id);
        if !own && !self.client.permissions.revoke {
            // RFC 7009 §2.1: a token issued to another client is refused, and the client is
            // told; RFC 6749 §5.2's code for a client that may not do this is
            // unauthorized_client.
            return Err(self
                .presented
                .with(ErrorCode::UnauthorizedClient, "the token was not issued to this client"));
        }
        let Some(jti) = claims.jti_bytes().filter(|jti| writable_value(jti)) else {
            // Tokens are revoked by their jti: one without cannot be revoked alone.
            return Err(self.presented.with(
                ErrorCode::UnsupportedTokenType,
                "the token has no jti and cannot be revoked alone",
            ));
        };
        let mut revocation = self.made_by(Revocation::new(RevocationKind::Jti, jti));
        revocation.until = claims.exp().map(|exp| exp.saturating_add(leeway));
        Ok(Some(revocation))
    }

    /// `revocation`, naming the client that made it (`by=`, what counts against its share of
    /// the zone) when its id can be written in a line.
    fn made_by(&self, revocation: Revocation) -> Revocation {
        let id = self.client.id.as_bytes();
        Revocation { by: writable_by(id).then(|| id.into()), ..revocation }
    }

    /// Whether the client may revoke by `sub`, `client_id` or `kid` (and is held only to the
    /// zone's revocation budget, not to one client's share of it).
    pub fn is_administrator(&self) -> bool {
        self.client.permissions.revoke
    }

    /// A refusal of this request.
    pub fn refuse(&self, code: ErrorCode, description: &'static str) -> Refusal {
        self.presented.with(code, description)
    }
}

/// The bytes appended to a revocation file for `revocation`: its line and a newline, after a
/// newline of its own when the file does not end in one (a hand-edited last line), so that the
/// new line is never glued to it. `None` when the value cannot be written.
pub fn file_append(revocation: &Revocation, file_ends_in_newline: bool) -> Option<Vec<u8>> {
    let line = revocation.to_line()?;
    let mut bytes = Vec::with_capacity(line.len() + 2);
    if !file_ends_in_newline {
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    Some(bytes)
}

/// The successful answer (RFC 7009 §2.2: 200, the body is ignored by the client).
pub const REVOKED: &str = "{}";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::client_auth::testing::{self, FORM};
    use crate::revocation::RevocationList;

    fn registry() -> ClientRegistry {
        testing::registry(&[
            ("svc", "s", "- https://api.a"),
            ("admin", "a", "- https://api.a revoke"),
            ("off", "o", "- https://api.a disabled"),
        ])
    }

    fn revoke<'r>(
        registry: &'r ClientRegistry,
        id: &str,
        secret: &str,
        body: &str,
    ) -> Result<RevokeRequest<'r>, Refusal> {
        testing::with_basic(id, secret, body, |request| read(registry, request))
    }

    fn claims(json: &str) -> Claims {
        Claims::parse(json.as_bytes()).unwrap()
    }

    #[test]
    fn a_client_revokes_its_own_token_until_it_expires() {
        // RFC 7009 §2.1: the token's client_id is the authenticated client.
        let registry = registry();
        let request = revoke(&registry, "svc", "s", "token=abc&token_type_hint=access_token");
        let request = request.unwrap();
        assert_eq!(request.target, Target::Token("abc".into()));
        let own = claims(r#"{"client_id":"svc","jti":"j1","exp":500}"#);
        let revocation = request.revocation_of_token(Some(&own), 100, 60).unwrap().unwrap();
        assert_eq!(revocation.to_line().as_deref(), Some("jti j1 until=560 by=svc"));
    }

    #[test]
    fn invalid_and_expired_tokens_are_answered_200_with_nothing_to_do() {
        // RFC 7009 §2.2: "invalid tokens do not cause an error response".
        let registry = registry();
        let request = revoke(&registry, "svc", "s", "token=garbage").unwrap();
        assert_eq!(request.revocation_of_token(None, 100, 0), Ok(None));
        let expired = claims(r#"{"client_id":"svc","jti":"j1","exp":50}"#);
        assert_eq!(request.revocation_of_token(Some(&expired), 100, 0), Ok(None));
        // Another client's expired token: nothing to revoke, nothing to refuse either.
        let foreign = claims(r#"{"client_id":"other","jti":"j1","exp":50}"#);
        assert_eq!(request.revocation_of_token(Some(&foreign), 100, 0), Ok(None));
    }

    #[test]
    fn another_clients_token_takes_the_revoke_permission() {
        // RFC 7009 §2.1: refused, and the client is told (RFC 6749 §5.2 unauthorized_client).
        let registry = registry();
        let foreign = claims(r#"{"client_id":"other","jti":"j2","exp":500}"#);
        let request = revoke(&registry, "svc", "s", "token=x").unwrap();
        let refusal = request.revocation_of_token(Some(&foreign), 100, 0).unwrap_err();
        assert_eq!((refusal.code, refusal.code.status()), (ErrorCode::UnauthorizedClient, 400));
        let admin = revoke(&registry, "admin", "a", "token=x").unwrap();
        let revocation = admin.revocation_of_token(Some(&foreign), 100, 0).unwrap().unwrap();
        assert_eq!(revocation.to_line().as_deref(), Some("jti j2 until=500 by=admin"));
        // A token with no client_id is nobody's own.
        let anonymous = claims(r#"{"jti":"j3"}"#);
        assert!(request.revocation_of_token(Some(&anonymous), 100, 0).is_err());
        let revocation = admin.revocation_of_token(Some(&anonymous), 100, 0).unwrap().unwrap();
        assert_eq!(revocation.to_line().as_deref(), Some("jti j3 by=admin"));
    }

    #[test]
    fn a_token_without_jti_is_an_unsupported_token_type() {
        // RFC 7009 §2.2.1 unsupported_token_type.
        let registry = registry();
        let request = revoke(&registry, "svc", "s", "token=x").unwrap();
        let no_jti = claims(r#"{"client_id":"svc","exp":500}"#);
        let refusal = request.revocation_of_token(Some(&no_jti), 100, 0).unwrap_err();
        assert_eq!(refusal.code, ErrorCode::UnsupportedTokenType);
        assert_eq!(refusal.code.name(), "unsupported_token_type");
    }

    #[test]
    fn sub_client_id_and_kid_take_the_revoke_permission() {
        let registry = registry();
        let admin = |body: &str| revoke(&registry, "admin", "a", body);
        let line = |body: &str| {
            admin(body).unwrap().revocation_by_value(1000).and_then(|r| r.to_line()).unwrap()
        };
        assert_eq!(line("sub=alice"), "sub alice before=1001 by=admin");
        assert_eq!(line("client_id=svc"), "client_id svc before=1001 by=admin");
        assert_eq!(line("kid=k-2024"), "kid k-2024 by=admin");
        let refused = revoke(&registry, "svc", "s", "sub=alice").unwrap_err();
        assert_eq!(refused.code, ErrorCode::UnauthorizedClient);
        assert_eq!(admin("sub=a&kid=b").unwrap_err().code, ErrorCode::InvalidRequest);
        assert_eq!(admin("token=a&sub=b").unwrap_err().code, ErrorCode::InvalidRequest);
        assert_eq!(admin("").unwrap_err().code, ErrorCode::InvalidRequest);
        assert_eq!(admin("sub=%0Ajti+x").unwrap_err().code, ErrorCode::InvalidRequest);
        assert_eq!(admin("sub=+a").unwrap_err().code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn client_authentication_is_the_token_endpoints() {
        let registry = registry();
        let wrong = revoke(&registry, "svc", "nope", "token=x").unwrap_err();
        assert_eq!((wrong.code, wrong.basic), (ErrorCode::InvalidClient, true));
        let none =
            TokenRequest { content_type: Some(FORM), body: b"token=x", ..Default::default() };
        assert_eq!(read(&registry, &none).unwrap_err().code, ErrorCode::InvalidClient);
        // client_secret_post: client_id names the caller, not a target.
        let post = TokenRequest {
            content_type: Some(FORM),
            body: b"token=x&client_id=admin&client_secret=a",
            ..Default::default()
        };
        assert_eq!(read(&registry, &post).unwrap().target, Target::Token("x".into()));
        let disabled = revoke(&registry, "off", "o", "token=x").unwrap_err();
        assert_eq!(disabled.code, ErrorCode::UnauthorizedClient);
    }

    #[test]
    fn appended_lines_read_back_as_the_revocation() {
        let revocation =
            Revocation { until: Some(9), ..Revocation::new(RevocationKind::Jti, b"a b") };
        let after_newline = file_append(&revocation, true).unwrap();
        assert_eq!(after_newline, b"jti a b until=9\n");
        // A jti that would be read back as another revocation is never appended.
        let injected = Revocation::new(RevocationKind::Jti, b"victim before=99999999999");
        assert_eq!(file_append(&Revocation { until: Some(9), ..injected }, true), None);
        let glued = [&b"sub x"[..], &file_append(&revocation, false).unwrap()].concat();
        let list = RevocationList::parse(&glued).unwrap();
        assert_eq!(list.entries().len(), 2);
        assert_eq!(list.entries()[1], revocation);
        assert_eq!(file_append(&Revocation::new(RevocationKind::Jti, b"a\nb"), true), None);
    }
}
