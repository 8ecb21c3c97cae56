//! The one place that reads the wall clock. Domain rules take `now` as an argument, so they are
//! tested with any instant; services call [`now`] once per request and pass it down.

use chrono::{DateTime, SubsecRound, Utc};

/// The current instant, truncated to microseconds: the precision instants are stored with, so a
/// value read back equals the value written.
#[allow(clippy::disallowed_methods)]
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
