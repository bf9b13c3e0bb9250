//! Encryption at rest of what mentors write about their own practice (reflection answers and
//! notes): AES-256-GCM, a random 96-bit nonce per value, the key id stored beside each value and
//! the row's identity bound as associated data, so a ciphertext moved to another row fails to open.

use std::collections::BTreeMap;
use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox};

pub mod reseal;

/// The first byte of every ciphertext: the format (AES-256-GCM, 12-byte nonce, 16-byte tag).
const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// What a sealed value adds to its plaintext: format byte, nonce and tag.
pub const OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;

/// A value as stored: which key sealed it, and `format || nonce || ciphertext || tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub ciphertext: Vec<u8>,
}

/// Why a stored value could not be opened. Never says anything about the plaintext.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpenError {
    #[error("the value was sealed with key {0:?}, which is not configured")]
    UnknownKey(String),
    #[error("the value is not in a known format")]
    Format,
    #[error("the value does not open with key {0:?} for this row (altered or moved)")]
    Tampered(String),
}

/// The configured keys by id, and the one new values are sealed with.
pub struct Keyring {
    current: String,
    keys: BTreeMap<String, SecretBox<[u8; 32]>>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current)
            .field("key_ids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Keyring {
    /// Parses `id:base64key,id:base64key` (commas or newlines between entries). The current key
    /// is `current` when given, otherwise the last one listed.
    pub fn parse(list: &str, current: Option<&str>) -> Result<Keyring, String> {
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
            if !valid_key_id(id) {
                return Err(format!(
                    "key id {id:?} must be 1–32 letters, digits, '-' or '_'"
                ));
            }
            let bytes = BASE64
                .decode(key.trim())
                .map_err(|_| format!("key {id:?} is not valid base64"))?;
            let key: [u8; 32] = bytes
                .try_into()
                .map_err(|_| format!("key {id:?} must be 32 bytes (256 bits) of base64"))?;
            if keys
                .insert(id.to_owned(), SecretBox::new(Box::new(key)))
                .is_some()
            {
                return Err(format!("key id {id:?} is listed twice"));
            }
            last = Some(id.to_owned());
        }
        let current = match current {
            Some(id) if keys.contains_key(id) => id.to_owned(),
            Some(id) => return Err(format!("the current key {id:?} is not among the keys")),
            None => last.ok_or_else(|| "no keys are given".to_owned())?,
        };
        Ok(Keyring { current, keys })
    }

    /// A new random key as a line for the key list: `id:base64key`.
    pub fn generate_entry(id: &str) -> String {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        format!("{id}:{}", BASE64.encode(key))
    }

    pub fn current_id(&self) -> &str {
        &self.current
    }

    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    fn cipher(&self, id: &str) -> Option<Aes256Gcm> {
        self.keys
            .get(id)
            .map(|key| Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key.expose_secret())))
    }

    /// Seals `plaintext` with the current key, bound to the row described by `aad`.
    pub fn seal(&self, plaintext: &str, aad: &[u8]) -> Sealed {
        let cipher = self.cipher(&self.current).expect("the current key exists");
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad,
                },
            )
            .expect("AES-GCM encryption of a bounded message cannot fail");
        let mut ciphertext = Vec::with_capacity(OVERHEAD + plaintext.len());
        ciphertext.push(FORMAT_V1);
        ciphertext.extend_from_slice(&nonce);
        ciphertext.extend_from_slice(&sealed);
        Sealed {
            key_id: self.current.clone(),
            ciphertext,
        }
    }

    /// Opens a value sealed by `seal` for the same row.
    pub fn open(&self, key_id: &str, ciphertext: &[u8], aad: &[u8]) -> Result<String, OpenError> {
        let cipher = self
            .cipher(key_id)
            .ok_or_else(|| OpenError::UnknownKey(key_id.to_owned()))?;
        if ciphertext.len() < OVERHEAD || ciphertext[0] != FORMAT_V1 {
            return Err(OpenError::Format);
        }
        let (nonce, sealed) = ciphertext[1..].split_at(NONCE_LEN);
        let plaintext = cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
            .map_err(|_| OpenError::Tampered(key_id.to_owned()))?;
        String::from_utf8(plaintext).map_err(|_| OpenError::Format)
    }
}

/// A stored text column group: plaintext (rows not sealed yet) or ciphertext and key id.
pub struct StoredText {
    pub plaintext: Option<String>,
    pub ciphertext: Option<Vec<u8>>,
    pub key_id: Option<String>,
}

impl StoredText {
    /// The text, opened if sealed. A value that does not open is an internal error (logged with
    /// the reason, never the text): it means a missing key or an altered database.
    pub fn open(self, keys: &Keyring, aad: &[u8]) -> Result<String, crate::error::AppError> {
        match self {
            StoredText {
                ciphertext: Some(ciphertext),
                key_id: Some(key_id),
                ..
            } => keys
                .open(&key_id, &ciphertext, aad)
                .map_err(crate::error::AppError::internal),
            StoredText {
                plaintext: Some(plaintext),
                ..
            } => Ok(plaintext),
            _ => Err(crate::error::AppError::internal(
                "a stored text has neither plaintext nor ciphertext",
            )),
        }
    }
}

/// What a pass over the stored texts does to each row it selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reseal {
    /// Seal rows that still hold plaintext (at start, after the migration).
    SealPlaintext,
    /// Seal plaintext and re-seal everything not under the current key.
    Rotate,
    /// Put the plaintext back and drop the ciphertext (before reverting the migration).
    Decrypt,
}

pub(crate) fn valid_key_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Associated data naming a row: a purpose label and the row's identifying parts, each
/// length-prefixed so that no two different rows can produce the same bytes.
pub fn row_aad(purpose: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(64);
    for part in std::iter::once(purpose.as_bytes()).chain(parts.iter().copied()) {
        aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
        aad.extend_from_slice(part);
    }
    aad
}

/// Without `ENCRYPTION_KEYS`, a key list is kept in `DATA_DIR/encryption-keys` (created with one
/// random key on first start) so a local instance needs no set-up and keeps reading its data.
/// An existing file is never overwritten: losing it would lose the data.
pub fn load_or_create_key_file(data_dir: &std::path::Path) -> Result<String, String> {
    let contents = format!(
        "# Keys that seal reflection answers and notes; the last line is the current key.\n\
         # Keep this file as long as the database: without it the texts cannot be read.\n{}\n",
        Keyring::generate_entry("k1")
    );
    crate::config::load_or_create_key_list(
        data_dir,
        "encryption-keys",
        "ENCRYPTION_KEYS",
        &contents,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyring(list: &[&str], current: Option<&str>) -> Keyring {
        let entries: Vec<String> = list.iter().map(|id| Keyring::generate_entry(id)).collect();
        Keyring::parse(&entries.join(","), current).unwrap()
    }

    #[test]
    fn seals_and_opens_for_the_same_row_only() {
        let keys = keyring(&["a"], None);
        let aad = row_aad("answer", &[b"user", b"q1"]);
        let sealed = keys.seal("Jeg lærte å lytte.", &aad);
        assert_eq!(sealed.key_id, "a");
        assert_eq!(
            sealed.ciphertext.len(),
            OVERHEAD + "Jeg lærte å lytte.".len()
        );
        assert_eq!(
            keys.open("a", &sealed.ciphertext, &aad).unwrap(),
            "Jeg lærte å lytte."
        );
        let other = row_aad("answer", &[b"user", b"q2"]);
        assert_eq!(
            keys.open("a", &sealed.ciphertext, &other),
            Err(OpenError::Tampered("a".into()))
        );
        // A fresh nonce each time: equal texts do not give equal ciphertexts.
        assert_ne!(
            keys.seal("x", &aad).ciphertext,
            keys.seal("x", &aad).ciphertext
        );
    }

    #[test]
    fn length_prefixes_keep_rows_apart() {
        assert_ne!(row_aad("p", &[b"ab", b"c"]), row_aad("p", &[b"a", b"bc"]));
    }

    #[test]
    fn altered_ciphertexts_and_unknown_keys_are_refused() {
        let keys = keyring(&["a"], None);
        let mut sealed = keys.seal("tekst", b"row");
        let last = sealed.ciphertext.len() - 1;
        sealed.ciphertext[last] ^= 1;
        assert!(matches!(
            keys.open("a", &sealed.ciphertext, b"row"),
            Err(OpenError::Tampered(_))
        ));
        assert!(matches!(
            keys.open("b", &sealed.ciphertext, b"row"),
            Err(OpenError::UnknownKey(_))
        ));
        assert_eq!(keys.open("a", &[1, 2, 3], b"row"), Err(OpenError::Format));
    }

    #[test]
    fn the_current_key_is_named_or_the_last() {
        assert_eq!(keyring(&["a", "b"], None).current_id(), "b");
        assert_eq!(keyring(&["a", "b"], Some("a")).current_id(), "a");
        let a = Keyring::generate_entry("a");
        assert!(Keyring::parse(&a, Some("c")).is_err());
        assert!(Keyring::parse("a:bm90IDMyIGJ5dGVz", None)
            .unwrap_err()
            .contains("32 bytes"));
        assert!(Keyring::parse(&format!("{a},{a}"), None).is_err());
        assert!(Keyring::parse("bad id:AAAA", None).is_err());
        assert!(Keyring::parse("", None).is_err());
        // The key file's comment lines and newlines are accepted.
        let file = format!("# comment\n{a}\n");
        assert_eq!(Keyring::parse(&file, None).unwrap().current_id(), "a");
    }

    #[test]
    fn debug_output_shows_no_key_material() {
        let entry = Keyring::generate_entry("a");
        let keys = Keyring::parse(&entry, None).unwrap();
        let shown = format!("{keys:?}");
        assert!(!shown.contains(entry.split_once(':').unwrap().1));
        assert!(shown.contains("\"a\""));
    }
}
