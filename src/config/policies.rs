//! `[policies]`: the global defaults of room policies (opening hours, blackouts, durations,
//! horizon, buffers, weekly quota). Locations and rooms override them; see `model::policy`.

use super::{Config, ConfigError, err, range};
use crate::model::policy::{
    Blackout, MAX_BUFFER_MINUTES, MAX_DURATION_MINUTES, MAX_HORIZON_DAYS, MAX_QUOTA_HOURS, Policy, PolicyOverrides,
    WeekHours, check_effective, check_overrides,
};
use crate::validation::FieldErrors;
use serde::{Deserialize, Serialize};

/// The defaults restrict nothing: no opening hours, no closures, no limits.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoliciesConfig {
    /// `mon-fri 08:00-18:00; sat 09:00-14:00`; empty: no opening hours (bookable at any time).
    pub opening_hours: String,
    /// `2026-12-25 Christmas Day; 2026-12-31..2027-01-01 New Year`.
    pub blackouts: String,
    pub min_duration_minutes: u32,
    /// 0: only `booking.max_duration_hours` limits.
    pub max_duration_minutes: u32,
    /// 0: no horizon.
    pub horizon_days: u32,
    pub buffer_minutes: u32,
    /// 0: no quota.
    pub weekly_quota_hours: u32,
}

impl Config {
    /// The global policy every location and room starts from.
    pub fn global_policy(&self) -> Result<Policy, ConfigError> {
        let c = &self.policies;
        let opening_hours = match c.opening_hours.trim() {
            "" => None,
            spec => Some(WeekHours::parse_spec(spec).map_err(|e| err(format!("policies.opening_hours: {e}")))?),
        };
        let blackouts = c
            .blackouts
            .split(';')
            .filter(|l| !l.trim().is_empty())
            .map(Blackout::parse_line)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| err(format!("policies.blackouts: {e}")))?;
        // The same checks as an admin's settings get, reported with the configuration's key names.
        let as_overrides = PolicyOverrides {
            opening_hours: opening_hours.clone(),
            blackouts: blackouts.clone(),
            ..Default::default()
        };
        let mut errors = FieldErrors::new();
        check_overrides(&mut errors, "policies.", &as_overrides);
        let policy = Policy {
            opening_hours,
            blackouts,
            min_duration_minutes: c.min_duration_minutes,
            max_duration_minutes: c.max_duration_minutes,
            horizon_days: c.horizon_days,
            buffer_minutes: c.buffer_minutes,
            weekly_quota_hours: c.weekly_quota_hours,
        };
        check_effective(&mut errors, "policies.", &policy);
        errors.into_result().map_err(|e| err(e.to_string()))?;
        Ok(policy)
    }

    pub(super) fn validate_policies(&self) -> Result<(), ConfigError> {
        let c = &self.policies;
        range("policies.min_duration_minutes", c.min_duration_minutes, 0, MAX_DURATION_MINUTES)?;
        range("policies.max_duration_minutes", c.max_duration_minutes, 0, MAX_DURATION_MINUTES)?;
        range("policies.horizon_days", c.horizon_days, 0, MAX_HORIZON_DAYS)?;
        range("policies.buffer_minutes", c.buffer_minutes, 0, MAX_BUFFER_MINUTES)?;
        range("policies.weekly_quota_hours", c.weekly_quota_hours, 0, MAX_QUOTA_HOURS)?;
        self.global_policy().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_restrict_nothing() {
        assert_eq!(Config::default().global_policy().unwrap(), Policy::default());
    }

    #[test]
    fn settings_parse_and_bad_ones_name_the_key() {
        let mut c = Config::default();
        c.policies.opening_hours = "mon-fri 08:00-18:00".into();
        c.policies.blackouts = "2026-12-25 Christmas Day; 2026-12-31..2027-01-01 New Year".into();
        let p = c.global_policy().unwrap();
        assert_eq!(p.opening_hours.unwrap().day_text(4), "08:00-18:00");
        assert_eq!(p.blackouts.len(), 2);
        c.policies.opening_hours = "mon-fri 8am-6pm".into();
        assert!(c.validate_policies().err().unwrap().to_string().contains("policies.opening_hours"));
        c.policies.opening_hours = String::new();
        c.policies.blackouts = "2026-12-25".into();
        assert!(c.validate_policies().err().unwrap().to_string().contains("policies.blackouts[0].reason"));
        c.policies.blackouts = String::new();
        c.policies.min_duration_minutes = 120;
        c.policies.max_duration_minutes = 60;
        assert!(c.validate_policies().err().unwrap().to_string().contains("policies.min_duration_minutes"));
    }
}
