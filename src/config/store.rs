//! The embedded store's tuning.

use super::{Config, ConfigError, range};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// Memory for cached store pages, in MiB. The store's file is read through this cache; the
    /// default keeps a small office's working set in memory while bounding the process's size.
    pub cache_mb: u32,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self { cache_mb: 64 }
    }
}

impl Config {
    pub(super) fn validate_store(&self) -> Result<(), ConfigError> {
        range("store.cache_mb", self.store.cache_mb, 4, 65_536)
    }
}
