//! A real media parser's view of a film: ffprobe (Debian's `ffmpeg` package) reads its container
//! and streams, then ffmpeg decodes it once to the end. The demuxer is forced from the file's
//! extension and only local files may be opened, so a hostile upload cannot make ffmpeg reach
//! for other files or the network. Results are kept by digest for the life of the process: the
//! same bytes are the same film.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde::Deserialize;

use super::{MediaFile, MediaKind};

/// What ffprobe found in a film that decodes.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub duration_seconds: f64,
    /// (codec type, codec name) of each stream, e.g. ("video", "vp9").
    pub streams: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    #[error("cannot be checked: ffprobe was not found on this server (install Debian's ffmpeg package: apt-get install ffmpeg)")]
    ToolMissing,
    #[error("{0}")]
    Invalid(String),
}

/// The longest one tool run may take; a file that takes longer is refused.
const TOOL_TIMEOUT: Duration = Duration::from_secs(120);

fn cache() -> &'static Mutex<HashMap<String, Result<Probe, String>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Result<Probe, String>>>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

/// Probes and decodes a film (blocking: call it from a blocking thread).
pub fn probe(file: &MediaFile, kind: MediaKind) -> Result<Probe, ProbeError> {
    let key = format!("{}.{}", file.sha256, kind.extension());
    if let Some(known) = cache().lock().ok().and_then(|c| c.get(&key).cloned()) {
        return known.map_err(ProbeError::Invalid);
    }
    let result = run_probe(&file.location, kind);
    if let (Ok(mut cache), Ok(_) | Err(ProbeError::Invalid(_))) = (cache().lock(), &result) {
        let entry = result.clone().map_err(|e| e.to_string());
        cache.insert(key, entry);
    }
    result
}

/// Whether ffprobe can be run here.
pub fn available() -> bool {
    Command::new("ffprobe")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[derive(Deserialize)]
struct ProbeJson {
    #[serde(default)]
    streams: Vec<StreamJson>,
    format: Option<FormatJson>,
}

#[derive(Deserialize)]
struct StreamJson {
    codec_type: Option<String>,
    codec_name: Option<String>,
}

#[derive(Deserialize)]
struct FormatJson {
    format_name: Option<String>,
    duration: Option<String>,
}

fn demuxer(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Mp4 => "mp4",
        _ => "matroska",
    }
}

/// Codecs a browser plays in each container.
fn playable(kind: MediaKind, codec_type: &str, codec: &str) -> bool {
    match (kind, codec_type) {
        (MediaKind::Webm, "video") => ["vp8", "vp9", "av1"].contains(&codec),
        (MediaKind::Webm, "audio") => ["opus", "vorbis"].contains(&codec),
        (MediaKind::Mp4, "video") => ["h264", "hevc", "av1", "vp9"].contains(&codec),
        (MediaKind::Mp4, "audio") => ["aac", "mp3", "opus", "flac"].contains(&codec),
        _ => false,
    }
}

fn run_probe(path: &Path, kind: MediaKind) -> Result<Probe, ProbeError> {
    let output = run(Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-protocol_whitelist",
            "file",
            "-f",
            demuxer(kind),
            "-show_entries",
            "format=duration,format_name:stream=codec_type,codec_name",
            "-of",
            "json",
        ])
        .arg(path))?;
    if !output.status.success() {
        return Err(invalid("is not a film ffprobe can read", &output.stderr));
    }
    let parsed: ProbeJson = serde_json::from_slice(&output.stdout)
        .map_err(|e| ProbeError::Invalid(format!("ffprobe's answer could not be read: {e}")))?;
    let format = parsed.format.unwrap_or(FormatJson {
        format_name: None,
        duration: None,
    });
    let names = format.format_name.unwrap_or_default();
    let container_ok = match kind {
        MediaKind::Webm => names.split(',').any(|n| n == "webm" || n == "matroska"),
        _ => names.split(',').any(|n| n == "mp4" || n == "mov"),
    };
    if !container_ok {
        return Err(ProbeError::Invalid(format!(
            "is not a .{} file (ffprobe reads it as {names})",
            kind.extension()
        )));
    }
    let streams: Vec<(String, String)> = parsed
        .streams
        .into_iter()
        .filter_map(|s| Some((s.codec_type?, s.codec_name.unwrap_or_default())))
        .filter(|(t, _)| t == "video" || t == "audio")
        .collect();
    if streams.is_empty() {
        return Err(ProbeError::Invalid(
            "has no video or audio stream".to_owned(),
        ));
    }
    if let Some((t, c)) = streams.iter().find(|(t, c)| !playable(kind, t, c)) {
        return Err(ProbeError::Invalid(format!(
            "has a {t} stream in {c}, which browsers do not play in a .{} file",
            kind.extension()
        )));
    }
    let duration = format
        .duration
        .and_then(|d| d.parse::<f64>().ok())
        .filter(|d| d.is_finite() && *d > 0.0)
        .ok_or_else(|| ProbeError::Invalid("has no duration ffprobe can read".to_owned()))?;
    // A container can look right and still hold streams that do not decode.
    let decoded = run(Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-nostdin",
            "-xerror",
            "-protocol_whitelist",
            "file",
            "-f",
            demuxer(kind),
            "-i",
        ])
        .arg(path)
        .args(["-map", "0:v?", "-map", "0:a?", "-f", "null", "-"]))?;
    if !decoded.status.success() || !decoded.stderr.is_empty() {
        return Err(invalid("does not decode to the end", &decoded.stderr));
    }
    Ok(Probe {
        duration_seconds: duration,
        streams,
    })
}

fn invalid(what: &str, stderr: &[u8]) -> ProbeError {
    let text = String::from_utf8_lossy(stderr);
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    ProbeError::Invalid(match first {
        Some(line) => format!("{what}: {}", line.chars().take(200).collect::<String>()),
        None => what.to_owned(),
    })
}

/// Runs a tool, killing it after [`TOOL_TIMEOUT`].
fn run(command: &mut Command) -> Result<Output, ProbeError> {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ProbeError::ToolMissing,
            _ => ProbeError::Invalid(format!("the media check could not run: {e}")),
        })?;
    let pid = child.id();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    let output = match receiver.recv_timeout(TOOL_TIMEOUT) {
        Ok(output) => output,
        Err(_) => {
            // SAFETY: kill(2) on the pid of our own child, which has not been reaped (the
            // waiting thread still holds it).
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            let _ = receiver.recv();
            return Err(ProbeError::Invalid(format!(
                "took longer than {} s to check",
                TOOL_TIMEOUT.as_secs()
            )));
        }
    };
    output.map_err(|e| ProbeError::Invalid(format!("the media check failed: {e}")))
}
