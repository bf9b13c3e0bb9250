//! Secrets a local instance keeps in its data directory, readable by its owner only, so they
//! survive restarts when the environment does not set them.

use rand::RngCore;
use secrecy::SecretString;

/// Without `JWT_SECRET`, a random secret is kept in `DATA_DIR/jwt-secret` so that
/// sessions survive restarts of a local instance.
pub(super) fn load_or_create_secret(data_dir: &std::path::Path) -> Result<SecretString, String> {
    let path = data_dir.join("jwt-secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_owned();
        if existing.len() >= 32 {
            return Ok(SecretString::from(existing));
        }
    }
    let mut bytes = [0u8; 48];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::create_dir_all(data_dir)
        .and_then(|()| write_private(&path, &secret))
        .map_err(|e| {
            format!(
                "JWT_SECRET is not set and {} could not be written ({e}); set JWT_SECRET (at least 32 characters)",
                path.display()
            )
        })?;
    Ok(SecretString::from(secret))
}

pub(crate) fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}
