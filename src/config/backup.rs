//! Scheduled backups: off unless a cron expression is set.

use super::{Config, ConfigError, err, range};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackupConfig {
    /// A cron expression, as in `[scheduler]`; empty: no scheduled backups.
    pub schedule: String,
    /// Where the backups go; empty: `backups` in the data directory.
    pub directory: String,
    /// How many backups to keep; older ones are deleted after each new one.
    pub keep: u32,
}

impl Default for BackupConfig {
    fn default() -> Self {
        Self { schedule: String::new(), directory: String::new(), keep: 7 }
    }
}

impl Config {
    /// The directory scheduled backups are written to.
    pub fn backup_dir(&self) -> PathBuf {
        match self.backup.directory.trim() {
            "" => self.data_dir.join("backups"),
            dir => PathBuf::from(dir),
        }
    }

    pub(super) fn validate_backup(&self) -> Result<(), ConfigError> {
        if let Err(e) = super::parse_schedule(&self.backup.schedule) {
            return Err(err(format!("backup.schedule: {e}")));
        }
        range("backup.keep", self.backup.keep, 1, 10_000)
    }
}
