//! The embedded store's tuning.

use super::{Config, ConfigError, range};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// Memory for cached store pages, in MiB. The store's file is read through this cache; the
    /// default keeps a small office's working set in memory while bounding the process's size.
    pub cache_mb: u32,
    /// libpq's `PGPASSWORD` from the environment: the password of a PostgreSQL URL that has
    /// none (`--store-url`), so that none need appear on a command line. Never written out.
    #[serde(skip)]
    pub pg_password: Option<String>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self { cache_mb: 64, pg_password: None }
    }
}

impl Config {
    pub(super) fn validate_store(&self) -> Result<(), ConfigError> {
        range("store.cache_mb", self.store.cache_mb, 4, 65_536)
    }
}
