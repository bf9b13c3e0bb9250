//! Per-IP and per-account rate limits kept in memory (each instance limits what it serves). The
//! per-account login lock is in the database instead (see `service::login`), so it holds across
//! instances.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;

use actix_web::HttpRequest;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::AppError;

/// Requests a minute per key (an IP address, or an account's id).
pub struct KeyedLimiter<K: std::hash::Hash + Eq + Clone + std::fmt::Display> {
    limiter: DefaultKeyedRateLimiter<K>,
}

pub type IpLimiter = KeyedLimiter<IpAddr>;
pub type AccountLimiter = KeyedLimiter<uuid::Uuid>;

impl<K: std::hash::Hash + Eq + Clone + std::fmt::Display> KeyedLimiter<K> {
    pub fn per_minute(requests: u32) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(requests.max(1)).expect("non-zero"));
        Self {
            limiter: RateLimiter::keyed(quota),
        }
    }

    pub fn check(&self, key: K) -> Result<(), AppError> {
        self.limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            tracing::warn!(target: "security", event = "rate_limited", key = %key, "rate limit reached");
            AppError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }

    /// Forgets addresses whose budget is full again; called now and then by the worker.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// The key failed sign-ins are counted under: an HMAC of the normalised address under the
/// server's secret, so the lockout state holds no address in clear (an erased person's address
/// typed again leaves nothing readable) and cannot be linked to one without the secret.
pub fn account_key(secret: &secrecy::SecretString, email: &str) -> Vec<u8> {
    use hmac::Mac;
    use secrecy::ExposeSecret;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.expose_secret().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(b"mentorsti sign-in attempts\0");
    mac.update(crate::http::fields::normalize_email(email).as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The client's address: the peer, or behind the one trusted proxy the address that proxy saw,
/// which it appended as the last `X-Forwarded-For` entry. Every entry left of it came from the
/// client and could say anything, so only the rightmost one is read (several headers count as
/// one list in order); when it is missing or no address, the peer is used.
pub fn client_ip(req: &HttpRequest, trust_forwarded_for: bool) -> IpAddr {
    if trust_forwarded_for {
        if let Some(ip) = last_forwarded_for(req) {
            return ip;
        }
    }
    req.peer_addr()
        .map(|addr| addr.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

fn last_forwarded_for(req: &HttpRequest) -> Option<IpAddr> {
    let last = req
        .headers()
        .get_all(actix_web::http::header::X_FORWARDED_FOR)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .last()?;
    last.parse::<IpAddr>()
        .ok()
        .or_else(|| last.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_quota_per_address() {
        let limiter = IpLimiter::per_minute(3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            limiter.check(a).unwrap();
        }
        match limiter.check(a) {
            Err(AppError::RateLimited { retry_after_secs }) => assert!(retry_after_secs >= 1),
            other => panic!("expected rate limit, got {other:?}"),
        }
        limiter.check(b).unwrap();
    }

    fn ip_of(req: actix_web::test::TestRequest, trust: bool) -> IpAddr {
        let peer = "192.0.2.10:40000".parse().unwrap();
        client_ip(&req.peer_addr(peer).to_http_request(), trust)
    }

    #[test]
    fn takes_the_address_the_proxy_saw_not_what_the_client_wrote() {
        let req = actix_web::test::TestRequest::default()
            .insert_header(("X-Forwarded-For", "203.0.113.66, 198.51.100.7"));
        assert_eq!(ip_of(req, true), "198.51.100.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn reads_several_forwarded_for_headers_as_one_list() {
        let req = actix_web::test::TestRequest::default()
            .append_header(("X-Forwarded-For", "203.0.113.66"))
            .append_header(("X-Forwarded-For", "203.0.113.67, 198.51.100.7"))
            .append_header(("X-Forwarded-For", "[2001:db8::7]:443"));
        assert_eq!(ip_of(req, true), "2001:db8::7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn falls_back_to_the_peer_without_a_usable_last_entry() {
        let peer: IpAddr = "192.0.2.10".parse().unwrap();
        let none = actix_web::test::TestRequest::default();
        assert_eq!(ip_of(none, true), peer);
        // A valid address left of garbage was written by the client, not by the proxy.
        let garbage = actix_web::test::TestRequest::default()
            .insert_header(("X-Forwarded-For", "203.0.113.66, unknown"));
        assert_eq!(ip_of(garbage, true), peer);
        let spoofed = actix_web::test::TestRequest::default()
            .insert_header(("X-Forwarded-For", "203.0.113.66"));
        assert_eq!(ip_of(spoofed, false), peer, "not trusted unless configured");
    }
}
