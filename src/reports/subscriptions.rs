//! Scheduled reports: a manager subscribes to a weekly or monthly report of some rooms, and the
//! scheduler's `reports` job e-mails it with the PDF and the workbook attached.
//!
//! A subscription remembers the last period it was sent for. The job stages the e-mail and moves
//! that mark in one transaction, so a period is staged exactly once however often the job runs
//! (or catches up after downtime); sending and retrying is the e-mail outbox's work, which renders
//! the attachments when it sends.

use super::{ReportError, Scope, hours::local_instant};
use crate::access::{Action, Actor};
use crate::store::Tx;
use crate::types::{RoomId, SubscriptionId};
use crate::validation::FieldErrors;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

pub use crate::model::report::{Period, Subscription};

/// A report period: `[from, to)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// The last complete period before `now`, in the reports' zone: last week (Monday 00:00 to
/// Monday 00:00) or last month. Local midnights, so a DST week is 167 or 169 hours long.
pub fn last_complete(period: Period, now: DateTime<Utc>, zone: Tz) -> Window {
    let today = now.with_timezone(&zone).date_naive();
    let (from, to) = match period {
        Period::Weekly => {
            let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
            (monday - Duration::days(7), monday)
        }
        Period::Monthly => {
            let first = today.with_day(1).unwrap_or(today);
            (first_of_previous_month(first), first)
        }
    };
    Window { from: local_instant(zone, from, 0), to: local_instant(zone, to, 0) }
}

fn first_of_previous_month(first: NaiveDate) -> NaiveDate {
    let (y, m) = if first.month() == 1 { (first.year() - 1, 12) } else { (first.year(), first.month() - 1) };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(first)
}

/// The period to send now, if any: the last complete one, unless it was already sent or it ended
/// before the subscription existed (subscribing on a Wednesday sends next Monday, not at once).
pub fn due(s: &Subscription, now: DateTime<Utc>, zone: Tz) -> Option<Window> {
    let w = last_complete(s.period, now, zone);
    (w.to > s.created_at && s.last_period.is_none_or(|last| last < w.from)).then_some(w)
}

impl Subscription {
    pub fn scope(&self, w: Window) -> Scope {
        Scope { from: w.from, to: w.to, room_id: self.room_id, location: self.location.clone() }
    }
}

/// What a manager asks for.
pub struct NewSubscription {
    pub period: Period,
    pub room_id: Option<RoomId>,
    pub location: Option<String>,
}

/// Who may subscribe, see and remove: those who may read reports, each their own (admins all).
pub fn may_see(actor: &Actor, s: &Subscription) -> bool {
    actor.role.may(Action::ManageUsers) || s.user_id == actor.id
}

pub fn validate(n: &NewSubscription) -> Result<(), ReportError> {
    let mut errors = FieldErrors::new();
    if let Some(l) = &n.location {
        errors.check(l.chars().count() <= 200, "location", "too_long", "must be at most 200 characters");
    }
    errors.into_result().map_err(ReportError::Invalid)
}

impl super::Reports {
    /// The caller's subscriptions (an admin's: everyone's).
    pub fn subscriptions(&self, actor: &Actor) -> Result<Vec<Subscription>, ReportError> {
        actor.require(Action::ReadReports)?;
        let mut all = self.store.view()?.report_subscriptions()?;
        all.retain(|s| may_see(actor, s));
        Ok(all)
    }

    pub async fn subscribe(&self, actor: &Actor, new: NewSubscription) -> Result<Subscription, ReportError> {
        actor.require(Action::ReadReports)?;
        validate(&new)?;
        let subscription = Subscription {
            id: SubscriptionId::new(),
            user_id: actor.id,
            period: new.period,
            room_id: new.room_id,
            location: new.location.map(|l| l.trim().to_string()).filter(|l| !l.is_empty()),
            created_at: crate::clock::now(),
            last_period: None,
        };
        let saved = subscription.clone();
        self.store
            .write(move |tx: &mut Tx| {
                if let Some(room) = saved.room_id
                    && tx.room(room)?.is_none()
                {
                    return Err(ReportError::Invalid(FieldErrors::one("room_id", "not_found", "no such room")));
                }
                tx.put_report_subscription(saved);
                Ok(())
            })
            .await?;
        Ok(subscription)
    }

    /// Ends a subscription; `false` when there is none the caller may see.
    pub async fn unsubscribe(&self, actor: &Actor, id: SubscriptionId) -> Result<bool, ReportError> {
        actor.require(Action::ReadReports)?;
        let actor = actor.clone();
        self.store
            .write(move |tx: &mut Tx| {
                let found = tx.report_subscription(id)?.filter(|s| may_see(&actor, s));
                if found.is_some() {
                    tx.delete_report_subscription(id);
                }
                Ok(found.is_some())
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::UserId;
    use chrono::TimeZone;

    fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    #[test]
    fn last_week_is_monday_to_monday_in_the_zone_even_across_dst() {
        let madrid: Tz = "Europe/Madrid".parse().unwrap();
        // Wednesday 1 April 2026; the week before held the spring change (29 March).
        let w = last_complete(Period::Weekly, utc(2026, 4, 1, 12), madrid);
        assert_eq!(w.from, utc(2026, 3, 22, 23)); // Mon 23 March 00:00 CET
        assert_eq!(w.to, utc(2026, 3, 29, 22)); // Mon 30 March 00:00 CEST
        assert_eq!((w.to - w.from).num_hours(), 167);
        // Monday 00:30 local is already in the new week.
        let w = last_complete(Period::Weekly, utc(2026, 3, 29, 22) + Duration::minutes(30), madrid);
        assert_eq!(w.to, utc(2026, 3, 29, 22));
    }

    #[test]
    fn last_month_wraps_the_year() {
        let w = last_complete(Period::Monthly, utc(2027, 1, 15, 9), Tz::UTC);
        assert_eq!((w.from, w.to), (utc(2026, 12, 1, 0), utc(2027, 1, 1, 0)));
        let w = last_complete(Period::Monthly, utc(2026, 3, 1, 0), Tz::UTC);
        assert_eq!((w.from, w.to), (utc(2026, 2, 1, 0), utc(2026, 3, 1, 0)));
    }

    #[test]
    fn a_period_is_due_once_and_only_after_subscribing() {
        let mut s = Subscription {
            id: SubscriptionId::new(),
            user_id: UserId::new(),
            period: Period::Weekly,
            room_id: None,
            location: None,
            created_at: utc(2026, 11, 25, 10), // a Wednesday
            last_period: None,
        };
        assert_eq!(due(&s, utc(2026, 11, 27, 10), Tz::UTC), None, "the week it was made in is not over");
        let w = due(&s, utc(2026, 11, 30, 7), Tz::UTC).expect("Monday: last week is due");
        assert_eq!((w.from, w.to), (utc(2026, 11, 23, 0), utc(2026, 11, 30, 0)));
        s.last_period = Some(w.from);
        assert_eq!(due(&s, utc(2026, 12, 2, 7), Tz::UTC), None, "sent already");
        let next = due(&s, utc(2026, 12, 8, 7), Tz::UTC).expect("a week later");
        assert_eq!(next.from, utc(2026, 11, 30, 0));
    }
}
