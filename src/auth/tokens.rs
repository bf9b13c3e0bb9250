//! Access tokens (HS256 JWT, pinned algorithm, 15 minutes) and opaque single-use tokens
//! (256 random bits, stored only as their SHA-256).

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::Role;
use crate::config::JwtConfig;

/// Clock skew tolerated on `exp` and `iat`.
pub const LEEWAY_SECS: u64 = 30;

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: Uuid,
    pub role: Role,
    /// The account's session version when issued (`users.session_version`).
    pub ver: i32,
    pub iat: i64,
    pub exp: i64,
}

/// Tokens whose signature was checked, by their exact text: a client sends the same access
/// token with every request for its lifetime, so the signature and the JSON are checked once.
/// Expiry is checked on every use. More entries than this and it starts over.
const VERIFIED_MAX: usize = 50_000;

#[derive(Default)]
struct Verified {
    claims: std::sync::RwLock<std::collections::HashMap<Box<str>, Claims>>,
}

impl Verified {
    fn get(&self, token: &str) -> Option<Claims> {
        self.claims.read().ok()?.get(token).cloned()
    }

    fn insert(&self, token: &str, claims: &Claims) {
        if let Ok(mut map) = self.claims.write() {
            if map.len() >= VERIFIED_MAX {
                map.clear();
            }
            map.insert(token.into(), claims.clone());
        }
    }
}

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    verified: std::sync::Arc<Verified>,
    issuer: String,
    audience: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

impl TokenKeys {
    pub fn new(config: &JwtConfig) -> Self {
        let secret = config.secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = LEEWAY_SECS;
        validation.set_issuer(&[config.issuer.as_str()]);
        validation.set_audience(&[config.audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            verified: Default::default(),
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            access_ttl: config.access_ttl,
            refresh_ttl: config.refresh_ttl,
        }
    }

    pub fn issue_access(
        &self,
        user_id: Uuid,
        role: Role,
        version: i32,
        now: DateTime<Utc>,
    ) -> String {
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user_id,
            role,
            ver: version,
            iat: now.timestamp(),
            exp: now.timestamp() + self.access_ttl.as_secs() as i64,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 encoding of plain claims cannot fail")
    }

    /// Any failure (expired, other algorithm, `alg: none`, other audience or issuer, tampered,
    /// issued in the future) is `None`.
    pub fn verify_access(&self, token: &str, now: DateTime<Utc>) -> Option<Claims> {
        let fresh = |claims: &Claims| {
            claims.iat <= now.timestamp() + LEEWAY_SECS as i64
                && claims.exp + (LEEWAY_SECS as i64) > now.timestamp()
        };
        if let Some(claims) = self.verified.get(token) {
            return fresh(&claims).then_some(claims);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        if !fresh(&data.claims) {
            return None;
        }
        self.verified.insert(token, &data.claims);
        Some(data.claims)
    }
}

/// A fresh opaque token: what the client gets, and the hash we keep.
pub struct OpaqueToken {
    pub plain: String,
    pub hash: Vec<u8>,
}

pub fn new_opaque_token() -> OpaqueToken {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let plain = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&plain);
    OpaqueToken { plain, hash }
}

pub fn hash_token(plain: &str) -> Vec<u8> {
    Sha256::digest(plain.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn keys() -> TokenKeys {
        TokenKeys::new(&JwtConfig {
            secret: SecretString::from("k".repeat(40)),
            issuer: "mentorsti".into(),
            audience: "mentorsti-api".into(),
            access_ttl: Duration::from_secs(900),
            refresh_ttl: Duration::from_secs(86400),
        })
    }

    #[test]
    fn round_trip_and_expiry() {
        let keys = keys();
        let now = Utc::now();
        let id = Uuid::new_v4();
        let token = keys.issue_access(id, Role::Mentor, 1, now);
        let claims = keys.verify_access(&token, now).unwrap();
        assert_eq!((claims.sub, claims.role), (id, Role::Mentor));
        assert_eq!(claims.exp - claims.iat, 900);
        let old = keys.issue_access(
            id,
            Role::Mentor,
            1,
            now - chrono::Duration::seconds(900 + 31),
        );
        assert!(keys.verify_access(&old, now).is_none());
        let within_leeway = keys.issue_access(
            id,
            Role::Mentor,
            1,
            now - chrono::Duration::seconds(900 + 10),
        );
        assert!(keys.verify_access(&within_leeway, now).is_some());
    }

    #[test]
    fn a_verified_token_still_expires_and_a_tampered_one_is_checked_afresh() {
        let keys = keys();
        let now = Utc::now();
        let token = keys.issue_access(Uuid::new_v4(), Role::Mentor, 1, now);
        assert!(keys.verify_access(&token, now).is_some());
        assert!(keys.verify_access(&token, now).is_some(), "from the cache");
        let later = now + chrono::Duration::seconds(900 + 31);
        assert!(
            keys.verify_access(&token, later).is_none(),
            "expired in the cache too"
        );
        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(keys.verify_access(&tampered, now).is_none());
    }

    #[test]
    fn opaque_tokens_are_256_bits_and_hashed() {
        let token = new_opaque_token();
        assert_eq!(URL_SAFE_NO_PAD.decode(&token.plain).unwrap().len(), 32);
        assert_eq!(token.hash, hash_token(&token.plain));
        assert_ne!(new_opaque_token().plain, token.plain);
    }
}
