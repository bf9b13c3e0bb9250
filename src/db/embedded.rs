//! A private PostgreSQL cluster run from the installed server binaries, for `cargo run` without
//! `DATABASE_URL` and for tests without a server. It listens only on a Unix socket in a
//! directory of its own, and dies with the process that started it.

use std::ffi::CString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

const INSTALL_HINT: &str =
    "No PostgreSQL server binaries (initdb, postgres) were found on PATH or in \
/usr/lib/postgresql/*/bin. Install them (Debian/Ubuntu: `apt-get install postgresql`; Fedora: \
`dnf install postgresql-server`; macOS: `brew install postgresql@16`) or set DATABASE_URL to an \
existing database, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/mentorsti";

/// A running private cluster; dropping it (or the process ending) stops the server.
pub struct EmbeddedPostgres {
    pid: u32,
    exited: std::sync::Mutex<mpsc::Receiver<()>>,
    socket_dir: PathBuf,
    pub data_dir: PathBuf,
}

/// The unprivileged account the server runs as when we are root.
struct RunAs {
    uid: libc::uid_t,
    gid: libc::gid_t,
    name: String,
}

impl EmbeddedPostgres {
    /// Creates the cluster in `data_dir` the first time, then starts it and waits until it
    /// accepts connections.
    pub async fn start(data_dir: &Path) -> anyhow::Result<Self> {
        let bin_dir = find_binaries().ok_or_else(|| anyhow!(INSTALL_HINT))?;
        let run_as = run_as_user()?;
        let data_dir = prepare_data_dir(data_dir, run_as.as_ref())?;
        let socket_dir = socket_dir_for(&data_dir);
        std::fs::create_dir_all(&socket_dir)?;
        if let Some(user) = &run_as {
            chown(&socket_dir, user)?;
            check_reachable(&socket_dir, user)?;
        }
        set_mode(&data_dir, 0o700)?;
        set_mode(&socket_dir, 0o700)?;

        if !data_dir.join("PG_VERSION").exists() {
            tracing::info!(dir = %data_dir.display(), "creating a private PostgreSQL cluster");
            let output = command(&bin_dir.join("initdb"), run_as.as_ref())
                .args(["-D"])
                .arg(&data_dir)
                .args([
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-instructions",
                ])
                .output()
                .context("could not run initdb")?;
            if !output.status.success() {
                bail!(
                    "initdb failed for {}: {}",
                    data_dir.display(),
                    String::from_utf8_lossy(&output.stderr).trim()
                );
            }
        }

        let log_path = data_dir.with_extension("log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("could not open {}", log_path.display()))?;
        let mut cmd = command(&bin_dir.join("postgres"), run_as.as_ref());
        cmd.arg("-D")
            .arg(&data_dir)
            .arg("-k")
            .arg(&socket_dir)
            .args(["-c", "listen_addresses=", "-p", "5432"])
            .args([
                "-c",
                "unix_socket_permissions=0700",
                "-c",
                "max_connections=200",
            ])
            .args(["-c", "fsync=on", "-c", "shared_buffers=128MB"])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let (pid, exited) = spawn_supervised(cmd)?;
        let server = EmbeddedPostgres {
            pid,
            exited: std::sync::Mutex::new(exited),
            socket_dir,
            data_dir,
        };
        server.wait_ready(&log_path).await?;
        server.ensure_database("mentorsti").await?;
        Ok(server)
    }

    /// The connection URL of a database in this cluster.
    pub fn url(&self, database: &str) -> String {
        let host: String =
            url::form_urlencoded::byte_serialize(self.socket_dir.to_string_lossy().as_bytes())
                .collect();
        format!("postgres://postgres@{host}:5432/{database}")
    }

    async fn wait_ready(&self, log_path: &Path) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if self
                .exited
                .lock()
                .is_ok_and(|exited| exited.try_recv().is_ok())
            {
                let log = std::fs::read_to_string(log_path).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(8).collect();
                bail!(
                    "the private PostgreSQL server stopped at start (log: {}):\n{}",
                    log_path.display(),
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
            if AsyncPgConnection::establish(&self.url("postgres"))
                .await
                .is_ok()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("the private PostgreSQL server did not accept connections within 30 s (log: {})", log_path.display());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn ensure_database(&self, name: &str) -> anyhow::Result<()> {
        let mut conn = AsyncPgConnection::establish(&self.url("postgres")).await?;
        let created = diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(diesel::result::Error::DatabaseError(_, info))
                if info.message().contains("already exists") =>
            {
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Fast shutdown: the server finishes nothing new, rolls back open work and exits.
    pub fn stop(&self) {
        // SAFETY: kill only sends a signal to the process we started.
        unsafe {
            libc::kill(self.pid as libc::pid_t, libc::SIGINT);
        }
        if let Ok(exited) = self.exited.lock() {
            let _ = exited.recv_timeout(Duration::from_secs(20));
        }
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The directory holding `initdb` and `postgres`: first on PATH, then the newest Debian layout.
pub fn find_binaries() -> Option<PathBuf> {
    let from_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Some(dir) = from_path.iter().find(|dir| has_both(dir)) {
        return Some(dir.clone());
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, dir)| has_both(dir))
        .collect();
    debian.sort();
    debian.pop().map(|(_, dir)| dir)
}

/// PostgreSQL refuses to run as root; as root we run it as the `postgres` system user.
fn run_as_user() -> anyhow::Result<Option<RunAs>> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let name = CString::new("postgres").expect("no NUL");
    // SAFETY: getpwnam returns a pointer to static storage or NULL; we copy out at once.
    let entry = unsafe { libc::getpwnam(name.as_ptr()) };
    if entry.is_null() {
        bail!(
            "PostgreSQL refuses to run as root and there is no `postgres` user to run it as. Create one \
             (`useradd --system --home /var/lib/postgresql postgres`), run mentorsti as a normal user, \
             or set DATABASE_URL"
        );
    }
    // SAFETY: entry is non-null and points to a valid passwd struct.
    let (uid, gid) = unsafe { ((*entry).pw_uid, (*entry).pw_gid) };
    Ok(Some(RunAs {
        uid,
        gid,
        name: "postgres".into(),
    }))
}

fn command(program: &Path, run_as: Option<&RunAs>) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("LC_ALL", "C").env_remove("PGDATA");
    if let Some(user) = run_as {
        let (uid, gid) = (user.uid, user.gid);
        // SAFETY: only async-signal-safe syscalls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                if libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(gid) != 0
                    || libc::setuid(uid) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    cmd
}

/// Starts the server from a thread that lives as long as the process, with a parent-death
/// signal, so the server stops when we exit in any way (the signal follows the thread).
fn spawn_supervised(mut cmd: Command) -> anyhow::Result<(u32, mpsc::Receiver<()>)> {
    // SAFETY: prctl is async-signal-safe; set after any setuid, which would clear it.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let (pid_tx, pid_rx) = mpsc::channel::<std::io::Result<u32>>();
    let (exit_tx, exit_rx) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("embedded-postgres".into())
        .spawn(move || {
            let mut child: Child = match cmd.spawn() {
                Ok(child) => child,
                Err(e) => {
                    let _ = pid_tx.send(Err(e));
                    return;
                }
            };
            let _ = pid_tx.send(Ok(child.id()));
            let _ = child.wait();
            let _ = exit_tx.send(());
            // Keep the thread (the parent of record) alive until the process ends.
            loop {
                std::thread::park();
            }
        })?;
    let pid = pid_rx.recv()?.context("could not start postgres")?;
    Ok((pid, exit_rx))
}

/// Unix socket paths are limited to about 100 bytes; long checkouts use a directory in /tmp.
fn socket_dir_for(data_dir: &Path) -> PathBuf {
    let beside = data_dir.with_extension("run");
    if beside.as_os_str().len() < 80 {
        return beside;
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(data_dir.as_os_str().as_encoded_bytes());
    let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    std::env::temp_dir().join(format!("mentorsti-pg-{short}"))
}

fn chown(path: &Path, user: &RunAs) -> anyhow::Result<()> {
    let c_path = CString::new(path.as_os_str().as_encoded_bytes())?;
    // SAFETY: c_path is a valid NUL-terminated path.
    if unsafe { libc::chown(c_path.as_ptr(), user.uid, user.gid) } != 0 {
        bail!(
            "could not give {} to the {} user: {}",
            path.display(),
            user.name,
            std::io::Error::last_os_error()
        );
    }
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("could not set permissions on {}", path.display()))
}

/// Where the cluster lives. Normally `requested` itself; as root, when the `postgres` user cannot
/// reach it (a checkout in root's 0700 home, say), the cluster lives in a directory of its own
/// under [`RELOCATED_ROOT`] and `requested` becomes a symbolic link to it, so it is found again
/// on the next start and `ls -l` shows where the data is.
fn prepare_data_dir(requested: &Path, run_as: Option<&RunAs>) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(requested)
        .with_context(|| format!("could not create {}", requested.display()))?;
    let dir = requested
        .canonicalize()
        .with_context(|| format!("could not resolve {}", requested.display()))?;
    let Some(user) = run_as else {
        return Ok(dir);
    };
    chown(&dir, user)?;
    if reachable(&dir, user) {
        return Ok(dir);
    }
    let relocated = relocated_dir(&dir);
    let empty = std::fs::read_dir(&dir)
        .map(|mut entries| entries.next().is_none())
        .unwrap_or(false);
    if !empty {
        bail!(
            "running as root, the private PostgreSQL cluster runs as the `postgres` user, which cannot reach {}, \
             and that directory is not empty, so it cannot be moved to {}. Move its contents there yourself \
             (and replace it with a symbolic link to it), run as a normal user, or set DATABASE_URL",
            dir.display(),
            relocated.display()
        );
    }
    std::fs::create_dir_all(&relocated)
        .with_context(|| format!("could not create {}", relocated.display()))?;
    if let Some(parent) = relocated.parent() {
        set_mode(parent, 0o755)?;
    }
    chown(&relocated, user)?;
    if !reachable(&relocated, user) {
        bail!(
            "running as root, the private PostgreSQL cluster runs as the `postgres` user, which can reach \
             neither {} nor {}. Run as a normal user or set DATABASE_URL",
            dir.display(),
            relocated.display()
        );
    }
    std::fs::remove_dir(&dir).with_context(|| format!("could not replace {}", dir.display()))?;
    std::os::unix::fs::symlink(&relocated, &dir).with_context(|| {
        format!(
            "could not link {} to {}",
            dir.display(),
            relocated.display()
        )
    })?;
    tracing::info!(
        requested = %dir.display(),
        cluster = %relocated.display(),
        "the postgres user cannot reach the data directory; the private cluster lives elsewhere, linked from it"
    );
    Ok(relocated)
}

/// Where clusters live whose data directory the `postgres` user cannot reach (see
/// [`prepare_data_dir`]): one directory per requested path.
pub const RELOCATED_ROOT: &str = "/var/lib/mentorsti";

fn relocated_dir(requested: &Path) -> PathBuf {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(requested.as_os_str().as_encoded_bytes());
    let short: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    Path::new(RELOCATED_ROOT).join(format!("postgres-{short}"))
}

/// Whether `user` can write `dir`, reaching it through every parent.
fn reachable(dir: &Path, user: &RunAs) -> bool {
    command(Path::new("/usr/bin/test"), Some(user))
        .arg("-w")
        .arg(dir)
        .status()
        .is_ok_and(|status| status.success())
}

fn check_reachable(dir: &Path, user: &RunAs) -> anyhow::Result<()> {
    if reachable(dir, user) {
        return Ok(());
    }
    bail!(
        "running as root, the private PostgreSQL cluster runs as the `postgres` user, which cannot reach {}. \
         Run as a normal user or set DATABASE_URL",
        dir.display()
    )
}
