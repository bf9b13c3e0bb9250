//! In-process caches of database reads that other instances may change: an entry is only
//! trusted while this process hears PostgreSQL's change notifications (see `listen`), and a read
//! that raced an invalidation is never stored.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;

/// More entries than this and the cache starts over: memory stays bounded without bookkeeping.
const MAX_ENTRIES: usize = 100_000;

/// Values by key, served only while `live` (the change listener is connected and listening).
pub struct NotifiedCache<K, V> {
    inner: RwLock<Inner<K, V>>,
}

struct Inner<K, V> {
    entries: HashMap<K, V>,
    live: bool,
    /// Moves on every invalidation, so a value read from the database before one is not stored
    /// after it.
    epoch: u64,
}

/// Taken before reading from the database; the read may be stored only with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64);

impl<K: Eq + Hash, V: Clone> Default for NotifiedCache<K, V> {
    fn default() -> Self {
        Self {
            inner: RwLock::new(Inner {
                entries: HashMap::new(),
                live: false,
                epoch: 0,
            }),
        }
    }
}

impl<K: Eq + Hash, V: Clone> NotifiedCache<K, V> {
    /// The cached value, if there is one and the cache is trusted now.
    pub fn get(&self, key: &K) -> Option<V> {
        let inner = self.inner.read().ok()?;
        if !inner.live {
            return None;
        }
        inner.entries.get(key).cloned()
    }

    /// `None` while the cache is not trusted: read from the database and do not store.
    pub fn ticket(&self) -> Option<Ticket> {
        let inner = self.inner.read().ok()?;
        inner.live.then_some(Ticket(inner.epoch))
    }

    /// Stores a value read after `ticket` was taken, unless something was invalidated since.
    pub fn insert(&self, ticket: Ticket, key: K, value: V) {
        let Ok(mut inner) = self.inner.write() else {
            return;
        };
        if !inner.live || inner.epoch != ticket.0 {
            return;
        }
        if inner.entries.len() >= MAX_ENTRIES {
            inner.entries.clear();
        }
        inner.entries.insert(key, value);
    }

    /// Drops one key (it changed, here or in another instance).
    pub fn forget(&self, key: &K) {
        if let Ok(mut inner) = self.inner.write() {
            inner.epoch += 1;
            inner.entries.remove(key);
        }
    }

    /// Drops everything.
    pub fn forget_all(&self) {
        self.set_live(None);
    }

    /// Starts trusting the cache, empty (changes may have been missed while not listening), or
    /// stops trusting it. `None` keeps `live` as it is.
    fn set_live(&self, live: Option<bool>) {
        if let Ok(mut inner) = self.inner.write() {
            inner.epoch += 1;
            inner.entries.clear();
            if let Some(live) = live {
                inner.live = live;
            }
        }
    }

    pub fn is_live(&self) -> bool {
        self.inner.read().is_ok_and(|inner| inner.live)
    }
}

/// What the change listener needs of a cache, whatever its key and value.
pub trait Invalidate: Send + Sync {
    /// Listening (again): start empty and trusted.
    fn go_live(&self);
    /// Not listening: changes elsewhere would go unnoticed, so serve nothing from here.
    fn go_dark(&self);
    /// A notification arrived on the cache's channel with this payload.
    fn changed(&self, payload: &str);
}

/// A cache whose notification payload is the key as text (or `*` for every key).
pub trait KeyFromPayload: Sized {
    fn from_payload(payload: &str) -> Option<Self>;
}

impl KeyFromPayload for uuid::Uuid {
    fn from_payload(payload: &str) -> Option<Self> {
        payload.parse().ok()
    }
}

impl KeyFromPayload for () {
    fn from_payload(_: &str) -> Option<Self> {
        Some(())
    }
}

impl<K, V> Invalidate for NotifiedCache<K, V>
where
    K: Eq + Hash + KeyFromPayload + Send + Sync,
    V: Clone + Send + Sync,
{
    fn go_live(&self) {
        self.set_live(Some(true));
    }

    fn go_dark(&self) {
        self.set_live(Some(false));
    }

    fn changed(&self, payload: &str) {
        match K::from_payload(payload) {
            Some(key) if payload != "*" => self.forget(&key),
            // `*`, or a payload we cannot read: safest to drop everything.
            _ => self.forget_all(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live() -> NotifiedCache<u32, &'static str> {
        let cache = NotifiedCache::default();
        cache.set_live(Some(true));
        cache
    }

    #[test]
    fn serves_nothing_until_live() {
        let cache = NotifiedCache::<u32, &str>::default();
        assert_eq!(cache.ticket(), None);
        cache.set_live(Some(true));
        let ticket = cache.ticket().unwrap();
        cache.insert(ticket, 1, "a");
        assert_eq!(cache.get(&1), Some("a"));
        cache.set_live(Some(false));
        assert_eq!(cache.get(&1), None);
        assert_eq!(cache.ticket(), None);
        cache.set_live(Some(true));
        assert_eq!(cache.get(&1), None, "going live again starts empty");
    }

    #[test]
    fn a_read_that_raced_an_invalidation_is_not_stored() {
        let cache = live();
        let ticket = cache.ticket().unwrap();
        // Another request changes key 2 while ours reads key 1 from the database.
        cache.forget(&2);
        cache.insert(ticket, 1, "stale?");
        assert_eq!(cache.get(&1), None);
        let ticket = cache.ticket().unwrap();
        cache.insert(ticket, 1, "fresh");
        assert_eq!(cache.get(&1), Some("fresh"));
    }

    #[test]
    fn a_read_from_before_going_dark_is_not_stored_after_going_live() {
        let cache = live();
        let ticket = cache.ticket().unwrap();
        cache.set_live(Some(false));
        cache.set_live(Some(true));
        cache.insert(ticket, 1, "from before");
        assert_eq!(cache.get(&1), None);
    }

    #[test]
    fn star_and_unreadable_payloads_clear_everything() {
        let cache: NotifiedCache<uuid::Uuid, u8> = NotifiedCache::default();
        cache.go_live();
        let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        cache.insert(cache.ticket().unwrap(), a, 1);
        cache.insert(cache.ticket().unwrap(), b, 2);
        cache.changed(&a.to_string());
        assert_eq!((cache.get(&a), cache.get(&b)), (None, Some(2)));
        cache.changed("*");
        assert_eq!(cache.get(&b), None);
        cache.insert(cache.ticket().unwrap(), b, 2);
        cache.changed("not a uuid");
        assert_eq!(cache.get(&b), None);
        assert!(cache.is_live());
    }
}
