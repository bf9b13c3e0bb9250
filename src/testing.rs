//! Helpers the test suites share. Not part of the service.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

/// A `python3` command that can `import icalendar`, the reference parser our calendar tests
/// check against.
pub fn python_with_icalendar() -> Command {
    python_with("icalendar", "icalendar")
}

/// A `python3` command that can import `module`. When the machine's Python lacks it, the
/// `requirement` is installed once with pip into `target/python/<module>` (so `cargo test`
/// works on a fresh machine without touching the system).
pub fn python_with(module: &'static str, requirement: &'static str) -> Command {
    static DIRS: Mutex<Option<HashMap<&'static str, Option<PathBuf>>>> = Mutex::new(None);
    let mut dirs = DIRS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = dirs
        .get_or_insert_with(HashMap::new)
        .entry(module)
        .or_insert_with(|| {
            if imports(module, None) {
                return None;
            }
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("target/python")
                .join(module);
            if !imports(module, Some(&dir)) {
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
                    .arg(requirement)
                    .status()
                    .expect("python3 with pip must be installed for the checks by reference tools");
                assert!(status.success(), "pip could not install {requirement}");
            }
            Some(dir)
        })
        .clone();
    let mut command = Command::new("python3");
    if let Some(dir) = dir {
        command.env("PYTHONPATH", dir);
    }
    command
}

fn imports(module: &str, dir: Option<&PathBuf>) -> bool {
    let mut command = Command::new("python3");
    command.args(["-c", &format!("import {module}")]);
    if let Some(dir) = dir {
        command.env("PYTHONPATH", dir);
    }
    command
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}
