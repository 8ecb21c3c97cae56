//! Room policies applied to bookings. The rules that depend only on the time asked for (opening
//! hours, blackouts, durations, horizon) are pure ([`check_times`]); buffers and the weekly quota
//! depend on the other reservations and are checked inside the writer's transaction
//! ([`check_buffer`], [`Quota`]), so concurrent requests cannot slip past them.

use super::ReservationError;
use crate::access::{Actor, exempt_from_booking_limits};
use crate::model::policy::{Policy, blackout_on, hhmm, open_intervals};
use crate::model::reservation::Reservation;
use crate::model::room::Room;
use crate::store::{ListFilter, StoreError, View};
use crate::types::{ReservationId, RoomId, TimeRange, UserId};
use crate::validation::{FieldError, FieldErrors};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use std::collections::HashMap;

const DAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_NAMES: [&str; 7] = ["Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays"];

fn day_key(wd: Weekday) -> &'static str {
    DAY_KEYS[wd.num_days_from_monday() as usize]
}

fn day_name(wd: Weekday) -> &'static str {
    DAY_NAMES[wd.num_days_from_monday() as usize]
}

/// The rules a booking of `range` in a room with policy `p` (zone `tz`) breaks, if any.
/// `exempt`: the booker is not held to the horizon (see `access::exempt_from_booking_limits`).
pub fn check_times(p: &Policy, tz: Tz, range: TimeRange, now: DateTime<Utc>, exempt: bool) -> FieldErrors {
    let mut e = FieldErrors::new();
    if range.end <= range.start {
        return e;
    }
    let minutes = range.duration().num_minutes();
    if p.min_duration_minutes > 0 && minutes < i64::from(p.min_duration_minutes) {
        let min = p.min_duration_minutes.to_string();
        e.with_params(
            "end",
            "too_short_duration",
            format!("a booking of this room lasts at least {min} minutes"),
            &[("variant", "policy"), ("minutes", &min)],
        );
    }
    if p.max_duration_minutes > 0 && minutes > i64::from(p.max_duration_minutes) {
        let max = p.max_duration_minutes.to_string();
        e.with_params(
            "end",
            "too_long_duration",
            format!("a booking of this room lasts at most {max} minutes"),
            &[("variant", "policy"), ("minutes", &max)],
        );
    }
    if !exempt && p.horizon_days > 0 && range.start > now + Duration::days(p.horizon_days.into()) {
        let days = p.horizon_days.to_string();
        e.with_params(
            "start",
            "beyond_booking_horizon",
            format!("this room can be booked at most {days} days ahead"),
            &[("days", &days)],
        );
    }
    if let Some((date, reason)) = first_blackout(p, tz, range) {
        let date = date.to_string();
        e.with_params(
            "start",
            "blackout",
            format!("Closed: {reason} ({date})"),
            &[("reason", &reason), ("date", &date)],
        );
    } else {
        check_open(&mut e, p, tz, range);
    }
    e
}

/// The first local date of `range` that is a blackout day, and why.
fn first_blackout(p: &Policy, tz: Tz, range: TimeRange) -> Option<(NaiveDate, String)> {
    if p.blackouts.is_empty() {
        return None;
    }
    let first = range.start.with_timezone(&tz).date_naive();
    // The day the last instant of the booking falls on (an end at midnight is the day before).
    let last = (range.end - Duration::microseconds(1)).with_timezone(&tz).date_naive();
    first.iter_days().take_while(|d| *d <= last).find_map(|d| blackout_on(p, d).map(|b| (d, b.reason.clone())))
}

/// Opening hours: the booking must lie within one stretch of open time.
fn check_open(e: &mut FieldErrors, p: &Policy, tz: Tz, range: TimeRange) {
    let Some(week) = &p.opening_hours else { return };
    let open = open_intervals(tz, p, range.start, range.end);
    if open.first().is_some_and(|(s, end)| *s == range.start && *end == range.end) {
        return;
    }
    let local = range.start.with_timezone(&tz);
    let wd = local.weekday();
    let minute = (local.hour() * 60 + local.minute()) as u16;
    if open.first().is_some_and(|(s, _)| *s == range.start) {
        // Open at the start, but it closes before the end.
        let close = open[0].1.with_timezone(&tz);
        let (time, day) = if close.hour() == 0 && close.minute() == 0 {
            ("24:00".to_string(), close.weekday().pred())
        } else {
            (close.format("%H:%M").to_string(), close.weekday())
        };
        e.with_params(
            "end",
            "outside_opening_hours",
            format!("The room closes at {time} on {}", day_name(day)),
            &[("variant", "closes"), ("time", &time), ("weekday", day_key(day))],
        );
        return;
    }
    let today = week.day(wd);
    if today.is_empty() {
        e.with_params(
            "start",
            "outside_opening_hours",
            format!("The room is closed on {}", day_name(wd)),
            &[("variant", "closed"), ("weekday", day_key(wd))],
        );
    } else if let Some(next) = today.iter().find(|i| i.open > minute) {
        let time = hhmm(next.open);
        e.with_params(
            "start",
            "outside_opening_hours",
            format!("The room opens at {time} on {}", day_name(wd)),
            &[("variant", "opens"), ("time", &time), ("weekday", day_key(wd))],
        );
    } else {
        let time = hhmm(today.last().map(|i| i.close).unwrap_or(0));
        e.with_params(
            "start",
            "outside_opening_hours",
            format!("The room closes at {time} on {}", day_name(wd)),
            &[("variant", "closes"), ("time", &time), ("weekday", day_key(wd))],
        );
    }
}

/// Live reservations of `room`, other than `except`, closer to `range` than the room's buffer
/// (overlapping ones are conflicts, checked before).
pub fn check_buffer(
    view: &View,
    room: RoomId,
    range: TimeRange,
    buffer_minutes: u32,
    except: &[ReservationId],
) -> Result<Vec<Reservation>, StoreError> {
    if buffer_minutes == 0 {
        return Ok(Vec::new());
    }
    let buffer = Duration::minutes(buffer_minutes.into());
    let wide = TimeRange::new(range.start - buffer, range.end + buffer);
    Ok(view.conflicts(room, wide, None)?.into_iter().filter(|r| !except.contains(&r.id)).collect())
}

/// Whether two ranges of one room are closer than the buffer (touching counts as too close
/// whenever there is a buffer).
pub fn within_buffer(a: TimeRange, b: TimeRange, buffer_minutes: u32) -> bool {
    let buffer = Duration::minutes(buffer_minutes.into());
    a.start < b.end + buffer && b.start < a.end + buffer
}

/// The weekly quota of one user, as hours are added within one write transaction: what is
/// stored (minus reservations being replaced) plus what this command has accepted so far.
/// Weeks run from Monday 00:00 to Monday 00:00 in the organisation's zone.
pub struct Quota {
    owner: UserId,
    limit_hours: u32,
    zone: Tz,
    except: Vec<ReservationId>,
    /// Seconds booked per week (keyed by the week's Monday), loaded on first use.
    weeks: HashMap<NaiveDate, i64>,
}

impl Quota {
    pub fn new(owner: UserId, limit_hours: u32, zone: Tz, except: Vec<ReservationId>) -> Self {
        Quota { owner, limit_hours, zone, except, weeks: HashMap::new() }
    }

    /// Counts `range` against the quota, or says why it does not fit (and counts nothing).
    pub fn add(&mut self, view: &View, range: TimeRange) -> Result<Result<(), FieldErrors>, StoreError> {
        if self.limit_hours == 0 {
            return Ok(Ok(()));
        }
        let mut parts = Vec::new();
        for (monday, week) in weeks_of(self.zone, range) {
            let seconds = overlap(range, week);
            let booked = match self.weeks.get(&monday) {
                Some(s) => *s,
                None => self.load(view, week)?,
            };
            let total = booked + seconds;
            if total > i64::from(self.limit_hours) * 3600 {
                let (week, hours, limit) = (monday.to_string(), format_hours(total), self.limit_hours.to_string());
                return Ok(Err(FieldErrors::one_with(
                    "start",
                    "quota_exceeded",
                    format!(
                        "this would bring the bookings of the week of {week} to {hours} hours; the limit is {limit} hours a week"
                    ),
                    &[("week", &week), ("hours", &hours), ("limit", &limit)],
                )));
            }
            parts.push((monday, total));
        }
        self.weeks.extend(parts);
        Ok(Ok(()))
    }

    fn load(&self, view: &View, week: TimeRange) -> Result<i64, StoreError> {
        let filter =
            ListFilter { user: Some(self.owner), window: Some(week), limit: usize::MAX, ..ListFilter::default() };
        Ok(view
            .list(&filter)?
            .iter()
            .filter(|r| r.status.is_live() && !self.except.contains(&r.id))
            .map(|r| overlap(r.range(), week))
            .sum())
    }
}

fn overlap(a: TimeRange, b: TimeRange) -> i64 {
    (a.end.min(b.end) - a.start.max(b.start)).num_seconds().max(0)
}

fn format_hours(seconds: i64) -> String {
    let hours = seconds as f64 / 3600.0;
    if seconds % 3600 == 0 { format!("{}", seconds / 3600) } else { format!("{hours:.1}") }
}

/// The weeks (Monday's date, and the week as instants) `range` touches in `zone`.
pub fn weeks_of(zone: Tz, range: TimeRange) -> Vec<(NaiveDate, TimeRange)> {
    let monday_of = |t: DateTime<Utc>| {
        let d = t.with_timezone(&zone).date_naive();
        d - Duration::days(d.weekday().num_days_from_monday().into())
    };
    let mut out = Vec::new();
    let mut monday = monday_of(range.start);
    loop {
        let next = monday + Duration::days(7);
        let week = TimeRange::new(
            crate::model::policy::local_instant(zone, monday, 0),
            crate::model::policy::local_instant(zone, next, 0),
        );
        if week.start >= range.end {
            break;
        }
        out.push((monday, week));
        monday = next;
    }
    out
}

/// The global policy defaults and the zone quota weeks are counted in.
#[derive(Clone, Debug)]
pub struct Policies {
    pub global: Policy,
    /// `booking.default_timezone`: one week boundary for everyone, whatever rooms they book.
    pub week_zone: Tz,
}

/// Why a booking (or one occurrence of a series) breaks its room's policy.
#[derive(Debug)]
pub enum Violation {
    /// Opening hours, blackouts, durations, horizon or quota: field errors naming the reason.
    Rules(FieldErrors),
    /// Too close to these reservations for the room's buffer.
    Buffer { minutes: u32, neighbours: Vec<Reservation> },
}

impl From<Violation> for ReservationError {
    fn from(v: Violation) -> Self {
        match v {
            Violation::Rules(e) => ReservationError::Invalid(e),
            Violation::Buffer { minutes, neighbours } => ReservationError::BufferClash { minutes, neighbours },
        }
    }
}

impl Violation {
    /// The reasons as field errors (a buffer clash as `buffer_clash` on `start`).
    pub fn reasons(&self) -> Vec<FieldError> {
        match self {
            Violation::Rules(e) => e.0.clone(),
            Violation::Buffer { minutes, .. } => buffer_error(*minutes).0,
        }
    }
}

pub fn buffer_error(minutes: u32) -> FieldErrors {
    let m = minutes.to_string();
    FieldErrors::one_with(
        "start",
        "buffer_clash",
        format!("this room keeps {m} minutes free between bookings"),
        &[("minutes", &m)],
    )
}

/// One command's view of a room's policy: what applies, and whether the actor is exempt from
/// the horizon and the quota.
pub struct Guard {
    pub policy: Policy,
    tz: Tz,
    exempt: bool,
    now: DateTime<Utc>,
}

impl Guard {
    pub fn new(
        view: &View,
        global: &Policy,
        actor: &Actor,
        room: &Room,
        now: DateTime<Utc>,
    ) -> Result<Guard, ReservationError> {
        let policy = view.room_policy(global, room)?;
        let exempt = exempt_from_booking_limits(super::checks::rights(view, actor, room)?);
        Ok(Guard { policy, tz: room.timezone.parse().unwrap_or(Tz::UTC), exempt, now })
    }

    /// The pure rules alone (opening hours, blackouts, durations, horizon).
    pub fn times(&self, range: TimeRange) -> FieldErrors {
        check_times(&self.policy, self.tz, range, self.now, self.exempt)
    }

    /// A quota counter for `owner` under this policy (none for exempt actors).
    pub fn quota(&self, owner: UserId, zone: Tz, except: Vec<ReservationId>) -> Quota {
        let limit = if self.exempt { 0 } else { self.policy.weekly_quota_hours };
        Quota::new(owner, limit, zone, except)
    }

    /// Holds `range` in `room` to the policy: the pure rules, then the buffer against the stored
    /// reservations (other than `except`) and the ranges `accepted` earlier in this command,
    /// then the quota (counting `range` if it passes everything).
    pub fn check(
        &self,
        view: &View,
        room: RoomId,
        range: TimeRange,
        except: &[ReservationId],
        accepted: &[TimeRange],
        quota: &mut Quota,
    ) -> Result<Result<(), Violation>, StoreError> {
        let errors = self.times(range);
        if !errors.is_empty() {
            return Ok(Err(Violation::Rules(errors)));
        }
        let minutes = self.policy.buffer_minutes;
        let neighbours = check_buffer(view, room, range, minutes, except)?;
        if !neighbours.is_empty() || (minutes > 0 && accepted.iter().any(|a| within_buffer(*a, range, minutes))) {
            return Ok(Err(Violation::Buffer { minutes, neighbours }));
        }
        Ok(quota.add(view, range)?.map_err(Violation::Rules))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::policy::{Blackout, WeekHours};
    use chrono_tz::Europe::Madrid;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn r(a: &str, b: &str) -> TimeRange {
        TimeRange::new(utc(a), utc(b))
    }

    fn policy() -> Policy {
        Policy {
            opening_hours: Some(WeekHours::parse_spec("mon-thu 08:00-18:00; fri 08:00-15:00").unwrap()),
            blackouts: vec![Blackout { from: "2026-12-25".parse().unwrap(), to: None, reason: "Christmas Day".into() }],
            min_duration_minutes: 15,
            max_duration_minutes: 240,
            horizon_days: 30,
            ..Policy::default()
        }
    }

    const NOW: &str = "2026-11-30T09:00:00+01:00";

    fn one(range: TimeRange) -> (String, String, String) {
        let e = check_times(&policy(), Madrid, range, utc(NOW), false);
        assert_eq!(e.0.len(), 1, "{e}");
        let f = &e.0[0];
        (f.field.clone(), f.code.clone(), f.message.clone())
    }

    #[test]
    fn inside_the_rules_is_fine() {
        let ok = r("2026-12-01T09:00:00+01:00", "2026-12-01T10:00:00+01:00");
        assert!(check_times(&policy(), Madrid, ok, utc(NOW), false).is_empty());
        // Exactly the whole Friday.
        let friday = r("2026-12-04T08:00:00+01:00", "2026-12-04T12:00:00+01:00");
        assert!(check_times(&policy(), Madrid, friday, utc(NOW), false).is_empty());
    }

    #[test]
    fn each_rule_names_its_field_and_reason() {
        // Friday 4 December 2026: closes at 15:00.
        let late = one(r("2026-12-04T14:00:00+01:00", "2026-12-04T16:00:00+01:00"));
        assert_eq!(late, ("end".into(), "outside_opening_hours".into(), "The room closes at 15:00 on Fridays".into()));
        let early = one(r("2026-12-01T07:00:00+01:00", "2026-12-01T09:00:00+01:00"));
        assert_eq!(early.2, "The room opens at 08:00 on Tuesdays");
        let evening = one(r("2026-12-01T19:00:00+01:00", "2026-12-01T20:00:00+01:00"));
        assert_eq!((evening.0.as_str(), evening.2.as_str()), ("start", "The room closes at 18:00 on Tuesdays"));
        let sunday = one(r("2026-12-06T10:00:00+01:00", "2026-12-06T11:00:00+01:00"));
        assert_eq!(sunday.2, "The room is closed on Sundays");
        let christmas = one(r("2026-12-25T10:00:00+01:00", "2026-12-25T11:00:00+01:00"));
        assert_eq!((christmas.1.as_str(), christmas.2.as_str()), ("blackout", "Closed: Christmas Day (2026-12-25)"));
        let short = one(r("2026-12-01T10:00:00+01:00", "2026-12-01T10:10:00+01:00"));
        assert_eq!((short.0.as_str(), short.1.as_str()), ("end", "too_short_duration"));
        let long = one(r("2026-12-01T08:00:00+01:00", "2026-12-01T13:00:00+01:00"));
        assert_eq!(long.1, "too_long_duration");
        let far = one(r("2027-01-05T10:00:00+01:00", "2027-01-05T11:00:00+01:00"));
        assert_eq!((far.0.as_str(), far.1.as_str()), ("start", "beyond_booking_horizon"));
        // Those who manage the room are not held to the horizon.
        let far = r("2027-01-05T10:00:00+01:00", "2027-01-05T11:00:00+01:00");
        assert!(check_times(&policy(), Madrid, far, utc(NOW), true).is_empty());
    }

    #[test]
    fn hours_follow_the_local_clock_across_dst() {
        // Monday 30 March 2026 is the first day of summer time in Madrid: 08:00 local is 06:00 UTC.
        let p = policy();
        let ok = r("2026-03-30T06:00:00Z", "2026-03-30T07:00:00Z");
        assert!(check_times(&p, Madrid, ok, utc("2026-03-20T00:00:00Z"), false).is_empty());
        let early = r("2026-03-30T05:30:00Z", "2026-03-30T07:00:00Z");
        assert!(!check_times(&p, Madrid, early, utc("2026-03-20T00:00:00Z"), false).is_empty());
    }

    #[test]
    fn buffers_and_weeks() {
        let a = r("2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z");
        let b = r("2026-12-01T10:10:00Z", "2026-12-01T11:00:00Z");
        assert!(within_buffer(a, b, 15));
        assert!(!within_buffer(a, b, 10));
        // A booking from Sunday evening to Monday morning (Madrid) touches two weeks.
        let w = weeks_of(Madrid, r("2026-12-06T22:00:00+01:00", "2026-12-07T02:00:00+01:00"));
        let mondays: Vec<String> = w.iter().map(|(d, _)| d.to_string()).collect();
        assert_eq!(mondays, ["2026-11-30", "2026-12-07"]);
        assert_eq!(w[1].1.start, utc("2026-12-07T00:00:00+01:00"));
        assert_eq!(format_hours(5400), "1.5");
        assert_eq!(format_hours(7200), "2");
    }
}
