//! When each person was last active, kept to the minute: the follow-up asks "inactive for N
//! days", so a write need not stamp the account again within `STAMP_EVERY` of the last stamp
//! this instance made. Each instance remembers its own stamps; the database has the newest.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

/// The longest `users.last_active_at` may lag behind a person's last write.
pub const STAMP_EVERY: Duration = Duration::from_secs(60);
/// More people than this and the memory starts over (each then gets one stamp more).
const MAX_REMEMBERED: usize = 100_000;

#[derive(Default)]
pub struct ActivityStamps {
    stamped: Mutex<HashMap<Uuid, Instant>>,
}

impl ActivityStamps {
    /// Whether `user` should be stamped now (not stamped by this instance within
    /// `STAMP_EVERY`). Answering `true` counts as stamping: call `forget` if the write fails.
    pub fn due(&self, user: Uuid, now: Instant) -> bool {
        let Ok(mut stamped) = self.stamped.lock() else {
            return true;
        };
        match stamped.get(&user) {
            Some(at) if now.duration_since(*at) < STAMP_EVERY => false,
            _ => {
                if stamped.len() >= MAX_REMEMBERED {
                    stamped.clear();
                }
                stamped.insert(user, now);
                true
            }
        }
    }

    pub fn forget(&self, user: Uuid) {
        if let Ok(mut stamped) = self.stamped.lock() {
            stamped.remove(&user);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_is_stamped_once_a_minute() {
        let stamps = ActivityStamps::default();
        let (kari, ola) = (Uuid::new_v4(), Uuid::new_v4());
        let start = Instant::now();
        assert!(stamps.due(kari, start));
        assert!(!stamps.due(kari, start + Duration::from_secs(59)));
        assert!(stamps.due(ola, start + Duration::from_secs(1)));
        assert!(stamps.due(kari, start + Duration::from_secs(61)));
        stamps.forget(ola);
        assert!(stamps.due(ola, start + Duration::from_secs(2)));
    }
}
