//! Password hashing (argon2id, m=19456 KiB, t=2, p=1) on idle-priority threads behind a semaphore,
//! a dummy hash so unknown emails cost the same as known ones, and the password policy.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use crate::error::{AppError, FieldError};

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 128;
/// The longest a sign-in waits for a hashing slot.
pub const HASH_QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Sign-ins under way (database work and hashing); the rest wait in memory, holding no
    /// database connection.
    sign_ins: Arc<Semaphore>,
    dummy_hash: Arc<str>,
    pool: HashingThreads,
}

type Job = Box<dyn FnOnce() + Send>;

/// Threads that only hash, at the lowest scheduling priority (Linux `SCHED_IDLE`, else nice 10):
/// when a login storm keeps them busy, a thread serving another request that wakes up takes the
/// CPU from them at once, instead of waiting for their time slice to end.
#[derive(Clone)]
struct HashingThreads {
    jobs: std::sync::mpsc::SyncSender<Job>,
}

impl HashingThreads {
    fn start(threads: usize) -> Self {
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Job>(threads * 4);
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for index in 0..threads {
            let queue = queue.clone();
            let _ = std::thread::Builder::new()
                .name(format!("password-hash-{index}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        let job = match queue.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
        }
        Self { jobs }
    }
}

/// Moves the calling thread to `SCHED_IDLE` where there is one, else to nice 10. Failure only
/// leaves the thread at normal priority.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: pid 0 is the calling thread; `param` is a valid sched_param for SCHED_IDLE,
        // which takes priority 0.
        if unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) } == 0 {
            return;
        }
    }
    // SAFETY: setpriority on the calling thread (tid) has no preconditions.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 10);
    }
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub valid: bool,
    /// Set when the password was right but the hash used other parameters: store this one.
    pub rehashed: Option<String>,
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_now(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AppError::internal(format!("hashing failed: {e}")))
}

fn verify_now(stored: &str, password: &str) -> Verified {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return Verified {
            valid: false,
            rehashed: None,
        };
    };
    // Verifying with the hash's own parameters; we compare them to ours afterwards.
    let valid = matches_hash(&parsed, password);
    let outdated = parsed.algorithm != argon2::ARGON2ID_IDENT
        || parsed.version != Some(Version::V0x13.into())
        || !Params::try_from(&parsed).is_ok_and(|params| same_cost(&params, argon2().params()))
        || parsed.hash.map(|output| output.len()) != Some(Params::DEFAULT_OUTPUT_LEN);
    let rehashed = if valid && outdated {
        hash_now(password).ok()
    } else {
        None
    };
    Verified { valid, rehashed }
}

/// Whether two parameter sets cost the same. `Params` also compares the output length, which a
/// parsed hash carries and our own parameters leave to the default.
fn same_cost(a: &Params, b: &Params) -> bool {
    (a.m_cost(), a.t_cost(), a.p_cost()) == (b.m_cost(), b.t_cost(), b.p_cost())
}

thread_local! {
    /// argon2's working memory (19 MiB at our parameters), kept by each hashing thread. Fresh
    /// memory for every hash means an mmap, 19 MiB of page faults and an munmap each time, and
    /// those take the process's memory-map lock: a request thread that needs it then waits for an
    /// idle-priority hashing thread to get the CPU back.
    static ARGON2_MEMORY: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Whether `password` hashes to `parsed` (in this thread's reused memory); the comparison of the
/// outputs takes constant time.
fn matches_hash(parsed: &PasswordHash<'_>, password: &str) -> bool {
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let Ok(params) = Params::try_from(parsed) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let blocks = params.block_count();
    let hashed = ARGON2_MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.len() < blocks {
            memory.resize(blocks, argon2::Block::default());
        }
        Argon2::new(algorithm, version, params).hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut out,
            &mut memory[..blocks],
        )
    });
    hashed.is_ok()
        && argon2::password_hash::Output::new(&out).is_ok_and(|computed| computed == expected)
}

impl PasswordHasher {
    pub fn new(concurrency: usize) -> Self {
        let dummy =
            hash_now("a password nobody has, used to spend the same time").expect("dummy hash");
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            sign_ins: Arc::new(Semaphore::new(2 * concurrency.max(1))),
            dummy_hash: dummy.into(),
            pool: HashingThreads::start(concurrency.max(1)),
        }
    }

    /// A place among the sign-ins under way; 503 when none frees up within the wait.
    pub async fn sign_in_slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, AppError> {
        tokio::time::timeout(HASH_QUEUE_WAIT, self.sign_ins.acquire())
            .await
            .map_err(|_| AppError::Unavailable("too many sign-ins at once".into()))?
            .map_err(|_| AppError::internal("password hasher closed"))
    }

    pub async fn hash(&self, password: &SecretString) -> Result<String, AppError> {
        let password = password.expose_secret().to_owned();
        self.run(move || hash_now(&password)).await?
    }

    /// Checks `password` against `stored`, or against the dummy hash when there is no account,
    /// so both take the same time.
    pub async fn verify(
        &self,
        stored: Option<&str>,
        password: &SecretString,
    ) -> Result<Verified, AppError> {
        let (hash, real) = match stored {
            Some(hash) => (hash.to_owned(), true),
            None => (self.dummy_hash.to_string(), false),
        };
        let password = password.expose_secret().to_owned();
        let verified = self.run(move || verify_now(&hash, &password)).await?;
        Ok(if real {
            verified
        } else {
            Verified {
                valid: false,
                rehashed: None,
            }
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| AppError::internal("password hasher closed"))?;
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
        });
        // The queue has room for every permit holder, so this never has to wait.
        self.pool
            .jobs
            .try_send(job)
            .map_err(|_| AppError::internal("hashing queue full or stopped"))?;
        result
            .await
            .map_err(|_| AppError::internal("hashing job was dropped"))
    }
}

/// The policy: 12–128 characters, and not a common or trivially guessable password.
/// zxcvbn carries a list of 30,000 common passwords (plus names and words); a password that is
/// nothing but one of them, or that zxcvbn rates as guessable within a million guesses, is refused.
pub fn check_policy(field: &str, password: &str, context: &[&str]) -> Result<(), AppError> {
    let length = password.chars().count();
    let problem = if length < MIN_LENGTH {
        Some(format!("must be at least {MIN_LENGTH} characters"))
    } else if length > MAX_LENGTH {
        Some(format!("must be at most {MAX_LENGTH} characters"))
    } else if is_common(password, context) {
        Some("is too common or easy to guess; choose a longer phrase of your own".to_owned())
    } else {
        None
    };
    match problem {
        Some(message) => Err(AppError::Validation(vec![FieldError::new(field, message)])),
        None => Ok(()),
    }
}

fn is_common(password: &str, context: &[&str]) -> bool {
    use zxcvbn::feedback::Warning;
    let entropy = zxcvbn::zxcvbn(password, context);
    // Score 0–1: fewer than a million guesses, whatever the length.
    if entropy.score() <= zxcvbn::Score::One {
        return true;
    }
    // The whole password is one entry of the common-password list.
    matches!(
        entropy.feedback().and_then(|f| f.warning()),
        Some(
            Warning::ThisIsATop10Password
                | Warning::ThisIsATop100Password
                | Warning::ThisIsACommonPassword
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordVerifier;

    #[test]
    fn hashes_are_argon2id_phc_with_the_agreed_parameters() {
        let hash = hash_now("korrekt hest batteri stift").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        let verified = verify_now(&hash, "korrekt hest batteri stift");
        assert!(verified.valid);
        // A hash with the current parameters is kept as it is.
        assert_eq!(verified.rehashed, None);
        assert!(!verify_now(&hash, "feil passord her").valid);
    }

    #[test]
    fn reused_memory_agrees_with_the_library() {
        let hash = hash_now("korrekt hest batteri stift").unwrap();
        let parsed = PasswordHash::new(&hash).unwrap();
        for (password, expected) in [
            ("korrekt hest batteri stift", true),
            ("feil passord her", false),
            ("korrekt hest batteri stift", true),
        ] {
            assert_eq!(matches_hash(&parsed, password), expected);
            assert_eq!(
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok(),
                expected
            );
        }
    }

    #[test]
    fn outdated_parameters_are_rehashed_on_success() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8, 1, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut OsRng);
        let old = weak
            .hash_password(b"en lang og god setning", &salt)
            .unwrap()
            .to_string();
        let verified = verify_now(&old, "en lang og god setning");
        assert!(verified.valid);
        assert!(verified.rehashed.unwrap().contains("m=19456,t=2,p=1"));
        assert_eq!(verify_now(&old, "galt").rehashed, None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn hashing_threads_run_at_idle_priority() {
        let policy = std::thread::spawn(|| {
            lower_priority();
            // SAFETY: pid 0 is the calling thread.
            unsafe { libc::sched_getscheduler(0) }
        })
        .join()
        .unwrap();
        assert_eq!(policy, libc::SCHED_IDLE);
    }

    #[test]
    fn policy_refuses_short_long_and_common() {
        assert!(check_policy("password", "kort", &[]).is_err());
        assert!(check_policy("password", &"a".repeat(129), &[]).is_err());
        for common in [
            "password1234",
            "qwertyuiop12",
            "123456789012",
            "aaaaaaaaaaaa",
            "1qaz2wsx3edc",
        ] {
            assert!(
                check_policy("password", common, &[]).is_err(),
                "{common} was accepted"
            );
        }
        assert!(check_policy("password", "Sykehjemmet i Asker har god kaffe", &[]).is_ok());
    }

    #[test]
    fn policy_refuses_the_users_own_email_as_password() {
        assert!(check_policy(
            "password",
            "kari.nordmann@asker.kommune.no",
            &["kari.nordmann@asker.kommune.no"]
        )
        .is_err());
    }
}
