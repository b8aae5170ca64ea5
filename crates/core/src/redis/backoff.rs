//! How long to wait before connecting again after a failure: doubling from 100 ms up to 2 s,
//! so an instance notices a Redis restart within about two seconds while a long outage
//! costs one attempt every two seconds.

use std::time::Duration;

/// The first wait.
const FIRST_MS: u64 = 100;
/// The longest wait.
const MAX_MS: u64 = 2000;

/// The retry schedule of one connection.
#[derive(Clone, Debug, Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    /// The wait after one more failure.
    pub fn next_delay(&mut self) -> Duration {
        let shift = self.failures.min(16);
        self.failures = self.failures.saturating_add(1);
        Duration::from_millis(FIRST_MS.saturating_mul(1 << shift).min(MAX_MS))
    }

    /// After a success: the next failure waits the shortest time again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_and_resets() {
        let mut backoff = Backoff::default();
        let waits: Vec<u64> = (0..8).map(|_| backoff.next_delay().as_millis() as u64).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1600, 2000, 2000, 2000]);
        for _ in 0..100 {
            backoff.next_delay();
        }
        assert_eq!(backoff.next_delay(), Duration::from_millis(2000));
        backoff.reset();
        assert_eq!(backoff.next_delay(), Duration::from_millis(100));
    }
}
