//! What time it is, passed in (`AppState::clock`) so that rules which depend on time are tested
//! by setting the clock rather than by rewriting rows.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// The system's time: what the service runs on.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The system's time moved by an offset a test sets: time still passes (so timeouts and the
/// database's own stamps go on as usual), and a test jumps over a window or an expiry at once.
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset_ms: AtomicI64,
}

impl OffsetClock {
    /// Moves this clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offset_clock_moves_by_what_it_is_told_and_keeps_running() {
        let clock = OffsetClock::default();
        let before = Utc::now();
        clock.advance(Duration::minutes(16));
        let moved = clock.now();
        assert!(moved >= before + Duration::minutes(16));
        assert!(moved < Utc::now() + Duration::minutes(16) + Duration::seconds(1));
        clock.advance(Duration::minutes(-16));
        assert!(clock.now() - Utc::now() < Duration::seconds(1));
    }
}
