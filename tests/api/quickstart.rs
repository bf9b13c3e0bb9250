//! The README's quick start as a newcomer runs it: the binary with no `DATABASE_URL`, from a
//! checkout in a private (0700) home directory, as whoever runs the tests (root in CI).

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::PASSWORD;

/// The binary with the environment of a fresh shell: no database URL, no keys, mail to the log.
fn fresh(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mentorsti"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATA_DIR", data_dir)
        .env(
            "CONTENT_DIR",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("content"),
        )
        .env("MAIL_TRANSPORT", "log")
        .env("LOG_FORMAT", "pretty")
        .env("RUST_LOG", "warn");
    command
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        // SIGTERM, as a terminal's Ctrl-C or a service manager would stop it.
        // SAFETY: kill only signals the child we started.
        unsafe {
            libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn serve_until_ready(data_dir: &Path) -> (Serving, String) {
    let port = free_port();
    let child = fresh(data_dir)
        .env("BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mentorsti");
    let mut serving = Serving(child);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Ok(Some(status)) = serving.0.try_wait() {
            let mut stderr = String::new();
            if let Some(mut err) = serving.0.stderr.take() {
                use std::io::Read;
                let _ = err.read_to_string(&mut stderr);
            }
            panic!("mentorsti stopped at start ({status}):\n{stderr}");
        }
        let ready = client
            .get(format!("{base}/health/ready"))
            .timeout(Duration::from_secs(2))
            .send()
            .await;
        if matches!(&ready, Ok(r) if r.status() == 200) {
            return (serving, base);
        }
        assert!(
            Instant::now() < deadline,
            "/health/ready did not answer 200 within 90 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_quick_start_works_from_a_private_home_directory_and_keeps_its_data() {
    // A home directory only its owner can enter, like /root, with the checkout's data in it.
    let home = std::env::temp_dir().join(format!("mentorsti-home-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&home).unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    let data_dir = home.join("mentorsti/.data");
    let cleanup = Cleanup {
        home: home.clone(),
        cluster: data_dir.join("postgres"),
    };

    {
        let (_serving, base) = serve_until_ready(&data_dir).await;
        let health = reqwest::get(format!("{base}/health/ready")).await.unwrap();
        assert_eq!(health.status(), 200);
    }
    let postgres = data_dir.join("postgres");
    let cluster = postgres.canonicalize().expect("the cluster's directory");
    assert!(cluster.join("PG_VERSION").exists(), "{}", cluster.display());
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        // The postgres user cannot enter the 0700 home: the cluster lives where it can, and
        // the data directory links to it.
        assert!(
            std::fs::symlink_metadata(&postgres)
                .unwrap()
                .file_type()
                .is_symlink(),
            "as root the cluster is linked from {}",
            postgres.display()
        );
        assert!(cluster.starts_with(mentorsti::db::embedded::RELOCATED_ROOT));
    }

    // Data survives a restart: an administrator made between two runs can sign in after.
    let created = fresh(&data_dir)
        .args(["create-admin", "--email", "kari@asker.kommune.no"])
        .args(["--name", "Kari Nordmann"])
        .env("MENTORSTI_ADMIN_PASSWORD", PASSWORD)
        .output()
        .expect("run create-admin");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let (_serving, base) = serve_until_ready(&data_dir).await;
    let login = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "kari@asker.kommune.no", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200, "{}", login.text().await.unwrap());
    assert_eq!(
        postgres.canonicalize().unwrap(),
        cluster,
        "the same cluster"
    );
    drop(_serving);
    drop(cleanup);
}

/// Removes the home directory and, where it lives elsewhere, the cluster.
struct Cleanup {
    home: std::path::PathBuf,
    cluster: std::path::PathBuf,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Ok(target) = std::fs::read_link(&self.cluster) {
            let _ = std::fs::remove_dir_all(&target);
            let _ = std::fs::remove_file(target.with_extension("log"));
            let _ = std::fs::remove_dir_all(target.with_extension("run"));
        }
        let _ = std::fs::remove_dir_all(&self.home);
    }
}
