//! Which store holds the data, and the embedded store's tuning.

use super::{Config, ConfigError, err, range};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The embedded file in the data directory: one process.
    Redb,
    /// A PostgreSQL database that any number of Salas processes share.
    Postgres,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    pub backend: Backend,
    /// With `postgres`: a libpq-style URL, several hosts allowed for failover. Its password may
    /// instead come from `PGPASSWORD`.
    pub url: String,
    /// Memory for cached store pages, in MiB. The store's file is read through this cache; the
    /// default keeps a small office's working set in memory while bounding the process's size.
    pub cache_mb: u32,
    /// libpq's `PGPASSWORD` from the environment: the password of a PostgreSQL URL that has
    /// none, so that none need appear on a command line or in a file. Never written out.
    #[serde(skip)]
    pub pg_password: Option<String>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self { backend: Backend::Redb, url: String::new(), cache_mb: 64, pg_password: None }
    }
}

impl std::fmt::Debug for StoreConfig {
    /// The URL may carry a password: only the backend is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig").field("backend", &self.backend).field("cache_mb", &self.cache_mb).finish()
    }
}

impl Config {
    pub(super) fn validate_store(&self) -> Result<(), ConfigError> {
        range("store.cache_mb", self.store.cache_mb, 4, 65_536)?;
        match self.store.backend {
            Backend::Postgres if self.store.url.trim().is_empty() => {
                Err(err("store.url: is required with backend = \"postgres\" (a postgres:// URL)"))
            }
            Backend::Postgres
                if !self.store.url.starts_with("postgres://") && !self.store.url.starts_with("postgresql://") =>
            {
                Err(err("store.url: is not a PostgreSQL URL (postgres://user@host/database)"))
            }
            // Every process must open the secrets the others sealed, and accept the sign-in
            // tokens the others issued: one key for all, given to each.
            Backend::Postgres if self.secret.key.trim().is_empty() => Err(err(
                "secret.key: is required with backend = \"postgres\" (the same 64 hex digits on every Salas process, e.g. SALAS_SECRET_KEY=$(openssl rand -hex 32))",
            )),
            _ => Ok(()),
        }
    }
}
