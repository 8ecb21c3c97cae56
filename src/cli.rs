//! The command line: `salas serve` and the administration commands.

use crate::access::Role;
use crate::config::{Config, Overrides};
use crate::store::{self, Store};
use crate::users::token::TokenKeys;
use crate::users::{NewUser, Users};
use crate::{admin, app};
use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "salas", version, about = "Room and resource booking for small offices", after_long_help = FILES)]
struct Cli {
    /// Configuration file (also SALAS_CONFIG). Settings: defaults < file < SALAS_* variables < flags.
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Data directory (also SALAS_DATA_DIR; default ./salas-data).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Log format: text or json (one JSON object per line, for log shippers); also SALAS_LOG_FORMAT.
    #[arg(long, global = true, value_name = "FORMAT", value_parser = ["text", "json"])]
    log_format: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: web UI, JSON API and background jobs.
    Serve {
        /// Address to listen on, e.g. 0.0.0.0:8080 (also SALAS_LISTEN; port 0 picks a free port).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Manage users (with the server stopped).
    #[command(subcommand)]
    User(UserCommand),
    /// Verify the store's integrity and invariants (with the server stopped).
    Check {
        /// Check this PostgreSQL database instead of the data directory's store.
        #[arg(long, value_name = "URL")]
        store_url: Option<String>,
    },
    /// Move the data between the embedded store and PostgreSQL (docs/postgres.md).
    #[command(subcommand)]
    Store(StoreCommand),
    /// Write a consistent backup of the store, also while the server runs (it asks the server
    /// over DATA_DIR/admin.sock, as the server's user or root).
    Backup {
        /// The backup file to write (mode 0600; replaced if it exists).
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Replace the store of a stopped server with a backup, after verifying it; the replaced
    /// store is kept as salas.redb.before-restore.
    Restore {
        /// A file written by `salas backup`.
        file: PathBuf,
    },
    /// Write all data as JSON (see docs/export-format.md), also while the server runs.
    Export {
        /// The file to write; standard output if not given.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Export this PostgreSQL database instead of the data directory's store.
        #[arg(long, value_name = "URL")]
        store_url: Option<String>,
    },
    /// Create the store of a new data directory from `salas export` output.
    Import {
        /// A file written by `salas export`.
        file: PathBuf,
        /// Import into this empty PostgreSQL database instead of a new data directory.
        #[arg(long, value_name = "URL")]
        store_url: Option<String>,
    },
    /// Exit 0 if the server configured here answers GET /healthz (for container health checks).
    Healthcheck,
    /// Rebuild the search index (DATA_DIR/search) from the store, with the server stopped. A
    /// server also rebuilds it by itself at start when it is missing, damaged or outdated.
    Reindex,
}

const FILES: &str = "\
Files:
  /etc/salas/config.toml        configuration of packaged installs (see config.example.toml)
  DATA_DIR/salas.redb           the store; DATA_DIR/jwt.key the token signing key
  DATA_DIR/admin.sock           how backup and export reach a running server
  DATA_DIR/salas.redb.vN.bak    the store as it was before an upgrade from schema version N

Examples:
  salas serve --config /etc/salas/config.toml
  salas backup --data-dir /var/lib/salas --output /root/salas-$(date +%F).redb
  salas restore /root/salas-2025-01-31.redb --data-dir /var/lib/salas   (server stopped)
  salas export --output all.json; salas import all.json --data-dir ./new-data
  salas store copy --to postgres://salas@db.example.org/salas   (server stopped)";

#[derive(Subcommand)]
enum StoreCommand {
    /// Copy the stopped data directory's store into an empty PostgreSQL database (--to), or a
    /// database into a data directory that has no store yet (--from). All or nothing.
    Copy {
        /// A PostgreSQL URL, e.g. postgres://salas@db.example.org/salas
        #[arg(long, value_name = "URL", required_unless_present = "from", conflicts_with = "from")]
        to: Option<String>,
        /// The database to copy into the data directory.
        #[arg(long, value_name = "URL")]
        from: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; prints the generated password unless --password-stdin is given.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, manager, member or viewer.
        #[arg(long, default_value = "member", value_parser = parse_role)]
        role: Role,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List,
    /// Change a user's role.
    SetRole {
        email: String,
        #[arg(value_parser = parse_role)]
        role: Role,
    },
    /// Set a new password (generated and printed unless --password-stdin); existing tokens stop working.
    ResetPassword {
        email: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("`{s}` is not a role (admin, manager, member, viewer)"))
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let listen = match &cli.command {
        Command::Serve { listen } => listen.clone(),
        _ => None,
    };
    let flags = Overrides { config: cli.config, listen, data_dir: cli.data_dir, log_format: cli.log_format };
    let loaded = match Config::load(flags) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let config = loaded.config;
    if matches!(cli.command, Command::Serve { .. }) {
        init_logging(&config);
        for w in loaded.warnings {
            tracing::warn!("{w}");
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    let result = match cli.command {
        Command::Serve { .. } => runtime.block_on(app::serve(config)).map_err(|e| e.to_string()),
        // Audit records of user commands say they came from the command line.
        Command::User(cmd) => runtime.block_on(crate::audit::with_origin("cli".into(), user_command(&config, cmd))),
        Command::Check { store_url } => check(&config, store_url.as_deref()),
        Command::Store(StoreCommand::Copy { to, from }) => admin::copy_store(&config, to.as_deref(), from.as_deref()),
        Command::Backup { output } => admin::backup(&config, &output),
        Command::Restore { file } => admin::restore(&config, &file),
        Command::Export { output, store_url } => admin::export(&config, output.as_deref(), store_url.as_deref()),
        Command::Import { file, store_url } => admin::import(&config, &file, store_url.as_deref()),
        Command::Healthcheck => admin::healthcheck(&config),
        Command::Reindex => reindex(&config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("salas: {e}");
    ExitCode::FAILURE
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::new(&config.log.level);
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    if config.log.format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn user_command(config: &Config, cmd: UserCommand) -> Result<(), String> {
    let store = Store::open(&config.data_dir).map_err(|e| e.to_string())?;
    let keys = TokenKeys::load_or_create(&config.data_dir).map_err(|e| format!("signing key: {e}"))?;
    let users = Users::new(store.clone(), keys, &config.auth);
    let result = run_user_command(&users, cmd).await;
    tokio::task::spawn_blocking(move || store.close()).await.map_err(|e| e.to_string())?;
    result
}

async fn run_user_command(users: &Users, cmd: UserCommand) -> Result<(), String> {
    match cmd {
        UserCommand::Add { email, name, role, password_stdin } => {
            let password = if password_stdin { Some(read_password()?) } else { None };
            let input = NewUser { email, name, role, password, language: None };
            let created = users.create(None, input).await.map_err(|e| e.to_string())?;
            println!("created {} ({})", created.user.email, created.user.role);
            if let Some(p) = created.generated_password {
                println!("password: {p}");
            }
        }
        UserCommand::List => {
            let list = users.list(None).map_err(|e| e.to_string())?;
            println!("{:<40} {:<30} {:<8} ACTIVE", "EMAIL", "NAME", "ROLE");
            for u in list {
                println!("{:<40} {:<30} {:<8} {}", u.email, u.name, u.role, if u.active { "yes" } else { "no" });
            }
        }
        UserCommand::SetRole { email, role } => {
            let user = users.find_by_email(&email).map_err(|e| format!("{email}: {e}"))?;
            let patch = crate::users::UserPatch { role: Some(role), ..Default::default() };
            users.update(None, user.id, patch).await.map_err(|e| e.to_string())?;
            println!("{} is now {}", user.email, role);
        }
        UserCommand::ResetPassword { email, password_stdin } => {
            let user = users.find_by_email(&email).map_err(|e| format!("{email}: {e}"))?;
            let given = if password_stdin { Some(read_password()?) } else { None };
            let generated = given.is_none();
            let password = users.reset_password(user.id, given).await.map_err(|e| e.to_string())?;
            println!("password of {} reset; existing tokens no longer work", user.email);
            if generated {
                println!("password: {password}");
            }
        }
    }
    Ok(())
}

fn read_password() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| format!("reading the password: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// `salas check`: the data directory's store, or the database at `store_url`.
fn check(config: &Config, store_url: Option<&str>) -> Result<(), String> {
    let database = store_url.map(|url| admin::database(config, url));
    let (mut problems, consistent) = match database {
        None => (
            crate::store::check(&config.data_dir).map_err(|e| e.to_string())?,
            format!("{} is consistent (schema version {})", config.data_dir.display(), crate::store::SCHEMA_VERSION),
        ),
        Some(db) => (
            store::postgres::check(db).map_err(|e| e.to_string())?,
            format!(
                "{} is consistent (schema version {})",
                store::postgres::describe(db.url).map_err(|e| e.to_string())?,
                store::postgres::PG_SCHEMA_VERSION
            ),
        ),
    };
    if problems.is_empty() {
        // Only a store at the current schema is read (opening upgrades, and check changes nothing).
        match check_secrets(config, database) {
            Ok(summary) => println!("ok: {summary}"),
            Err(mut found) => problems.append(&mut found),
        }
    }
    if problems.is_empty() {
        println!("ok: {consistent}");
        Ok(())
    } else {
        for p in &problems {
            println!("problem: {p}");
        }
        Err(format!("{} problem(s) found", problems.len()))
    }
}

/// Whether the secret key (SALAS_SECRET_KEY or DATA_DIR/secret.key) opens every sealed secret in
/// the store (or the database): a store restored or moved without its key has webhooks that can
/// no longer sign.
fn check_secrets(config: &Config, database: Option<store::postgres::Database>) -> Result<String, Vec<String>> {
    let hooks = match database {
        Some(db) => store::postgres::webhooks(db),
        None => {
            let store = Store::open(&config.data_dir).map_err(|e| vec![e.to_string()])?;
            let hooks = store.view().and_then(|v| v.webhooks());
            store.close();
            hooks
        }
    };
    let mut stored: Vec<(String, String)> = Vec::new();
    for h in hooks.map_err(|e| vec![e.to_string()])? {
        if let Some(m) = h.matrix {
            stored.push((format!("webhook {} (Matrix token)", h.url), m.access_token));
        }
        stored.push((format!("webhook {}", h.url), h.secret));
    }
    let sealer = crate::secrets::Sealer::load(&config.data_dir, &config.secret.key, false);
    crate::secrets::check(sealer.as_ref().ok(), &stored).map_err(|mut problems| {
        if let Err(e) = &sealer {
            problems.insert(0, e.to_string());
        }
        problems
    })
}

fn reindex(config: &Config) -> Result<(), String> {
    let store = Store::open(&config.data_dir).map_err(|e| e.to_string())?;
    let result = crate::search::reindex(&config.data_dir, &store);
    store.close();
    let count = result.map_err(|e| e.to_string())?;
    println!("ok: search index rebuilt ({count} rooms and resources)");
    Ok(())
}
