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

/// A key list kept in `DATA_DIR/<file>` when `variable` is not set: created with `initial` (its
/// comment lines and one random key) on first start, read as it is afterwards. An existing file
/// is never overwritten: losing its keys would lose what they sealed or signed.
pub(crate) fn load_or_create_key_list(
    data_dir: &std::path::Path,
    file: &str,
    variable: &str,
    initial: &str,
) -> Result<String, String> {
    let path = data_dir.join(file);
    match std::fs::read_to_string(&path) {
        Ok(contents) => return Ok(contents),
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            return Err(format!("{} could not be read ({error})", path.display()))
        }
        Err(_) => {}
    }
    // Written aside, then linked into place: two instances (or two apps of one test process)
    // starting together cannot both win, and the loser reads the winner's file.
    let temporary = data_dir.join(format!(
        "{file}.{}.{}.tmp",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    let result = std::fs::create_dir_all(data_dir)
        .and_then(|()| write_private(&temporary, initial))
        .and_then(|()| std::fs::hard_link(&temporary, &path));
    let _ = std::fs::remove_file(&temporary);
    match result {
        Ok(()) => Ok(initial.to_owned()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::read_to_string(&path)
                .map_err(|e| format!("{} could not be read ({e})", path.display()))
        }
        Err(error) => Err(format!(
            "{variable} is not set and {} could not be written ({error})",
            path.display()
        )),
    }
}
