//! Whole numbers in request bodies, accepted also when written with a zero fraction (`2.0`).

use serde::{Deserialize, Deserializer};

/// A whole number sent as JSON, also when written with a zero fraction (`2.0`): JSON Schema
/// calls that an integer, and so do some JSON writers. Use with
/// `#[serde(deserialize_with = "fields::integer")]` (or `optional_integer` with `default`).
pub fn integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i32, D::Error> {
    deserializer.deserialize_any(WholeNumber)
}

pub fn optional_integer<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i32>, D::Error> {
    Option::<Whole>::deserialize(deserializer).map(|value| value.map(|Whole(n)| n))
}

struct Whole(i32);

impl<'de> Deserialize<'de> for Whole {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(WholeNumber).map(Whole)
    }
}

struct WholeNumber;

impl serde::de::Visitor<'_> for WholeNumber {
    type Value = i32;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a whole number")
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<i32, E> {
        i32::try_from(value).map_err(|_| E::custom("is out of range"))
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<i32, E> {
        i32::try_from(value).map_err(|_| E::custom("is out of range"))
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<i32, E> {
        if value.fract() != 0.0 || !value.is_finite() {
            return Err(E::custom("must be a whole number"));
        }
        if value < f64::from(i32::MIN) || value > f64::from(i32::MAX) {
            return Err(E::custom("is out of range"));
        }
        Ok(value as i32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_may_carry_a_zero_fraction() {
        #[derive(Deserialize)]
        struct Body {
            #[serde(deserialize_with = "integer")]
            n: i32,
            #[serde(default, deserialize_with = "optional_integer")]
            m: Option<i32>,
        }
        let body: Body = serde_json::from_str(r#"{"n": 2.0, "m": 3}"#).unwrap();
        assert_eq!((body.n, body.m), (2, Some(3)));
        let body: Body = serde_json::from_str(r#"{"n": 2, "m": null}"#).unwrap();
        assert_eq!((body.n, body.m), (2, None));
        let body: Body = serde_json::from_str(r#"{"n": 2}"#).unwrap();
        assert_eq!(body.m, None);
        assert!(serde_json::from_str::<Body>(r#"{"n": 2.5}"#).is_err());
        assert!(serde_json::from_str::<Body>(r#"{"n": 1e12}"#).is_err());
        assert!(serde_json::from_str::<Body>(r#"{"n": "2"}"#).is_err());
    }
}
