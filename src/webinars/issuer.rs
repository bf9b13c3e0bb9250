//! The issuer's signing keys: Ed25519 keys that sign the certificates' credentials and the status
//! list as compact JWS (EdDSA). They are kept like the encryption keys (`ISSUER_KEYS`, or
//! `DATA_DIR/issuer-keys`), and every configured key stays in the published JWKS, so what an
//! older key signed still verifies after a rotation.

use std::collections::BTreeMap;
use std::fmt;

use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD as BASE64URL};
use base64::Engine;
use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::{Signer, SigningKey};
use rand::RngCore;
use secrecy::zeroize::Zeroizing;
use serde_json::{json, Value};

/// The configured signing keys by id, and the one new signatures are made with.
pub struct IssuerKeys {
    current: String,
    keys: BTreeMap<String, SigningKey>,
}

impl fmt::Debug for IssuerKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuerKeys")
            .field("current", &self.current)
            .field("key_ids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl IssuerKeys {
    /// Parses `id:base64,id:base64` (commas or newlines between entries), each key a 32-byte
    /// Ed25519 seed or a PKCS#8 (DER) Ed25519 private key. The current key is `current` when
    /// given, otherwise the last one listed.
    pub fn parse(list: &str, current: Option<&str>) -> Result<IssuerKeys, String> {
        let mut keys = BTreeMap::new();
        let mut last = None;
        for entry in list
            .split([',', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty() && !e.starts_with('#'))
        {
            let (id, key) = entry
                .split_once(':')
                .ok_or_else(|| "each key must be written id:base64key".to_owned())?;
            let id = id.trim();
            if !crate::encryption::valid_key_id(id) {
                return Err(format!(
                    "key id {id:?} must be 1–32 letters, digits, '-' or '_'"
                ));
            }
            let bytes = Zeroizing::new(
                BASE64
                    .decode(key.trim())
                    .map_err(|_| format!("key {id:?} is not valid base64"))?,
            );
            let signing_key = match <&[u8; 32]>::try_from(bytes.as_slice()) {
                Ok(seed) => SigningKey::from_bytes(seed),
                Err(_) => SigningKey::from_pkcs8_der(&bytes).map_err(|_| {
                    format!("key {id:?} must be a 32-byte Ed25519 seed or a PKCS#8 Ed25519 key, in base64")
                })?,
            };
            if keys.insert(id.to_owned(), signing_key).is_some() {
                return Err(format!("key id {id:?} is listed twice"));
            }
            last = Some(id.to_owned());
        }
        let current = match current {
            Some(id) if keys.contains_key(id) => id.to_owned(),
            Some(id) => return Err(format!("the current key {id:?} is not among the keys")),
            None => last.ok_or_else(|| "no keys are given".to_owned())?,
        };
        Ok(IssuerKeys { current, keys })
    }

    /// A new random key as a line for the key list: `id:base64seed`.
    pub fn generate_entry(id: &str) -> String {
        let mut seed = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(seed.as_mut());
        format!("{id}:{}", BASE64.encode(seed.as_ref()))
    }

    pub fn current_id(&self) -> &str {
        &self.current
    }

    /// The public keys as a JSON Web Key Set (RFC 7517, OKP keys of RFC 8037), every configured
    /// key, each named by `{jwks_url}#{id}`: the URI a token's `kid` gives, which leads to it.
    pub fn jwks(&self, jwks_url: &str) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .map(|(id, key)| {
                json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": BASE64URL.encode(key.verifying_key().as_bytes()),
                    "kid": format!("{jwks_url}#{id}"),
                    "alg": "EdDSA",
                    "use": "sig",
                })
            })
            .collect();
        json!({ "keys": keys })
    }

    /// `payload` as a compact JWS signed with the current key, with the header Open Badges 3.0
    /// asks of a JWT proof: `{alg: EdDSA, kid: <a URI that leads to the key>, typ: JWT}`.
    pub fn sign(&self, payload: &Value, jwks_url: &str) -> String {
        let key = &self.keys[&self.current];
        let kid = format!("{jwks_url}#{}", self.current);
        let header = json!({ "alg": "EdDSA", "kid": kid, "typ": "JWT" });
        let signing_input = format!(
            "{}.{}",
            BASE64URL.encode(header.to_string()),
            BASE64URL.encode(payload.to_string())
        );
        let signature = key.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", BASE64URL.encode(signature.to_bytes()))
    }
}

/// Without `ISSUER_KEYS`, the key list is kept in `DATA_DIR/issuer-keys` (created with one
/// random key on first start), so credentials issued by a local instance keep verifying.
pub fn load_or_create_key_file(data_dir: &std::path::Path) -> Result<String, String> {
    let contents = format!(
        "# Keys that sign the certificates' credentials (Ed25519 seeds); the last line is the\n\
         # current key. Keep every key that signed a credential still in use: the JWKS lists them.\n{}\n",
        IssuerKeys::generate_entry("i1")
    );
    crate::config::load_or_create_key_list(data_dir, "issuer-keys", "ISSUER_KEYS", &contents)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};

    fn public_key(jwks: &Value, kid: &str) -> VerifyingKey {
        let key = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid)
            .unwrap();
        let x: [u8; 32] = BASE64URL
            .decode(key["x"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        VerifyingKey::from_bytes(&x).unwrap()
    }

    #[test]
    fn signs_with_the_current_key_and_publishes_every_key() {
        let list = format!(
            "{},{}",
            IssuerKeys::generate_entry("old"),
            IssuerKeys::generate_entry("new")
        );
        let keys = IssuerKeys::parse(&list, None).unwrap();
        assert_eq!(keys.current_id(), "new");
        let url = "https://mentor.example.no/api/v1/issuer/jwks.json";
        let token = keys.sign(&json!({"name": "Kursbevis"}), url);
        let parts: Vec<&str> = token.split('.').collect();
        let header: Value = serde_json::from_slice(&BASE64URL.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(
            header,
            json!({"alg": "EdDSA", "kid": format!("{url}#new"), "typ": "JWT"})
        );
        let jwks = keys.jwks(url);
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
        let signature = Signature::from_slice(&BASE64URL.decode(parts[2]).unwrap()).unwrap();
        let input = format!("{}.{}", parts[0], parts[1]);
        assert!(public_key(&jwks, &format!("{url}#new"))
            .verify(input.as_bytes(), &signature)
            .is_ok());
        assert!(public_key(&jwks, &format!("{url}#old"))
            .verify(input.as_bytes(), &signature)
            .is_err());
        let older = IssuerKeys::parse(&list, Some("old")).unwrap();
        assert_eq!(older.current_id(), "old");
    }

    #[test]
    fn accepts_pkcs8_keys_and_refuses_what_is_not_a_key() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let der = key.to_pkcs8_der().unwrap();
        let entry = format!("p:{}", BASE64.encode(der.as_bytes()));
        let keys = IssuerKeys::parse(&entry, None).unwrap();
        assert_eq!(
            public_key(&keys.jwks("u"), "u#p").as_bytes(),
            key.verifying_key().as_bytes()
        );
        assert!(IssuerKeys::parse("a:c2hvcnQ=", None)
            .unwrap_err()
            .contains("Ed25519"));
        let a = IssuerKeys::generate_entry("a");
        assert!(IssuerKeys::parse(&format!("{a},{a}"), None).is_err());
        assert!(IssuerKeys::parse(&a, Some("b")).is_err());
        assert!(IssuerKeys::parse("", None).is_err());
    }

    #[test]
    fn debug_output_shows_no_key_material() {
        let entry = IssuerKeys::generate_entry("a");
        let keys = IssuerKeys::parse(&entry, None).unwrap();
        let shown = format!("{keys:?}");
        assert!(!shown.contains(entry.split_once(':').unwrap().1));
        assert_eq!(shown, r#"IssuerKeys { current: "a", key_ids: ["a"] }"#);
    }
}
