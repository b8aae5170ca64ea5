//! An outage is logged once per streak of failures, and its end once: a Redis server down
//! for an hour is two lines in the error log, not one per retry.

/// The state of one connection's streak of failures.
#[derive(Clone, Debug, Default)]
pub struct Outage {
    /// Failures since the last success, and when the first of them happened.
    streak: Option<(u64, i64)>,
}

/// A streak that just ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Streak {
    /// How many attempts failed.
    pub failures: u64,
    /// When the first one failed (seconds since the epoch).
    pub since: i64,
}

impl Outage {
    /// Records a failure at `now`; `true` when it starts a streak (log it).
    pub fn failed(&mut self, now: i64) -> bool {
        match &mut self.streak {
            Some((failures, _)) => {
                *failures += 1;
                false
            }
            None => {
                self.streak = Some((1, now));
                true
            }
        }
    }

    /// Records a success; the streak it ends, if any (log the recovery).
    pub fn succeeded(&mut self) -> Option<Streak> {
        self.streak.take().map(|(failures, since)| Streak { failures, since })
    }

    /// Whether the last attempt failed.
    pub fn is_down(&self) -> bool {
        self.streak.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn once_per_streak() {
        let mut outage = Outage::default();
        assert_eq!(outage.succeeded(), None, "no streak to end");
        assert!(outage.failed(10));
        assert!(!outage.failed(11));
        assert!(!outage.failed(12));
        assert!(outage.is_down());
        assert_eq!(outage.succeeded(), Some(Streak { failures: 3, since: 10 }));
        assert!(!outage.is_down());
        assert!(outage.failed(20), "a new streak is logged again");
    }
}
