//! Room policies: opening hours, blackout dates, duration limits, booking horizon, buffers and a
//! weekly quota. Three levels: the global defaults (`[policies]` in the configuration), each
//! location's defaults (admin-managed, in the store) and each room's overrides. A field left
//! unset at a level inherits the level above; blackouts add up instead (a holiday of the location
//! closes every room in it, and a room may add closures of its own). [`effective`] computes what
//! applies to a room; everything here is pure.

use crate::validation::FieldErrors;
use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest duration limit, in minutes (31 days, the most `booking.max_duration_hours` allows).
pub const MAX_DURATION_MINUTES: u32 = 31 * 24 * 60;
pub const MAX_HORIZON_DAYS: u32 = 3660;
pub const MAX_BUFFER_MINUTES: u32 = 24 * 60;
pub const MAX_QUOTA_HOURS: u32 = 7 * 24;
pub const MAX_BLACKOUTS: usize = 500;
/// A blackout is a closure, not a way to close a room for good (archive it instead).
pub const MAX_BLACKOUT_DAYS: i64 = 366;
const MAX_INTERVALS_PER_DAY: usize = 12;

pub const DAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// One open interval of a day, in minutes after local midnight; `close` may be 1440 (24:00).
/// On the wire and in the store it is the text `"08:00-18:00"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Interval {
    pub open: u16,
    pub close: u16,
}

impl TryFrom<String> for Interval {
    type Error = String;
    fn try_from(s: String) -> Result<Interval, String> {
        s.parse()
    }
}

impl From<Interval> for String {
    fn from(i: Interval) -> String {
        i.to_string()
    }
}

impl std::str::FromStr for Interval {
    type Err = String;
    fn from_str(s: &str) -> Result<Interval, String> {
        let bad = || format!("`{s}` is not an interval like 08:00-18:00");
        let (a, b) = s.trim().split_once('-').ok_or_else(bad)?;
        let (open, close) = (parse_hhmm(a).ok_or_else(bad)?, parse_hhmm(b).ok_or_else(bad)?);
        if close <= open {
            return Err(format!(
                "`{s}`: the closing time must be after the opening time (overnight hours are two days' intervals, 22:00-24:00 and 00:00-06:00)"
            ));
        }
        Ok(Interval { open, close })
    }
}

impl std::fmt::Display for Interval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", hhmm(self.open), hhmm(self.close))
    }
}

/// `HH:MM` (00:00 to 24:00) as minutes after midnight.
pub fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && h * 60 + m <= 1440).then_some(h * 60 + m)
}

pub fn hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Open intervals per weekday, in the room's zone. A day with none is closed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct WeekHours {
    #[schema(value_type = Vec<String>, example = json!(["08:00-18:00"]))]
    pub mon: Vec<Interval>,
    #[schema(value_type = Vec<String>, example = json!(["08:00-18:00"]))]
    pub tue: Vec<Interval>,
    #[schema(value_type = Vec<String>, example = json!(["08:00-18:00"]))]
    pub wed: Vec<Interval>,
    #[schema(value_type = Vec<String>, example = json!(["08:00-18:00"]))]
    pub thu: Vec<Interval>,
    #[schema(value_type = Vec<String>, example = json!(["08:00-18:00"]))]
    pub fri: Vec<Interval>,
    #[schema(value_type = Vec<String>, example = json!(["08:00-18:00"]))]
    pub sat: Vec<Interval>,
    #[schema(value_type = Vec<String>, example = json!(["08:00-18:00"]))]
    pub sun: Vec<Interval>,
}

impl WeekHours {
    /// Monday first.
    pub fn days(&self) -> [&Vec<Interval>; 7] {
        [&self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun]
    }

    pub fn day(&self, wd: Weekday) -> &[Interval] {
        self.days()[wd.num_days_from_monday() as usize]
    }

    pub fn day_mut(&mut self, i: usize) -> &mut Vec<Interval> {
        match i {
            0 => &mut self.mon,
            1 => &mut self.tue,
            2 => &mut self.wed,
            3 => &mut self.thu,
            4 => &mut self.fri,
            5 => &mut self.sat,
            _ => &mut self.sun,
        }
    }

    /// The same hours on the given weekdays (Monday first), closed on the others.
    pub fn uniform(days: [bool; 7], open: u16, close: u16) -> WeekHours {
        let mut w = WeekHours::default();
        for (i, on) in days.into_iter().enumerate() {
            if on {
                w.day_mut(i).push(Interval { open, close });
            }
        }
        w
    }

    /// One day's intervals as text: `08:00-12:00, 13:00-18:00`; empty when closed.
    pub fn day_text(&self, i: usize) -> String {
        self.days()[i].iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    }

    /// Parses one day's text as [`WeekHours::day_text`] writes it.
    pub fn parse_day(text: &str) -> Result<Vec<Interval>, String> {
        text.split([',', ';']).map(str::trim).filter(|s| !s.is_empty()).map(str::parse).collect()
    }

    /// Parses the compact form used in the configuration: `mon-fri 08:00-18:00; sat 09:00-14:00`.
    /// Days not named are closed.
    pub fn parse_spec(spec: &str) -> Result<WeekHours, String> {
        let mut week = WeekHours::default();
        for part in spec.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (days, hours) = part
                .split_once(char::is_whitespace)
                .ok_or_else(|| format!("`{part}` is not like `mon-fri 08:00-18:00`"))?;
            let intervals = WeekHours::parse_day(hours)?;
            for group in days.split(',') {
                let (a, b) = group.split_once('-').unwrap_or((group, group));
                let index = |d: &str| {
                    DAY_KEYS
                        .iter()
                        .position(|k| *k == d.trim().to_ascii_lowercase())
                        .ok_or_else(|| format!("`{d}` is not one of mon, tue, wed, thu, fri, sat, sun"))
                };
                let (a, b) = (index(a)?, index(b)?);
                if b < a {
                    return Err(format!("`{group}`: a day range runs from Monday towards Sunday"));
                }
                for i in a..=b {
                    week.day_mut(i).extend(intervals.iter().copied());
                }
            }
        }
        Ok(week)
    }
}

/// A date or date range (both days included, in the room's zone) when a room is closed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Blackout {
    #[schema(value_type = String, format = Date, example = "2026-12-25")]
    pub from: NaiveDate,
    /// The last closed day; absent: only `from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    /// Shown to people who try to book: "Christmas Day".
    pub reason: String,
}

impl Blackout {
    pub fn last(&self) -> NaiveDate {
        self.to.unwrap_or(self.from)
    }

    pub fn covers(&self, date: NaiveDate) -> bool {
        self.from <= date && date <= self.last()
    }

    /// `2026-12-25 Christmas Day` or `2026-12-24..2026-12-26 Christmas`.
    pub fn parse_line(line: &str) -> Result<Blackout, String> {
        let line = line.trim();
        let (dates, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let date = |s: &str| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| format!("`{s}` is not a date like 2026-12-25"))
        };
        let (from, to) = match dates.split_once("..") {
            Some((a, b)) => (date(a)?, Some(date(b)?)),
            None => (date(dates)?, None),
        };
        Ok(Blackout { from, to: to.filter(|t| *t != from), reason: reason.trim().to_string() })
    }

    pub fn line(&self) -> String {
        match self.to {
            Some(to) if to != self.from => format!("{}..{} {}", self.from, to, self.reason),
            _ => format!("{} {}", self.from, self.reason),
        }
    }
}

/// One level's settings. Every field is optional: absent inherits the level above. On the
/// wire: a room's `policy` and a location's policy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyOverrides {
    /// Replaces the inherited opening hours as a whole week.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opening_hours: Option<WeekHours>,
    /// Closures added to the inherited ones.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blackouts: Vec<Blackout>,
    /// 0: no minimum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_duration_minutes: Option<u32>,
    /// 0: no limit besides the server's `booking.max_duration_hours`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_duration_minutes: Option<u32>,
    /// How many days ahead members may book; 0: no limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub horizon_days: Option<u32>,
    /// Free minutes kept between two bookings of the room.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buffer_minutes: Option<u32>,
    /// Hours a member may book per week across all rooms (weeks run Monday to Monday in the
    /// server's `booking.default_timezone`); 0: no quota.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weekly_quota_hours: Option<u32>,
}

impl PolicyOverrides {
    pub fn is_empty(&self) -> bool {
        *self == PolicyOverrides::default()
    }
}

/// A location's defaults for the rooms in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationPolicy {
    /// The location's name as the admin last wrote it (rooms match it ignoring case).
    pub location: String,
    pub policy: PolicyOverrides,
    pub updated_at: DateTime<Utc>,
}

/// What applies to a room once the levels are combined.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Policy {
    /// None: no opening hours anywhere, bookable at any time.
    pub opening_hours: Option<WeekHours>,
    pub blackouts: Vec<Blackout>,
    pub min_duration_minutes: u32,
    pub max_duration_minutes: u32,
    pub horizon_days: u32,
    pub buffer_minutes: u32,
    pub weekly_quota_hours: u32,
}

/// The policy of a room: the global defaults, then its location's, then its own.
pub fn effective(global: &Policy, location: Option<&PolicyOverrides>, room: &PolicyOverrides) -> Policy {
    let mut p = global.clone();
    for level in location.into_iter().chain([room]) {
        if let Some(h) = &level.opening_hours {
            p.opening_hours = Some(h.clone());
        }
        p.blackouts.extend(level.blackouts.iter().cloned());
        p.min_duration_minutes = level.min_duration_minutes.unwrap_or(p.min_duration_minutes);
        p.max_duration_minutes = level.max_duration_minutes.unwrap_or(p.max_duration_minutes);
        p.horizon_days = level.horizon_days.unwrap_or(p.horizon_days);
        p.buffer_minutes = level.buffer_minutes.unwrap_or(p.buffer_minutes);
        p.weekly_quota_hours = level.weekly_quota_hours.unwrap_or(p.weekly_quota_hours);
    }
    p.blackouts.sort_by_key(|b| b.from);
    p
}

/// Checks one level's settings; fields are named under `prefix` (`policy.` for a room).
pub fn check_overrides(errors: &mut FieldErrors, prefix: &str, o: &PolicyOverrides) {
    if let Some(week) = &o.opening_hours {
        check_week(errors, &format!("{prefix}opening_hours"), week);
    }
    check_blackouts(errors, &format!("{prefix}blackouts"), &o.blackouts);
    let limit = |errors: &mut FieldErrors, name: &str, value: Option<u32>, max: u32| {
        if let Some(v) = value {
            errors.check(v <= max, &format!("{prefix}{name}"), "out_of_range", format!("must be between 0 and {max}"));
        }
    };
    limit(errors, "min_duration_minutes", o.min_duration_minutes, MAX_DURATION_MINUTES);
    limit(errors, "max_duration_minutes", o.max_duration_minutes, MAX_DURATION_MINUTES);
    limit(errors, "horizon_days", o.horizon_days, MAX_HORIZON_DAYS);
    limit(errors, "buffer_minutes", o.buffer_minutes, MAX_BUFFER_MINUTES);
    limit(errors, "weekly_quota_hours", o.weekly_quota_hours, MAX_QUOTA_HOURS);
}

/// Checks a combined policy for settings that contradict each other.
pub fn check_effective(errors: &mut FieldErrors, prefix: &str, p: &Policy) {
    if p.max_duration_minutes > 0 && p.min_duration_minutes > p.max_duration_minutes {
        errors.add(
            format!("{prefix}min_duration_minutes"),
            "min_above_max",
            format!("the minimum duration is longer than the maximum ({} minutes)", p.max_duration_minutes),
        );
    }
}

fn check_week(errors: &mut FieldErrors, field: &str, week: &WeekHours) {
    for (i, day) in week.days().into_iter().enumerate() {
        let name = format!("{field}.{}", DAY_KEYS[i]);
        errors.check(
            day.len() <= MAX_INTERVALS_PER_DAY,
            &name,
            "too_many",
            format!("at most {MAX_INTERVALS_PER_DAY} intervals a day"),
        );
        if day.windows(2).any(|w| w[1].open < w[0].close) {
            errors.add(name, "intervals_overlap", "intervals must be in order and must not overlap");
        }
    }
}

fn check_blackouts(errors: &mut FieldErrors, field: &str, list: &[Blackout]) {
    errors.check(list.len() <= MAX_BLACKOUTS, field, "too_many", format!("at most {MAX_BLACKOUTS} blackouts"));
    for (i, b) in list.iter().enumerate() {
        let name = format!("{field}[{i}]");
        if b.last() < b.from {
            errors.add(format!("{name}.to"), "end_before_start", "must not be before `from`");
        } else if (b.last() - b.from).num_days() >= MAX_BLACKOUT_DAYS {
            errors.add(
                format!("{name}.to"),
                "out_of_range",
                format!("a blackout lasts at most {MAX_BLACKOUT_DAYS} days"),
            );
        }
        errors.text(&format!("{name}.reason"), &b.reason, 1, 200);
    }
}

/// The instant a local wall-clock time names. In a DST gap (02:30 on a spring-forward night)
/// that is the moment the clocks jump to; when a time happens twice, the first of the two.
pub fn local_instant(tz: Tz, date: NaiveDate, minutes: u32) -> DateTime<Utc> {
    let naive = date.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(minutes));
    let mut probe = naive;
    // Gaps are at most a few hours long; step forward until the clock exists again.
    for _ in 0..8 {
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => return t.with_timezone(&Utc),
            LocalResult::None => probe += Duration::minutes(30),
        }
    }
    naive.and_utc()
}

/// The blackout covering local `date`, if any.
pub fn blackout_on(p: &Policy, date: NaiveDate) -> Option<&Blackout> {
    p.blackouts.iter().find(|b| b.covers(date))
}

/// When a room is open in `[from, to)`: its opening hours (the whole window when it has none),
/// minus blackout days, as sorted disjoint instants. Touching intervals are joined, so hours
/// `22:00-24:00` on Monday and `00:00-06:00` on Tuesday make one night.
pub fn open_intervals(
    tz: Tz,
    p: &Policy,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut out: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    if from >= to {
        return out;
    }
    let all_day = [Interval { open: 0, close: 1440 }];
    let last = to.with_timezone(&tz).date_naive();
    let mut date = from.with_timezone(&tz).date_naive().pred_opt().unwrap_or(NaiveDate::MIN);
    while date <= last {
        if blackout_on(p, date).is_none() {
            let day = match &p.opening_hours {
                Some(week) => week.day(date.weekday()),
                None => &all_day,
            };
            for i in day {
                let start = local_instant(tz, date, i.open.into()).max(from);
                let end = local_instant(tz, date, i.close.into()).min(to);
                if start >= end {
                    continue;
                }
                match out.last_mut() {
                    Some(prev) if prev.1 >= start => prev.1 = prev.1.max(end),
                    _ => out.push((start, end)),
                }
            }
        }
        match date.succ_opt() {
            Some(next) => date = next,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Madrid;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn office() -> WeekHours {
        WeekHours::parse_spec("mon-thu 08:00-18:00; fri 08:00-15:00").unwrap()
    }

    #[test]
    fn intervals_parse_and_print() {
        assert_eq!("08:00-18:00".parse::<Interval>().unwrap(), Interval { open: 480, close: 1080 });
        assert_eq!("0:00-24:00".parse::<Interval>().unwrap().to_string(), "00:00-24:00");
        for bad in ["18:00-08:00", "8-18", "08:00-24:30", "08:60-09:00", "10:00-10:00", ""] {
            assert!(bad.parse::<Interval>().is_err(), "{bad}");
        }
        let json = serde_json::to_string(&Interval { open: 480, close: 720 }).unwrap();
        assert_eq!(json, "\"08:00-12:00\"");
    }

    #[test]
    fn week_specs() {
        let w = WeekHours::parse_spec("mon-fri 08:00-12:00, 13:00-18:00; sat 09:00-14:00").unwrap();
        assert_eq!(w.day_text(0), "08:00-12:00, 13:00-18:00");
        assert_eq!(w.day_text(5), "09:00-14:00");
        assert!(w.sun.is_empty());
        assert_eq!(WeekHours::parse_spec("").unwrap(), WeekHours::default());
        assert!(WeekHours::parse_spec("fri-mon 08:00-10:00").is_err());
        assert!(WeekHours::parse_spec("funday 08:00-10:00").is_err());
        assert!(WeekHours::parse_spec("mon").is_err());
    }

    #[test]
    fn blackout_lines() {
        let b = Blackout::parse_line("2026-12-24..2026-12-26 Christmas").unwrap();
        assert_eq!((b.from, b.last(), b.reason.as_str()), (d("2026-12-24"), d("2026-12-26"), "Christmas"));
        assert!(b.covers(d("2026-12-25")) && !b.covers(d("2026-12-27")));
        assert_eq!(Blackout::parse_line(&b.line()).unwrap(), b);
        assert_eq!(Blackout::parse_line("2027-01-01 New Year's Day").unwrap().to, None);
        assert!(Blackout::parse_line("25/12/2026 Christmas").is_err());
    }

    #[test]
    fn levels_inherit_and_blackouts_add_up() {
        let global = Policy { max_duration_minutes: 240, buffer_minutes: 5, ..Policy::default() };
        let location = PolicyOverrides {
            opening_hours: Some(office()),
            blackouts: vec![Blackout { from: d("2026-12-25"), to: None, reason: "Christmas Day".into() }],
            buffer_minutes: Some(10),
            ..PolicyOverrides::default()
        };
        let room = PolicyOverrides {
            blackouts: vec![Blackout { from: d("2026-12-07"), to: None, reason: "Painting".into() }],
            buffer_minutes: Some(0),
            horizon_days: Some(30),
            ..PolicyOverrides::default()
        };
        let p = effective(&global, Some(&location), &room);
        assert_eq!(p.opening_hours, Some(office()));
        assert_eq!(p.max_duration_minutes, 240);
        assert_eq!(p.buffer_minutes, 0, "an explicit 0 overrides");
        assert_eq!(p.horizon_days, 30);
        let reasons: Vec<_> = p.blackouts.iter().map(|b| b.reason.as_str()).collect();
        assert_eq!(reasons, ["Painting", "Christmas Day"]);
        // Without a location policy the room inherits the global defaults directly.
        let p = effective(&global, None, &PolicyOverrides::default());
        assert_eq!(p, global);
        // A room's own hours replace the location's.
        let own = PolicyOverrides { opening_hours: Some(WeekHours::default()), ..PolicyOverrides::default() };
        assert_eq!(effective(&global, Some(&location), &own).opening_hours, Some(WeekHours::default()));
    }

    #[test]
    fn overrides_are_checked() {
        let mut e = FieldErrors::new();
        let mut week = office();
        week.mon = WeekHours::parse_day("12:00-14:00, 08:00-13:00").unwrap();
        let o = PolicyOverrides {
            opening_hours: Some(week),
            blackouts: vec![
                Blackout { from: d("2026-12-25"), to: Some(d("2026-12-20")), reason: "x".into() },
                Blackout { from: d("2026-12-25"), to: None, reason: " ".into() },
            ],
            buffer_minutes: Some(MAX_BUFFER_MINUTES + 1),
            ..PolicyOverrides::default()
        };
        check_overrides(&mut e, "policy.", &o);
        let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "policy.opening_hours.mon",
                "policy.blackouts[0].to",
                "policy.blackouts[1].reason",
                "policy.buffer_minutes"
            ]
        );
        let mut e = FieldErrors::new();
        check_effective(
            &mut e,
            "",
            &Policy { min_duration_minutes: 90, max_duration_minutes: 60, ..Policy::default() },
        );
        assert_eq!(e.0[0].code, "min_above_max");
    }

    #[test]
    fn open_intervals_follow_hours_blackouts_and_dst() {
        let p = Policy {
            opening_hours: Some(office()),
            blackouts: vec![Blackout { from: d("2026-06-03"), to: None, reason: "Closed".into() }],
            ..Policy::default()
        };
        // Monday 1 June to Monday 8 June 2026 in Madrid (UTC+2): Wednesday is a blackout.
        let v = open_intervals(Madrid, &p, utc("2026-06-01T00:00:00+02:00"), utc("2026-06-08T00:00:00+02:00"));
        let hours: i64 = v.iter().map(|(s, e)| (*e - *s).num_hours()).sum();
        assert_eq!(hours, 10 + 10 + 10 + 7);
        assert_eq!(v[0], (utc("2026-06-01T06:00:00Z"), utc("2026-06-01T16:00:00Z")));
        // No opening hours: open around the clock, and a DST Sunday has 23 hours.
        let always = Policy::default();
        let v = open_intervals(Madrid, &always, utc("2026-03-29T00:00:00+01:00"), utc("2026-03-30T00:00:00+02:00"));
        assert_eq!(v.len(), 1);
        assert_eq!((v[0].1 - v[0].0).num_hours(), 23);
        // Overnight hours written as two days join into one interval.
        let night = Policy {
            opening_hours: Some(WeekHours::parse_spec("mon 22:00-24:00; tue 00:00-06:00").unwrap()),
            ..Policy::default()
        };
        let v = open_intervals(Madrid, &night, utc("2026-06-01T00:00:00+02:00"), utc("2026-06-03T00:00:00+02:00"));
        assert_eq!(v, vec![(utc("2026-06-01T22:00:00+02:00"), utc("2026-06-02T06:00:00+02:00"))]);
    }
}
