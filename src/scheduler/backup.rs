//! The scheduled backup job: a consistent copy of the running store (the same copy as
//! `salas backup`) into a directory, then the oldest copies beyond the number to keep are
//! deleted. Only files this job names (`salas-<UTC time>.redb`) are ever counted or deleted.

use crate::audit::{AuditAction, Entry};
use crate::store::Store;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

const PREFIX: &str = "salas-";
const SUFFIX: &str = ".redb";

/// Where scheduled backups go and how many are kept.
#[derive(Clone, Debug)]
pub struct BackupPlan {
    pub dir: PathBuf,
    pub keep: usize,
}

/// `salas-20260504T083000.123Z.redb`: names sort in time order.
fn file_name(at: DateTime<Utc>) -> String {
    format!("{PREFIX}{}{SUFFIX}", at.format("%Y%m%dT%H%M%S%.3fZ"))
}

fn is_backup_name(name: &str) -> bool {
    name.strip_prefix(PREFIX).and_then(|n| n.strip_suffix(SUFFIX)).is_some_and(|stamp| {
        stamp.len() == 20 && stamp.chars().all(|c| c.is_ascii_digit() || matches!(c, 'T' | 'Z' | '.'))
    })
}

/// Of `names` (any order), the backups to delete so that the newest `keep` remain.
fn to_delete(names: &[String], keep: usize) -> Vec<String> {
    let mut ours: Vec<&String> = names.iter().filter(|n| is_backup_name(n)).collect();
    ours.sort();
    let excess = ours.len().saturating_sub(keep);
    ours.into_iter().take(excess).cloned().collect()
}

/// Writes a backup taken at `now` and applies the retention; says what it did.
pub fn run(store: &Store, plan: &BackupPlan, now: DateTime<Utc>) -> Result<String, String> {
    create_dir(&plan.dir)?;
    let name = file_name(now);
    let out = plan.dir.join(&name);
    if out.exists() {
        return Err(format!("{} already exists", out.display()));
    }
    let written = store.backup_to(&out);
    let entry = Entry::new(AuditAction::DataBackedUp, None).target("backup", "", out.display().to_string());
    let entry = if written.is_ok() { entry } else { entry.failed() };
    store.write_blocking(move |tx| entry.stage(tx)).map_err(|e| format!("audit log: {e}"))?;
    if let Err(e) = written {
        // A half-written copy must not count as a backup (nor push a good one out).
        let _ = std::fs::remove_file(&out);
        return Err(format!("{}: {e}", out.display()));
    }
    let names: Vec<String> = std::fs::read_dir(&plan.dir)
        .map_err(|e| format!("{}: {e}", plan.dir.display()))?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    let old = to_delete(&names, plan.keep);
    for n in &old {
        let path = plan.dir.join(n);
        std::fs::remove_file(&path).map_err(|e| format!("removing {}: {e}", path.display()))?;
    }
    Ok(format!("{name} written; {} older backups removed", old.len()))
}

fn create_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn names_sort_in_time_order_and_only_ours_are_pruned() {
        let t = Utc.with_ymd_and_hms(2026, 5, 4, 8, 30, 0).unwrap();
        let a = file_name(t);
        assert_eq!(a, "salas-20260504T083000.000Z.redb");
        assert!(is_backup_name(&a));
        let b = file_name(t + chrono::Duration::milliseconds(5));
        let c = file_name(t + chrono::Duration::days(1));
        let names = vec![c.clone(), "notes.txt".into(), a.clone(), "salas-manual.redb".into(), b.clone()];
        assert_eq!(to_delete(&names, 2), vec![a.clone()]);
        assert_eq!(to_delete(&names, 1), vec![a, b]);
        assert!(to_delete(&names, 5).is_empty());
    }
}
