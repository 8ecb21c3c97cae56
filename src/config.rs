//! Configuration: one typed struct, loaded once at start and passed down as state.
//!
//! Precedence, lowest first: built-in defaults, the TOML file (`--config` or `SALAS_CONFIG`),
//! `SALAS_<SECTION>_<KEY>` environment variables, command-line flags. Environment names are
//! derived from the key paths of the defaults, so `SALAS_DATA_DIR` means `data_dir` exactly and a
//! misspelt variable is reported instead of silently ignored.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use toml::Value;

mod backup;
mod gateway;
mod notifications;
mod policies;
mod reports;
mod schedule;
mod sso;
mod store;
pub use backup::BackupConfig;
pub use gateway::{LimitsConfig, TlsConfig};
pub use notifications::{PushConfig, SchedulerConfig, SmsConfig, SmtpConfig, WebhooksConfig};
pub use policies::PoliciesConfig;
pub use reports::ReportsConfig;
pub use schedule::parse_schedule;
pub use sso::{LdapConfig, OidcConfig};
pub use store::{Backend, StoreConfig};

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address and port to listen on; port 0 picks a free port.
    pub listen: String,
    /// Where the store and the signing key live.
    pub data_dir: PathBuf,
    pub log: LogConfig,
    pub admin: AdminConfig,
    pub secret: SecretConfig,
    pub auth: AuthConfig,
    pub booking: BookingConfig,
    pub http: HttpConfig,
    pub limits: LimitsConfig,
    pub tls: TlsConfig,
    pub smtp: SmtpConfig,
    pub sms: SmsConfig,
    pub push: PushConfig,
    pub scheduler: SchedulerConfig,
    pub webhooks: WebhooksConfig,
    pub backup: BackupConfig,
    pub store: StoreConfig,
    pub reports: ReportsConfig,
    pub policies: PoliciesConfig,
    pub oidc: OidcConfig,
    pub ldap: LdapConfig,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A tracing filter: `info`, `debug`, `salas=debug,tower_http=info`…
    pub level: String,
    /// `text` or `json`.
    pub format: String,
}

/// The administrator created on a start where no user exists yet.
#[derive(Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    pub email: String,
    pub password: String,
}

/// The key stored secrets are sealed with (src/secrets.rs).
#[derive(Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SecretConfig {
    /// 64 hex digits; empty: DATA_DIR/secret.key (made on first start).
    pub key: String,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Lifetime of access tokens from `POST /api/v1/auth/token`.
    pub token_ttl_minutes: u32,
    /// Failed sign-ins for one e-mail address before it is locked for a while.
    pub login_max_failures: u32,
    /// The longest such a lock lasts; it always ends, so nobody can lock a user out for good.
    pub login_lockout_minutes: u32,
    /// The first lock's length; each further failure after a lock doubles it, up to
    /// `login_lockout_minutes`.
    pub login_lockout_first_seconds: u32,
    /// Sign-in with passwords kept by Salas (the form and `POST /api/v1/auth/token`); turn it
    /// off when everyone signs in through `[oidc]` or `[ldap]`.
    pub local_passwords: bool,
    /// E-mail domains (`example.com`) whose people may create their own member account at
    /// `/signup`, after following a link sent to the address; empty: no self-registration.
    pub self_signup_domains: Vec<String>,
    /// The address people reach Salas at (`https://salas.example.org`), for the links in
    /// password-reset, invitation and sign-up e-mails; empty: the address of the request.
    pub public_url: String,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BookingConfig {
    /// The longest a single reservation may last.
    pub max_duration_hours: u32,
    /// How far in the past a reservation may start (a meeting booked as it begins).
    pub past_grace_minutes: u32,
    /// The widest window a list or availability query may span.
    pub max_window_days: u32,
    /// The time zone of rooms created without one (an IANA name).
    pub default_timezone: String,
    /// The most occurrences one recurring series may have.
    pub max_occurrences: u32,
    /// How far ahead (in days) the last occurrence of a recurring series may start.
    pub max_series_days: u32,
    /// How many minutes before its start a reservation may be checked in.
    pub checkin_early_minutes: u32,
    /// In rooms that require check-in: minutes after the start before an unchecked reservation
    /// is released as a no-show (rooms may set their own).
    pub checkin_window_minutes: u32,
    /// Occurrences of a series released as no-shows in a row that cancel the rest of the series
    /// (the owner is warned one before); 0: never.
    pub no_show_strikes: u32,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    pub request_timeout_seconds: u32,
    pub max_body_bytes: u32,
    /// Reverse proxies (addresses or CIDR networks) whose X-Forwarded-For and
    /// X-Forwarded-Proto are believed; from anyone else those headers are ignored.
    pub trusted_proxies: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./salas-data"),
            log: LogConfig::default(),
            admin: AdminConfig::default(),
            secret: SecretConfig::default(),
            auth: AuthConfig::default(),
            booking: BookingConfig::default(),
            http: HttpConfig::default(),
            limits: LimitsConfig::default(),
            tls: TlsConfig::default(),
            smtp: SmtpConfig::default(),
            scheduler: SchedulerConfig::default(),
            sms: SmsConfig::default(),
            push: PushConfig::default(),
            webhooks: WebhooksConfig::default(),
            backup: BackupConfig::default(),
            store: StoreConfig::default(),
            reports: ReportsConfig::default(),
            policies: PoliciesConfig::default(),
            oidc: OidcConfig::default(),
            ldap: LdapConfig::default(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { level: "info".into(), format: "text".into() }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            token_ttl_minutes: 60,
            login_max_failures: 5,
            login_lockout_minutes: 15,
            login_lockout_first_seconds: 30,
            local_passwords: true,
            self_signup_domains: Vec::new(),
            public_url: String::new(),
        }
    }
}

impl Default for BookingConfig {
    fn default() -> Self {
        Self {
            max_duration_hours: 24,
            past_grace_minutes: 15,
            max_window_days: 92,
            default_timezone: "UTC".into(),
            max_occurrences: 366,
            max_series_days: 730,
            checkin_early_minutes: 10,
            checkin_window_minutes: 15,
            no_show_strikes: 3,
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self { request_timeout_seconds: 30, max_body_bytes: 256 * 1024, trusted_proxies: Vec::new() }
    }
}

/// Values given as command-line flags; they win over everything else.
#[derive(Default, Clone, Debug)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    /// `--log-format`: `text` or `json`.
    pub log_format: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

pub(crate) fn err(msg: impl Into<String>) -> ConfigError {
    // Messages quote values from the file and the environment; a line break in one would split
    // the one-line message (and could forge a log line), so control characters are escaped.
    let msg: String = msg.into();
    let mut out = String::with_capacity(msg.len());
    for c in msg.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    ConfigError(out)
}

/// What loading found besides the config itself: things worth a warning in the log.
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<String>,
}

impl Config {
    /// Loads from the process environment and the given flags.
    pub fn load(flags: Overrides) -> Result<Loaded, ConfigError> {
        Self::load_from(
            flags,
            std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// Loads with an explicit environment, so tests need not touch the process's.
    pub fn load_from(flags: Overrides, env: impl IntoIterator<Item = (String, String)>) -> Result<Loaded, ConfigError> {
        let env: Vec<(String, String)> = env.into_iter().collect();
        let pg_password = env.iter().find(|(k, _)| k == "PGPASSWORD").map(|(_, v)| v.clone());
        let env: Vec<(String, String)> = env.into_iter().filter(|(k, _)| k.starts_with("SALAS_")).collect();
        let file = flags
            .config
            .clone()
            .or_else(|| env.iter().find(|(k, _)| k == "SALAS_CONFIG").map(|(_, v)| PathBuf::from(v)));
        let text = match &file {
            Some(path) => {
                Some(std::fs::read_to_string(path).map_err(|e| err(format!("cannot read {}: {e}", path.display())))?)
            }
            None => None,
        };
        let mut loaded = Self::load_text(file.as_deref().zip(text.as_deref()), flags, env)?;
        loaded.config.store.pg_password = pg_password;
        Ok(loaded)
    }

    /// [`Config::load_from`] once the configuration file (its path, which starts its error
    /// messages, and its text) has been read: no I/O, so the fuzz target `config` runs exactly
    /// what the server runs on whatever a file may hold.
    pub fn load_text(
        file: Option<(&Path, &str)>,
        flags: Overrides,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Loaded, ConfigError> {
        let env: Vec<(String, String)> = env.into_iter().filter(|(k, _)| k.starts_with("SALAS_")).collect();
        let mut tree = Value::try_from(Config::default()).map_err(|e| err(e.to_string()))?;
        let known = env_names(&tree);
        let mut warnings = Vec::new();

        if let Some((path, text)) = file {
            merge(&mut tree, parse_file(path, text)?);
        }

        for (name, raw) in &env {
            if name == "SALAS_CONFIG" {
                continue;
            }
            match known.iter().find(|(n, _)| n == name) {
                Some((_, path)) => set_from_env(&mut tree, path, name, raw)?,
                None => warnings.push(format!("ignoring unknown environment variable {name}")),
            }
        }

        if let Some(listen) = flags.listen {
            set(&mut tree, &["listen"], Value::String(listen));
        }
        if let Some(dir) = flags.data_dir {
            set(&mut tree, &["data_dir"], Value::String(dir.to_string_lossy().into_owned()));
        }
        if let Some(format) = flags.log_format {
            set(&mut tree, &["log", "format"], Value::String(format));
        }

        let config: Config = tree.try_into().map_err(|e: toml::de::Error| err(e.message().to_string()))?;
        config.validate()?;
        Ok(Loaded { config, warnings })
    }

    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.listen.parse().map_err(|_| err(format!("listen: `{}` is not an address like 127.0.0.1:8080", self.listen)))
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.listen_addr()?;
        if self.data_dir.as_os_str().is_empty() {
            return Err(err("data_dir: must not be empty"));
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            return Err(err(format!("log.level: `{}` is not a valid filter (try `info`)", self.log.level)));
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return Err(err(format!("log.format: `{}` must be `text` or `json`", self.log.format)));
        }
        if !self.admin.email.is_empty() && !crate::validation::is_plausible_email(&self.admin.email) {
            return Err(err(format!("admin.email: `{}` is not an e-mail address", self.admin.email)));
        }
        if !self.admin.password.is_empty() && self.admin.password.chars().count() < crate::validation::MIN_PASSWORD_LEN
        {
            return Err(err(format!(
                "admin.password: must have at least {} characters",
                crate::validation::MIN_PASSWORD_LEN
            )));
        }
        range("auth.token_ttl_minutes", self.auth.token_ttl_minutes, 1, 60 * 24 * 30)?;
        range("auth.login_max_failures", self.auth.login_max_failures, 1, 1000)?;
        range("auth.login_lockout_minutes", self.auth.login_lockout_minutes, 1, 24 * 60)?;
        range("auth.login_lockout_first_seconds", self.auth.login_lockout_first_seconds, 1, 24 * 3600)?;
        for domain in &self.auth.self_signup_domains {
            if !crate::validation::is_plausible_email(&format!("x@{domain}")) || domain.contains(char::is_uppercase) {
                return Err(err(format!("auth.self_signup_domains: `{domain}` is not a lower-case e-mail domain")));
            }
        }
        let url = self.auth.public_url.as_str();
        if !(url.is_empty() || url.starts_with("https://") || url.starts_with("http://")) {
            return Err(err(format!("auth.public_url: `{url}` must start with https:// or http://")));
        }
        range("booking.max_duration_hours", self.booking.max_duration_hours, 1, 24 * 31)?;
        range("booking.past_grace_minutes", self.booking.past_grace_minutes, 0, 24 * 60)?;
        range("booking.max_window_days", self.booking.max_window_days, 1, 3660)?;
        range("booking.max_occurrences", self.booking.max_occurrences, 1, 5000)?;
        range("booking.max_series_days", self.booking.max_series_days, 1, 1826)?;
        range("booking.checkin_early_minutes", self.booking.checkin_early_minutes, 0, 240)?;
        range("booking.checkin_window_minutes", self.booking.checkin_window_minutes, 1, 240)?;
        range("booking.no_show_strikes", self.booking.no_show_strikes, 0, 100)?;
        if !crate::validation::is_valid_timezone(&self.booking.default_timezone) {
            return Err(err(format!(
                "booking.default_timezone: `{}` is not an IANA time zone such as Europe/Madrid",
                self.booking.default_timezone
            )));
        }
        range("http.request_timeout_seconds", self.http.request_timeout_seconds, 1, 3600)?;
        range("http.max_body_bytes", self.http.max_body_bytes, 1024, 64 * 1024 * 1024)?;
        self.validate_notifications()?;
        self.validate_backup()?;
        self.validate_reports()?;
        self.validate_policies()?;
        self.validate_store()?;
        self.validate_gateway()?;
        self.validate_sso()?;
        Ok(())
    }
}

pub(crate) fn range(key: &str, value: u32, min: u32, max: u32) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(err(format!("{key}: {value} is out of range ({min} to {max})")))
    }
}

fn parse_file(path: &Path, text: &str) -> Result<Value, ConfigError> {
    // Parse strictly once for the error messages: they name the key and the line.
    toml::from_str::<Config>(text).map_err(|e| err(format!("{}: {}", path.display(), one_line(&e.to_string()))))?;
    toml::from_str::<Value>(text).map_err(|e| err(format!("{}: {}", path.display(), one_line(&e.to_string()))))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every `SALAS_*` name the defaults allow, with the key path it sets.
fn env_names(tree: &Value) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    if let Value::Table(top) = tree {
        for (key, value) in top {
            match value {
                Value::Table(section) => {
                    for sub in section.keys() {
                        let name = format!("SALAS_{}_{}", key, sub).to_ascii_uppercase();
                        out.push((name, vec![key.clone(), sub.clone()]));
                    }
                }
                _ => out.push((format!("SALAS_{key}").to_ascii_uppercase(), vec![key.clone()])),
            }
        }
    }
    out
}

fn set_from_env(tree: &mut Value, path: &[String], name: &str, raw: &str) -> Result<(), ConfigError> {
    let current = path.iter().try_fold(&*tree, |node, key| node.get(key));
    let value = match current {
        Some(Value::Integer(_)) => {
            Value::Integer(raw.trim().parse().map_err(|_| err(format!("{name}: `{raw}` is not a whole number")))?)
        }
        Some(Value::Boolean(_)) => {
            Value::Boolean(raw.trim().parse().map_err(|_| err(format!("{name}: `{raw}` is not true or false")))?)
        }
        // A list from the environment is comma-separated: SALAS_HTTP_TRUSTED_PROXIES=10.0.0.0/8,::1
        Some(Value::Array(_)) => Value::Array(
            raw.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| Value::String(s.to_string())).collect(),
        ),
        _ => Value::String(raw.to_string()),
    };
    let keys: Vec<&str> = path.iter().map(String::as_str).collect();
    set(tree, &keys, value);
    Ok(())
}

fn set(tree: &mut Value, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut node = tree;
    for key in parents {
        let Value::Table(table) = node else { return };
        node = table.entry(key.to_string()).or_insert_with(|| Value::Table(Default::default()));
    }
    if let Value::Table(table) = node {
        table.insert(last.to_string(), value);
    }
}

fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Table(base), Value::Table(over)) => {
            for (k, v) in over {
                match base.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        base.insert(k, v);
                    }
                }
            }
        }
        (base, over) => *base = over,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_follow_the_contract() {
        let c = Config::load_from(Overrides::default(), env(&[])).unwrap().config;
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.data_dir, PathBuf::from("./salas-data"));
    }

    /// libpq's PGPASSWORD reaches the store settings, without a warning and never written out.
    #[test]
    fn pgpassword_is_read_for_database_urls() {
        let loaded = Config::load_from(Overrides::default(), env(&[("PGPASSWORD", "s3cret")])).unwrap();
        assert_eq!(loaded.config.store.pg_password.as_deref(), Some("s3cret"));
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        assert!(!toml::to_string(&loaded.config).unwrap().contains("s3cret"));
    }

    #[test]
    fn precedence_file_env_flags() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:1\"\n[booking]\nmax_duration_hours = 8\n").unwrap();
        let flags = Overrides { config: Some(path.clone()), ..Default::default() };
        let c = Config::load_from(flags.clone(), env(&[("SALAS_BOOKING_MAX_DURATION_HOURS", "9")])).unwrap().config;
        assert_eq!(c.listen, "127.0.0.1:1");
        assert_eq!(c.booking.max_duration_hours, 9);
        let flags = Overrides { listen: Some("127.0.0.1:2".into()), ..flags };
        let c = Config::load_from(flags, env(&[("SALAS_LISTEN", "127.0.0.1:3")])).unwrap().config;
        assert_eq!(c.listen, "127.0.0.1:2");
    }

    #[test]
    fn config_file_from_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "data_dir = \"/tmp/x\"\n").unwrap();
        let c =
            Config::load_from(Overrides::default(), env(&[("SALAS_CONFIG", path.to_str().unwrap())])).unwrap().config;
        assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
    }

    #[test]
    fn errors_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[booking]\nmax_hours = 3\n").unwrap();
        let flags = Overrides { config: Some(path), ..Default::default() };
        let e = Config::load_from(flags, env(&[])).err().unwrap().to_string();
        assert!(e.contains("max_hours"), "{e}");

        let e = Config::load_from(Overrides::default(), env(&[("SALAS_AUTH_TOKEN_TTL_MINUTES", "soon")]))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("SALAS_AUTH_TOKEN_TTL_MINUTES"), "{e}");

        let flags = Overrides { listen: Some("nowhere".into()), ..Default::default() };
        let e = Config::load_from(flags, env(&[])).err().unwrap().to_string();
        assert!(e.contains("listen"), "{e}");

        let e = Config::load_from(Overrides::default(), env(&[("SALAS_BOOKING_MAX_DURATION_HOURS", "0")]))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("booking.max_duration_hours"), "{e}");
    }

    // Found by the fuzz target `config`: a line break inside a quoted value split the refusal
    // over several lines.
    #[test]
    fn a_refusal_is_one_line_whatever_the_value_holds() {
        let text = "listen = \"a\\nb\\u2028c\"\n";
        let e = Config::load_text(Some((Path::new("c.toml"), text)), Overrides::default(), env(&[])).err().unwrap();
        assert_eq!(e.0, "listen: `a\\nb\\u{2028}c` is not an address like 127.0.0.1:8080");
    }

    #[test]
    fn unknown_variables_are_reported() {
        let loaded = Config::load_from(Overrides::default(), env(&[("SALAS_LISTN", "x")])).unwrap();
        assert_eq!(loaded.warnings.len(), 1);
    }
}

#[cfg(test)]
mod example_file {
    use super::*;

    /// `config.example.toml` documents every setting with its default: parsing it gives exactly
    /// the defaults, and it names every key the defaults have.
    #[test]
    fn example_matches_the_defaults() {
        let text = include_str!("../config.example.toml");
        let parsed: Config = toml::from_str(text).expect("the example parses");
        let as_value = |c: &Config| Value::try_from(c.clone()).unwrap();
        assert_eq!(as_value(&parsed), as_value(&Config::default()));
        let example: Value = toml::from_str(text).unwrap();
        assert_eq!(env_names(&example).len(), env_names(&as_value(&Config::default())).len());
    }
}
