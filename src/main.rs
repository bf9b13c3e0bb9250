//! The `mentorsti` command: parse, load the configuration, call into the library.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mentorsti::config::Config;
use mentorsti::db::embedded::EmbeddedPostgres;
use mentorsti::{telemetry, AppState, Application};
use secrecy::SecretString;

/// mimalloc: many small, short-lived allocations per request (headers, log lines, JSON) cost
/// less than with the system allocator (see bench/README.md, page reads).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "mentorsti",
    version,
    about = "Backend of the digital mentor training programme"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default). Without DATABASE_URL, runs a private PostgreSQL under DATA_DIR.
    Serve {
        /// Do not run the outbox worker in this process (run `mentorsti worker` instead).
        #[arg(long)]
        no_worker: bool,
    },
    /// Run pending database migrations and exit.
    Migrate,
    /// Create an administrator; the password comes from MENTORSTI_ADMIN_PASSWORD or stdin.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
    /// Send mail from the outbox until stopped.
    Worker,
    /// Check or publish course content.
    Content {
        #[command(subcommand)]
        action: ContentAction,
    },
    /// Demo data for trying the API (never run automatically).
    Demo {
        #[command(subcommand)]
        action: DemoAction,
    },
    /// Manage the keys that seal reflection answers and notes.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
}

#[derive(Subcommand)]
enum DemoAction {
    /// Fill the database with a USHT, Asker, Drammen, Lier and Kongsberg, 59 mentors at every
    /// stage, a facilitator and webinar series; prints the logins.
    Seed,
}

#[derive(Subcommand)]
enum KeysAction {
    /// Print a new random key as `id:base64key`, for ENCRYPTION_KEYS or DATA_DIR/encryption-keys.
    Generate {
        /// The new key's id (letters, digits, '-' or '_').
        id: String,
    },
    /// Re-encrypt every stored text under the current key (ENCRYPTION_KEY_ID, or the last key),
    /// in batches; safe to stop and run again.
    Rotate {
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(i64).range(1..=10_000))]
        batch_size: i64,
    },
    /// Store every text as plaintext again (only before reverting migration 000007).
    Decrypt {
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(i64).range(1..=10_000))]
        batch_size: i64,
    },
}

#[derive(Subcommand)]
enum ContentAction {
    /// List every problem in a content tree (file:line: reason), films checked with ffprobe, and
    /// the warnings; exits non-zero if there are problems. Then the spelling of each written form
    /// against its hunspell dictionary (nb_NO, nn_NO) and the tree's word lists: unknown words
    /// are warnings, unless --strict-spelling.
    Check {
        dir: std::path::PathBuf,
        /// Also fail when 1 % or more of a written form's words are unknown to its dictionary
        /// and the word lists (or when the dictionaries are missing).
        #[arg(long)]
        strict_spelling: bool,
        /// Where the hunspell dictionaries nb_NO and nn_NO are (Debian: hunspell-no).
        #[arg(long, env = "MENTORSTI_DICTIONARIES", default_value = mentorsti::content::spelling::DEFAULT_DIR)]
        dictionaries: std::path::PathBuf,
    },
    /// Print the course's inventory per module: pages, words, films and their length, exercises,
    /// reflection questions, declared and estimated minutes (a Markdown table).
    Stats { dir: std::path::PathBuf },
    /// Import a content tree as a new revision and publish it.
    Publish { dir: std::path::PathBuf },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Checking content needs neither configuration nor a database.
    match &cli.command {
        Some(Command::Content {
            action:
                ContentAction::Check {
                    dir,
                    strict_spelling,
                    dictionaries,
                },
        }) => return check_content(dir, dictionaries, *strict_spelling),
        Some(Command::Content {
            action: ContentAction::Stats { dir },
        }) => return content_stats(dir),
        _ => {}
    }
    if let Some(Command::Keys {
        action: KeysAction::Generate { id },
    }) = &cli.command
    {
        let entry = mentorsti::encryption::Keyring::generate_entry(id);
        if let Err(problem) = mentorsti::encryption::Keyring::parse(&entry, None) {
            eprintln!("{problem}");
            return ExitCode::from(2);
        }
        println!("{entry}");
        return ExitCode::SUCCESS;
    }
    let mut config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    // Held to the end, so queued log lines are written out before the process exits.
    let _log_writer = telemetry::init(config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("could not start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = actix_web::rt::System::with_tokio_rt(|| runtime).block_on(async move {
        // Kept alive until the command finishes; dropping it stops the private cluster.
        let _embedded = resolve_database(&mut config).await?;
        run(
            cli.command.unwrap_or(Command::Serve { no_worker: false }),
            config,
        )
        .await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn resolve_database(config: &mut Config) -> anyhow::Result<Option<EmbeddedPostgres>> {
    if config.database_url.is_some() {
        return Ok(None);
    }
    let dir = config.data_dir.join("postgres");
    let server = EmbeddedPostgres::start(&dir).await?;
    eprintln!(
        "using the private PostgreSQL cluster in {}",
        server.data_dir.display()
    );
    config.database_url = Some(SecretString::from(server.url("mentorsti")));
    Ok(Some(server))
}

async fn run(command: Command, mut config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve { no_worker } => {
            config.worker.enabled = !no_worker;
            let app = Application::build(config).await?;
            eprintln!(
                "mentorsti is listening on port {} (API docs at /docs)",
                app.port()
            );
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            let url = config.database_url().unwrap_or_default().to_owned();
            let applied = mentorsti::db::run_migrations(&url).await?;
            eprintln!("{} migration(s) applied", applied.len());
        }
        Command::CreateAdmin { email, name } => {
            let password = admin_password()?;
            let state = AppState::connect(config).await?;
            match mentorsti::auth::service::create_admin(&state, &email, &name, &password).await {
                Ok(user) => eprintln!("administrator {} created ({})", user.email, user.id),
                Err(mentorsti::error::AppError::Validation(errors)) => {
                    for error in errors {
                        eprintln!("{}: {}", error.field, error.message);
                    }
                    anyhow::bail!("the administrator was not created");
                }
                Err(error) => anyhow::bail!("the administrator was not created: {error}"),
            }
        }
        Command::Content { action } => {
            let ContentAction::Publish { dir } = action else {
                unreachable!("content check is handled before start-up")
            };
            let tree = mentorsti::content::source::from_dir(&dir).map_err(problems_error)?;
            let state = AppState::connect(config).await?;
            let mut conn = state.pool.get().await?;
            let required = mentorsti::content::films::MediaCheck::Required;
            let imported =
                match mentorsti::content::service::import(&mut conn, tree, "cli", None, required)
                    .await
                {
                    Ok(imported) => imported,
                    Err(mentorsti::content::service::ImportError::Invalid(problems)) => {
                        return Err(problems_error(problems))
                    }
                    Err(mentorsti::content::service::ImportError::Failed(error)) => {
                        return Err(error.into())
                    }
                };
            for warning in &imported.warnings {
                eprintln!("warning: {warning}");
            }
            let summary = imported.revision;
            mentorsti::content::store::publish(&mut conn, summary.id).await?;
            eprintln!(
                "published revision {} ({} pages, {} minutes)",
                summary.id, summary.pages, summary.total_minutes
            );
        }
        Command::Demo {
            action: DemoAction::Seed,
        } => {
            let state = AppState::connect(config).await?;
            let seeded = mentorsti::orgs::demo::seed(&state).await?;
            mentorsti::orgs::demo::print(&seeded);
        }
        Command::Keys { action } => {
            let (mode, batch) = match action {
                KeysAction::Rotate { batch_size } => {
                    (mentorsti::encryption::Reseal::Rotate, batch_size)
                }
                KeysAction::Decrypt { batch_size } => {
                    (mentorsti::encryption::Reseal::Decrypt, batch_size)
                }
                KeysAction::Generate { .. } => unreachable!("handled before start-up"),
            };
            let state = AppState::connect(config).await?;
            let keys = &state.config.encryption;
            let report = mentorsti::encryption::reseal::run(&state.pool, keys, mode, batch)
                .await
                .map_err(|e| anyhow::anyhow!("{e}; the rows done so far stay done, run again"))?;
            let what = match mode {
                mentorsti::encryption::Reseal::Decrypt => "decrypted".to_owned(),
                _ => format!("now under key {:?}", keys.current_id()),
            };
            println!(
                "{} answer(s) and {} note version(s) {what}",
                report.answers, report.notes
            );
        }
        Command::Worker => {
            let state = AppState::connect(config).await?;
            let worker = state.worker()?;
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let task = tokio::spawn(worker.run(stopped));
            shutdown_signal().await;
            let _ = stop.send(true);
            let _ = task.await;
        }
    }
    Ok(())
}

fn check_content(
    dir: &std::path::Path,
    dictionaries: &std::path::Path,
    strict_spelling: bool,
) -> ExitCode {
    let structure = check_structure(dir);
    let spelling = check_spelling(dir, dictionaries, strict_spelling);
    if structure != ExitCode::SUCCESS {
        structure
    } else {
        spelling
    }
}

fn check_structure(dir: &std::path::Path) -> ExitCode {
    let checked = mentorsti::content::service::check_dir(dir);
    for warning in &checked.warnings {
        println!("warning: {warning}");
    }
    match checked.course {
        Ok(course) => {
            let pages: usize = course.modules.iter().map(|m| m.pages.len()).sum();
            let minutes: i32 = course.modules.iter().map(|m| m.estimated_minutes).sum();
            println!(
                "{}: {} modules, {pages} pages, {minutes} minutes, {} films, {} references: no problems, {} warning(s)",
                dir.display(),
                course.modules.len(),
                course.media.iter().filter(|m| m.kind.is_film()).count(),
                course.literature.references.len(),
                checked.warnings.len()
            );
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for problem in &problems {
                println!("{problem}");
            }
            eprintln!("{} problem(s) in {}", problems.len(), dir.display());
            ExitCode::from(1)
        }
    }
}

/// The spelling part of `content check`: unknown words where they stand, then each form's
/// figures. Warnings only, unless `strict`.
fn check_spelling(dir: &std::path::Path, dictionaries: &std::path::Path, strict: bool) -> ExitCode {
    use mentorsti::content::spelling;
    let failed = if strict {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    let dictionaries = match spelling::Dictionaries::load(dictionaries) {
        Ok(dictionaries) => dictionaries,
        Err(error) => {
            println!("spelling not checked: {error}");
            return failed;
        }
    };
    // A tree that cannot be read has had its problems listed already.
    let Ok(tree) = mentorsti::content::source::from_dir(dir) else {
        return failed;
    };
    let report = match spelling::check(&tree, &dictionaries) {
        Ok(report) => report,
        Err(error) => {
            println!("spelling not checked: {error}");
            return failed;
        }
    };
    for note in &report.notes {
        println!("{note}");
    }
    for unknown in &report.unknown {
        println!("{unknown}");
    }
    println!("spelling (hunspell and the word lists):");
    for form in &report.forms {
        println!("  {form}");
    }
    let too_many: Vec<_> = report
        .forms
        .iter()
        .filter(|f| f.too_many_unknown())
        .collect();
    if strict && !too_many.is_empty() {
        for form in too_many {
            eprintln!(
                "{}: {:.1} % of the words are unknown; --strict-spelling allows less than {} %",
                form.language.name(),
                form.unknown_share() * 100.0,
                spelling::STRICT_SHARE * 100.0
            );
        }
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn content_stats(dir: &std::path::Path) -> ExitCode {
    let tree = match mentorsti::content::source::from_dir(dir) {
        Ok(tree) => tree,
        Err(problems) => {
            let _ = problems_error(problems);
            return ExitCode::from(1);
        }
    };
    match mentorsti::content::parse::parse(&tree) {
        Ok(course) => {
            let rows = mentorsti::content::estimate::inventory(&course);
            print!("{}", mentorsti::content::estimate::inventory_table(&rows));
            ExitCode::SUCCESS
        }
        Err(problems) => {
            eprintln!("{}", problems_error(problems));
            ExitCode::from(1)
        }
    }
}

fn admin_password() -> anyhow::Result<SecretString> {
    if let Ok(password) = std::env::var("MENTORSTI_ADMIN_PASSWORD") {
        return Ok(SecretString::from(password));
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password for the new administrator (12–128 characters): ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(
        !password.is_empty(),
        "no password given on stdin or in MENTORSTI_ADMIN_PASSWORD"
    );
    Ok(SecretString::from(password))
}

fn problems_error(problems: Vec<mentorsti::content::ContentProblem>) -> anyhow::Error {
    for problem in &problems {
        eprintln!("{problem}");
    }
    anyhow::anyhow!("{} problem(s); nothing was published", problems.len())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
