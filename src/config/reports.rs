//! `[reports]`: the working day utilization is measured against in rooms without opening hours
//! (see `[policies]`), and what counts as a late cancellation.

use super::{Config, ConfigError, err, range};
use crate::model::report::{Settings, WorkingDay};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportsConfig {
    /// Local time rooms open, `HH:MM`, in each room's zone.
    pub opens: String,
    /// Local time rooms close, `HH:MM`; `24:00` is midnight at the end of the day.
    pub closes: String,
    /// Open weekdays, comma-separated: `mon,tue,wed,thu,fri`.
    pub days: String,
    /// A cancellation less than this many hours before the start is late.
    pub late_cancel_hours: u32,
}

impl Default for ReportsConfig {
    fn default() -> Self {
        Self {
            opens: "08:00".into(),
            closes: "18:00".into(),
            days: "mon,tue,wed,thu,fri".into(),
            late_cancel_hours: 24,
        }
    }
}

fn minutes(key: &str, s: &str) -> Result<u32, ConfigError> {
    let bad = || err(format!("{key}: `{s}` is not a time like 08:00"));
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m >= 60 || h * 60 + m > 1440 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Config {
    /// The reports settings, already checked by `validate`.
    pub fn report_settings(&self) -> Result<Settings, ConfigError> {
        let r = &self.reports;
        let (opens, closes) = (minutes("reports.opens", &r.opens)?, minutes("reports.closes", &r.closes)?);
        if closes <= opens {
            return Err(err("reports.closes must be after reports.opens"));
        }
        let mut days = [false; 7];
        for name in r.days.split(',').map(|d| d.trim().to_ascii_lowercase()).filter(|d| !d.is_empty()) {
            let i = DAY_NAMES
                .iter()
                .position(|d| *d == name)
                .ok_or_else(|| err(format!("reports.days: `{name}` is not one of mon,tue,wed,thu,fri,sat,sun")))?;
            days[i] = true;
        }
        let zone = self.booking.default_timezone.parse().map_err(|_| err("booking.default_timezone: unknown zone"))?;
        Ok(Settings {
            working_day: WorkingDay { days, opens, closes },
            policy: self.global_policy()?,
            late_cancel: chrono::Duration::hours(i64::from(r.late_cancel_hours)),
            zone,
        })
    }

    pub(super) fn validate_reports(&self) -> Result<(), ConfigError> {
        range("reports.late_cancel_hours", self.reports.late_cancel_hours, 0, 24 * 60)?;
        self.report_settings().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_working_day() {
        let s = Config::default().report_settings().unwrap();
        assert_eq!(s.working_day, WorkingDay::default());
    }

    #[test]
    fn bad_values_name_the_key() {
        let mut c = Config::default();
        c.reports.closes = "7pm".into();
        assert!(c.validate_reports().err().unwrap().to_string().contains("reports.closes"));
        c.reports.closes = "24:00".into();
        c.reports.days = "mon,fry".into();
        assert!(c.validate_reports().err().unwrap().to_string().contains("reports.days"));
    }
}
