//! The revocation status lists (W3C Bitstring Status List v1.0): each certificate owns one bit,
//! set when it is revoked, in a list of 131072 bits that anyone can fetch, signed like the
//! credentials. A verifier learns whether one credential is revoked without telling us which.

use std::io::Write;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use base64::Engine;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::store;
use crate::error::{AppError, AppResult};
use crate::AppState;

/// Bits in one list: the specification's minimum, so one list hides a revocation among 131072.
pub const LIST_BITS: i64 = 131_072;
/// How long a fetched list is valid: a copy older than this cannot un-revoke a certificate.
const VALID_FOR: Duration = Duration::hours(24);

/// Where a certificate's bit is: the list (numbered from 1) and the bit in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusPosition {
    pub list: i64,
    pub bit: i64,
}

impl StatusPosition {
    pub fn of(status_index: i64) -> StatusPosition {
        StatusPosition {
            list: status_index / LIST_BITS + 1,
            bit: status_index % LIST_BITS,
        }
    }
}

/// `{PUBLIC_BASE_URL}/api/v1/issuer/status/{list}`.
pub fn list_url(config: &crate::config::Config, list: i64) -> String {
    let mut url = config.public_base_url.clone();
    url.set_path(&format!("/api/v1/issuer/status/{list}"));
    url.to_string()
}

/// The `encodedList`: a multibase base64url (`u`) string of the GZIP of `LIST_BITS` bits, the
/// bits at `set` on; bit 0 is the most significant bit of the first byte.
pub fn encoded_list(set: &[i64]) -> String {
    let mut bits = vec![0u8; (LIST_BITS / 8) as usize];
    for &bit in set.iter().filter(|b| (0..LIST_BITS).contains(*b)) {
        bits[(bit / 8) as usize] |= 0x80 >> (bit % 8);
    }
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(&bits)
        .expect("writing to memory cannot fail");
    let compressed = gzip.finish().expect("writing to memory cannot fail");
    format!("u{}", BASE64URL.encode(compressed))
}

/// The unsigned BitstringStatusListCredential of list `list`, with the JWT claims beside it.
pub fn list_credential(
    config: &crate::config::Config,
    list: i64,
    revoked_bits: &[i64],
    now: DateTime<Utc>,
) -> Value {
    let url = list_url(config, list);
    let issuer = super::credential::issuer_url(config);
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": now.to_rfc3339_opts(SecondsFormat::Secs, true),
        "validUntil": (now + VALID_FOR).to_rfc3339_opts(SecondsFormat::Secs, true),
        "credentialSubject": {
            "id": format!("{url}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_list(revoked_bits),
        },
        "iss": issuer,
        "jti": url,
        "iat": now.timestamp(),
        "nbf": now.timestamp(),
        "exp": (now + VALID_FOR).timestamp(),
    })
}

/// List `list` as it stands now, signed (compact JWS, `application/vc+jwt`). A list past the
/// last certificate issued does not exist yet (404); the first always does.
pub async fn signed_list(state: &AppState, list: &str) -> AppResult<String> {
    let list: i64 = match list.parse() {
        Ok(n) if (1..=1_000_000).contains(&n) => n,
        _ => return Err(AppError::NotFound),
    };
    let mut conn = state.pool.get().await?;
    let highest = store::highest_status_index(&mut conn).await?.unwrap_or(0);
    if list > StatusPosition::of(highest).list {
        return Err(AppError::NotFound);
    }
    let first = (list - 1) * LIST_BITS;
    let revoked: Vec<i64> = store::revoked_status_indices(&mut conn, first, first + LIST_BITS)
        .await?
        .into_iter()
        .map(|index| index - first)
        .collect();
    let credential = list_credential(&state.config, list, &revoked, state.clock.now());
    Ok(state
        .config
        .issuer_keys
        .sign(&credential, &state.config.issuer_jwks_url()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn decoded(encoded: &str) -> Vec<u8> {
        let compressed = BASE64URL
            .decode(encoded.strip_prefix('u').unwrap())
            .unwrap();
        let mut bits = Vec::new();
        flate2::read::GzDecoder::new(compressed.as_slice())
            .read_to_end(&mut bits)
            .unwrap();
        bits
    }

    #[test]
    fn bit_zero_is_the_first_byte_s_most_significant_bit() {
        let bits = decoded(&encoded_list(&[0, 9, LIST_BITS - 1]));
        assert_eq!(bits.len(), 16_384, "131072 bits, the minimum");
        assert_eq!(bits[0], 0b1000_0000);
        assert_eq!(bits[1], 0b0100_0000);
        assert_eq!(bits[16_383], 0b0000_0001);
        assert_eq!(bits.iter().map(|b| b.count_ones()).sum::<u32>(), 3);
        // Bits outside the list are not this list's.
        assert!(decoded(&encoded_list(&[-1, LIST_BITS]))
            .iter()
            .all(|b| *b == 0));
    }

    #[test]
    fn certificates_fill_one_list_then_the_next() {
        assert_eq!(StatusPosition::of(0), StatusPosition { list: 1, bit: 0 });
        assert_eq!(
            StatusPosition::of(LIST_BITS - 1),
            StatusPosition {
                list: 1,
                bit: LIST_BITS - 1
            }
        );
        assert_eq!(
            StatusPosition::of(LIST_BITS + 5),
            StatusPosition { list: 2, bit: 5 }
        );
    }
}
