//! How much of the shared zone revocations made at the revocation endpoint may take, and how
//! much of that one client may: a client revoking token after token of its own must run into
//! its own limit long before it can fill what every location's revocations need.
//!
//! The zone is shared like nginx's own zones are split: the token cache at most half, the
//! replay records at most a quarter, the revocations a quarter. The endpoint refuses (503, RFC
//! 7009 §2.2.1: the client must assume the token still valid) a revocation that would take the
//! revocations past their quarter, or take one client past its share of it. Revocations from a
//! file or from Redis are the operator's: they are loaded whatever they take (the token cache
//! gives way to them), and they count against the quarter.

use crate::defaults;
use crate::fingerprint::content_id;

/// What a revoking client (`by=`) is counted under in shared memory: a content id, the same in
/// every worker; 0 for none.
pub fn client_mark(by: Option<&[u8]>) -> u64 {
    by.map_or(0, |id| content_id([b"revoked by".as_slice(), id]).max(1))
}

/// The bytes revocations may take in a zone, and one client's share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Every revocation in the zone.
    pub total: usize,
    /// Those that one client made at the endpoint and that are still in force.
    pub per_client: usize,
}

/// What the endpoint may do with a new revocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Record it.
    Admitted,
    /// The client holds its share of the zone already.
    ClientOverShare,
    /// The zone's revocations hold their whole budget.
    Full,
}

impl Budget {
    /// The budget in a zone of `zone_size` bytes.
    pub fn of_zone(zone_size: usize) -> Budget {
        let total = zone_size / defaults::REVOCATION_ZONE_SHARE;
        Budget { total, per_client: total / defaults::REVOCATION_CLIENT_SHARE }
    }

    /// Whether a revocation taking `size` bytes may be recorded, when revocations take `used`
    /// bytes and the revoking client's take `by_client`; `exempt` for a client with the
    /// `revoke` permission (an administrator, bounded by the total only).
    pub fn admits(&self, used: usize, by_client: usize, size: usize, exempt: bool) -> Admission {
        if used.saturating_add(size) > self.total {
            return Admission::Full;
        }
        if !exempt && by_client.saturating_add(size) > self.per_client {
            return Admission::ClientOverShare;
        }
        Admission::Admitted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_client_reaches_its_share_long_before_the_zone_is_full() {
        let budget = Budget::of_zone(8 << 20);
        assert_eq!(budget.total, 2 << 20);
        assert_eq!(budget.per_client, (2 << 20) / 16);
        let entry = 128;
        let own = budget.per_client / entry;
        assert_eq!(
            budget.admits(own * entry, (own - 1) * entry, entry, false),
            Admission::Admitted
        );
        assert_eq!(
            budget.admits(own * entry, own * entry, entry, false),
            Admission::ClientOverShare
        );
        assert_eq!(budget.admits(own * entry, own * entry, entry, true), Admission::Admitted);
        assert_eq!(budget.admits(budget.total, 0, entry, true), Admission::Full);
    }
}
