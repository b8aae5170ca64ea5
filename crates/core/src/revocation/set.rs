//! The revocations a worker checks every token against: one map per kind, keyed by value,
//! so a check is at most four lookups (none when the set is empty). The set is filled from
//! the shared zone by the nginx layer; here it is only data.

use foldhash::fast::RandomState;

/// Keyed by value; the hasher is seeded per process.
type HashMap<K, V> = hashbrown::HashMap<K, V, RandomState>;

use super::{Revocation, RevocationKind};
use crate::jose::claims::Claims;

/// When the revocations of one (kind, value) apply: to every token, or to those issued
/// before the latest `before` of them; until the latest `until`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rule {
    /// `None`: every token.
    before: Option<i64>,
    /// `None`: for ever.
    until: Option<i64>,
}

impl Rule {
    fn of(revocation: &Revocation) -> Rule {
        Rule { before: revocation.before, until: revocation.until }
    }

    /// Two revocations of one value: the wider of each bound.
    fn merge(self, other: Rule) -> Rule {
        let wider = |a: Option<i64>, b: Option<i64>| a.zip(b).map(|(a, b)| a.max(b));
        Rule { before: wider(self.before, other.before), until: wider(self.until, other.until) }
    }

    fn revokes(self, iat: Option<i64>, now: i64) -> bool {
        let over = self.until.is_some_and(|until| until < now);
        let issued_before = match (self.before, iat) {
            (None, _) | (Some(_), None) => true,
            (Some(before), Some(iat)) => iat < before,
        };
        !over && issued_before
    }
}

/// Revocations by kind and value.
#[derive(Clone, Debug, Default)]
pub struct RevocationSet {
    by_kind: [HashMap<Box<[u8]>, Rule>; 4],
    len: usize,
}

impl RevocationSet {
    /// Adds a revocation (merged with any of the same kind and value).
    pub fn insert(&mut self, revocation: &Revocation) {
        let map = &mut self.by_kind[usize::from(revocation.kind.code())];
        let rule = Rule::of(revocation);
        match map.get_mut(&*revocation.value) {
            Some(existing) => *existing = existing.merge(rule),
            None => {
                map.insert(revocation.value.clone(), rule);
                self.len += 1;
            }
        }
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.by_kind.iter_mut().for_each(hashbrown::HashMap::clear);
        self.len = 0;
    }

    /// Distinct (kind, value) pairs held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is revoked.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Which revocation, if any, applies to a token with these claims at `now`.
    pub fn revoked_by(&self, claims: &Claims, now: i64) -> Option<RevocationKind> {
        if self.is_empty() {
            return None;
        }
        let iat = claims.iat();
        let values =
            [claims.jti_bytes(), claims.kid_bytes(), claims.sub_bytes(), claims.client_id_bytes()];
        RevocationKind::ALL.into_iter().zip(values).find_map(|(kind, value)| {
            let rule = self.by_kind[usize::from(kind.code())].get(value?)?;
            rule.revokes(iat, now).then_some(kind)
        })
    }

    /// Whether a token with these claims is revoked at `now`.
    pub fn is_revoked(&self, claims: &Claims, now: i64) -> bool {
        self.revoked_by(claims, now).is_some()
    }
}

impl<'a> FromIterator<&'a Revocation> for RevocationSet {
    fn from_iter<I: IntoIterator<Item = &'a Revocation>>(iter: I) -> Self {
        let mut set = RevocationSet::default();
        iter.into_iter().for_each(|revocation| set.insert(revocation));
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(json: &str, kid: Option<&str>) -> Claims {
        Claims::parse_with_header(json.as_bytes(), kid, None).unwrap()
    }

    fn set_of(lines: &[&str]) -> RevocationSet {
        let list: Vec<_> =
            lines.iter().map(|line| Revocation::parse_line(line.as_bytes()).unwrap()).collect();
        list.iter().collect()
    }

    #[test]
    fn each_kind_matches_its_own_claim_exactly() {
        let set = set_of(&["jti j1", "kid k1", "sub s1", "client_id c1"]);
        let now = 0;
        assert_eq!(
            set.revoked_by(&claims(r#"{"jti":"j1"}"#, None), now),
            Some(RevocationKind::Jti)
        );
        assert_eq!(set.revoked_by(&claims("{}", Some("k1")), now), Some(RevocationKind::Kid));
        assert_eq!(
            set.revoked_by(&claims(r#"{"sub":"s1"}"#, None), now),
            Some(RevocationKind::Sub)
        );
        let by_client = claims(r#"{"client_id":"c1"}"#, None);
        assert_eq!(set.revoked_by(&by_client, now), Some(RevocationKind::ClientId));
        // The value of one kind in another claim revokes nothing.
        assert!(!set
            .is_revoked(&claims(r#"{"sub":"j1","jti":"s1","client_id":"k1"}"#, Some("c1")), now));
        assert!(!set.is_revoked(&claims(r#"{"jti":"J1"}"#, None), now));
        assert_eq!(set.len(), 4);
    }

    #[test]
    fn as_of_a_time() {
        // RFC 7009 §2 leaves the extent to the server: here, a subject or client revoked at
        // a time loses the tokens issued before it and keeps those issued afterwards.
        let set = set_of(&["sub alice before=1000"]);
        assert!(set.is_revoked(&claims(r#"{"sub":"alice","iat":999}"#, None), 2000));
        assert!(!set.is_revoked(&claims(r#"{"sub":"alice","iat":1000}"#, None), 2000));
        assert!(set.is_revoked(&claims(r#"{"sub":"alice"}"#, None), 2000), "no iat: before");
    }

    #[test]
    fn repeated_values_take_the_wider_bounds() {
        let set = set_of(&["sub a before=10", "sub a before=20", "jti j until=5", "jti j"]);
        assert!(set.is_revoked(&claims(r#"{"sub":"a","iat":15}"#, None), 0));
        assert!(!set.is_revoked(&claims(r#"{"sub":"a","iat":20}"#, None), 0));
        assert!(set.is_revoked(&claims(r#"{"jti":"j"}"#, None), 100), "one entry has no end");
        let all = set_of(&["sub a before=10", "sub a"]);
        assert!(all.is_revoked(&claims(r#"{"sub":"a","iat":50}"#, None), 0));
        assert_eq!(all.len(), 1);
    }

    #[test]
    fn an_ended_revocation_no_longer_applies() {
        let set = set_of(&["jti j until=10"]);
        assert!(set.is_revoked(&claims(r#"{"jti":"j"}"#, None), 10));
        assert!(!set.is_revoked(&claims(r#"{"jti":"j"}"#, None), 11));
    }

    #[test]
    fn clear_empties() {
        let mut set = set_of(&["jti j"]);
        set.clear();
        assert!(set.is_empty() && !set.is_revoked(&claims(r#"{"jti":"j"}"#, None), 0));
    }
}
