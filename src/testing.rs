//! Helpers the test suites share. Not part of the service.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// A `python3` command that can `import icalendar`, the reference parser our calendar tests
/// check against. When the machine's Python lacks the package, it is installed once with pip
/// into `target/python` (so `cargo test` works on a fresh machine without touching the system).
pub fn python_with_icalendar() -> Command {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        if imports_icalendar(None) {
            return None;
        }
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/python");
        if !imports_icalendar(Some(&dir)) {
            let status = Command::new("python3")
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .arg("--target")
                .arg(&dir)
                .arg("icalendar")
                .status()
                .expect("python3 with pip must be installed to check calendar files");
            assert!(status.success(), "pip could not install icalendar");
        }
        Some(dir)
    });
    let mut command = Command::new("python3");
    if let Some(dir) = dir {
        command.env("PYTHONPATH", dir);
    }
    command
}

fn imports_icalendar(dir: Option<&PathBuf>) -> bool {
    let mut command = Command::new("python3");
    command.args(["-c", "import icalendar"]);
    if let Some(dir) = dir {
        command.env("PYTHONPATH", dir);
    }
    command
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}
