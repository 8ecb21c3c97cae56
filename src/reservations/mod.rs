//! Reservations: booking, rescheduling and cancelling, with the guarantee that two live
//! reservations of one room never overlap. The conflict check and the write happen in the same
//! write transaction (see `store::writer`), so no interleaving of requests can slip past it.

mod approval;
pub mod availability;
pub mod calendar;
mod checkin;
mod checks;
pub mod dayplan;
pub mod error;
pub mod feed;
pub mod fields;
pub mod policy;
pub mod recurrence;
pub mod rules;
pub mod series;
pub mod walkup;

pub use approval::Decision;
pub use checkin::CheckInWindow;
pub use checks::rights;
pub use error::ReservationError;

use crate::access::{Action, Actor};
use crate::clock;
use crate::config::BookingConfig;
use crate::events::{EventKind, NewEvent};
use crate::model::field::{self, Answers};
use crate::model::reservation::{CalendarName, Reservation, Status};
use crate::model::room::Room;
use crate::store::{ListFilter, Store, Tx};
use crate::types::{ReservationId, RoomId, TimeRange, UserId, from_micros, micros};
use crate::validation::FieldErrors;
use checks::{check_may_manage, check_owner, check_permission, check_room, check_text, new_reservation};
use chrono::{DateTime, Duration, Utc};
use rules::Limits;
use std::collections::BTreeMap;
use std::sync::Arc;

type Result<T> = std::result::Result<T, ReservationError>;

#[derive(Clone)]
pub struct Reservations {
    store: Store,
    limits: Limits,
    series: series::SeriesLimits,
    checkin: CheckInWindow,
    policies: policy::Policies,
}

pub struct NewReservation {
    pub room_id: RoomId,
    pub title: String,
    pub description: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub attendees: Vec<String>,
    /// Book on behalf of someone else (managers and admins).
    pub user_id: Option<UserId>,
    /// Answers to the booking fields, as sent (judged against the fields defined now). `None`
    /// for bookings made where nobody can answer them (a waitlist promotion, a calendar client):
    /// those skip the required check, as a room mailbox cannot ask a question.
    pub fields: Option<BTreeMap<String, serde_json::Value>>,
}

#[derive(Default)]
pub struct ReservationPatch {
    pub room_id: Option<RoomId>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub attendees: Option<Vec<String>>,
    /// Replaces every answer to the booking fields (judged as for a new booking).
    pub fields: Option<BTreeMap<String, serde_json::Value>>,
}

pub struct ListQuery {
    pub room: Option<RoomId>,
    pub user: Option<UserId>,
    pub mine: bool,
    /// Reservations ending after `from` and starting before `to`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub include_cancelled: bool,
    pub cursor: Option<String>,
    pub limit: usize,
}

pub struct Page {
    pub items: Vec<Reservation>,
    /// Pass back as `cursor` for the next page; None on the last page.
    pub next_cursor: Option<String>,
}

pub struct RoomAvailability {
    pub room: Room,
    pub window: TimeRange,
    pub busy: Vec<(ReservationId, TimeRange)>,
    pub free: Vec<TimeRange>,
}

pub const MAX_PAGE: usize = 500;
const MAX_ATTENDEES: usize = 200;

/// The field checks of a new booking that need no store (times against `now`, the text
/// fields): what a request body meets before anything is read or written.
pub fn check_new_fields(input: &NewReservation, now: DateTime<Utc>, limits: &Limits) -> FieldErrors {
    let range = TimeRange::new(input.start, input.end);
    let mut errors = rules::check_new(range, now, limits);
    errors.check(
        range.start < rules::far_future(now),
        "start",
        "too_far",
        format!("is more than {} years ahead", rules::MAX_YEARS_AHEAD),
    );
    check_text(&mut errors, Some(&input.title), input.description.as_deref(), Some(&input.attendees));
    errors
}

/// The field checks of a patch that need no store (its text fields), and its attendee list
/// normalised. Its times are judged against the reservation, in the write.
pub fn check_patch_fields(patch: &ReservationPatch) -> (FieldErrors, Option<Vec<String>>) {
    let mut errors = FieldErrors::new();
    let attendees =
        check_text(&mut errors, patch.title.as_deref(), patch.description.as_deref(), patch.attendees.as_ref());
    (errors, attendees)
}

impl Reservations {
    pub fn new(store: Store, booking: &BookingConfig) -> Reservations {
        let limits = Limits::from_config(booking);
        let series = series::SeriesLimits {
            max_occurrences: booking.max_occurrences as usize,
            horizon: Duration::days(booking.max_series_days.into()),
        };
        let checkin = CheckInWindow {
            early: Duration::minutes(booking.checkin_early_minutes.into()),
            default_window: Duration::minutes(booking.checkin_window_minutes.into()),
        };
        let policies = policy::Policies {
            global: crate::model::policy::Policy::default(),
            week_zone: booking.default_timezone.parse().unwrap_or(chrono_tz::Tz::UTC),
        };
        Reservations { store, limits, series, checkin, policies }
    }

    /// Sets the global room policy defaults (from `[policies]`).
    pub fn with_policy(mut self, global: crate::model::policy::Policy) -> Reservations {
        self.policies.global = global;
        self
    }

    pub async fn create(&self, actor: &Actor, input: NewReservation) -> Result<Reservation> {
        self.create_named(actor, input, None).await
    }

    /// [`Reservations::create`], keeping the names a calendar client gave the booking (CalDAV).
    pub async fn create_named(
        &self,
        actor: &Actor,
        input: NewReservation,
        calendar_name: Option<CalendarName>,
    ) -> Result<Reservation> {
        let (owner, answers) = self.check_new_booking(actor, &input)?;
        let (now, actor, actor_id) = (clock::now(), actor.clone(), actor.id);
        let range = TimeRange::new(input.start, input.end);
        let policies = self.policies.clone();
        self.store
            .write(move |tx: &mut Tx| {
                let room = check_room(tx, input.room_id)?;
                checks::check_may_book(tx, &actor, &room)?;
                check_owner(tx, owner, &actor)?;
                let conflicts = tx.conflicts(input.room_id, range, None)?;
                if !conflicts.is_empty() {
                    return Err(ReservationError::Conflict(conflicts));
                }
                let guard = policy::Guard::new(tx, &policies.global, &actor, &room, now)?;
                let mut quota = guard.quota(owner, policies.week_zone, Vec::new());
                guard.check(tx, room.id, range, &[], &[], &mut quota)??;
                let mut r = new_reservation(&input, owner, actor_id, range, now);
                r.fields = answers;
                r.calendar_name = calendar_name;
                r.status = checks::initial_status(tx, &actor, &room)?;
                tx.put_reservation(r.clone());
                tx.append_event(event(EventKind::ReservationCreated, actor_id, &r, now));
                Ok(r)
            })
            .await
    }

    /// How long and how far ahead a series may be.
    pub fn series_limits(&self) -> series::SeriesLimits {
        self.series
    }

    /// Checks a new booking's permission and fields; returns whom it is for and the answers to
    /// the booking fields to store.
    fn check_new_booking(&self, actor: &Actor, input: &NewReservation) -> Result<(UserId, Answers)> {
        // Refusals come before field errors. The write checks again in its transaction.
        if !actor.scope.limit(self.store.access().rights(actor.role, actor.id, input.room_id)).book {
            let view = self.store.view()?;
            if let Some(room) = view.room(input.room_id)? {
                checks::check_may_book(&view, actor, &room)?;
            }
        }
        let owner = input.user_id.unwrap_or(actor.id);
        checks::check_owner(&self.store.view()?, owner, actor)?;
        let mut errors = check_new_fields(input, clock::now(), &self.limits);
        let answers = match &input.fields {
            Some(given) => self.answers(given).unwrap_or_else(|e| {
                errors.0.extend(e.0);
                Answers::new()
            }),
            // Nobody could be asked: the booking carries no answers.
            None => Answers::new(),
        };
        errors.into_result()?;
        Ok((owner, answers))
    }

    /// `given` judged against the booking fields defined now.
    fn answers(&self, given: &BTreeMap<String, serde_json::Value>) -> std::result::Result<Answers, FieldErrors> {
        let defs = self.store.view().and_then(|v| v.booking_fields()).map_err(|e| {
            FieldErrors::one("fields", "unavailable", format!("the booking fields could not be read: {e}"))
        })?;
        field::check_answers(&defs, given)
    }

    /// Checks a patch's free-text fields; returns its attendee list normalised.
    fn check_patch_text(&self, patch: &ReservationPatch) -> Result<(Option<Vec<String>>, Option<Answers>)> {
        let (mut errors, attendees) = check_patch_fields(patch);
        let answers = match &patch.fields {
            Some(given) => match self.answers(given) {
                Ok(a) => Some(a),
                Err(e) => {
                    errors.0.extend(e.0);
                    None
                }
            },
            None => None,
        };
        errors.into_result()?;
        Ok((attendees, answers))
    }

    /// The configured check-in timing (pages show when check-in opens).
    pub fn checkin_window(&self) -> CheckInWindow {
        self.checkin
    }

    /// What saving `range` would say of its times (a new booking, or a change of `editing`): the
    /// same rules and limits as the save, for an "is it free?" answer that agrees with it.
    pub fn time_problems(&self, range: TimeRange, editing: Option<&Reservation>) -> FieldErrors {
        let now = clock::now();
        match editing {
            None => rules::check_new(range, now, &self.limits),
            Some(old) => rules::check_reschedule(old, range, now, &self.limits),
        }
    }

    /// The reservation `id`, if `actor` may read it: their own, or one in a room they may see.
    /// To anyone else it does not exist (404, not 403: its existence is not told either).
    pub fn get(&self, actor: &Actor, id: ReservationId) -> Result<Reservation> {
        let r = self.stored(id)?;
        let access = self.store.access();
        if r.user_id == actor.id || access.may_see(actor.role, actor.id, r.room_id) {
            Ok(r)
        } else {
            Err(ReservationError::NotFound)
        }
    }

    /// The reservation `id` as stored, for the service's own use (whose rules decide rights).
    fn stored(&self, id: ReservationId) -> Result<Reservation> {
        self.store.view()?.reservation(id)?.ok_or(ReservationError::NotFound)
    }

    /// Edits or reschedules; `expected_version` (from `If-Match`) guards against lost updates.
    pub async fn update(
        &self,
        actor: &Actor,
        id: ReservationId,
        patch: ReservationPatch,
        expected_version: Option<u64>,
    ) -> Result<Reservation> {
        let (attendees, answers) = self.check_patch_text(&patch)?;
        let (actor, limits, now) = (actor.clone(), self.limits, clock::now());
        let policies = self.policies.clone();
        self.store
            .write(move |tx: &mut Tx| {
                let mut r = tx.reservation(id)?.ok_or(ReservationError::NotFound)?;
                check_may_manage(tx, &actor, &r, expected_version)?;
                let range = TimeRange::new(patch.start.unwrap_or(r.start), patch.end.unwrap_or(r.end));
                let room_id = patch.room_id.unwrap_or(r.room_id);
                if range != r.range() {
                    rules::check_reschedule(&r, range, now, &limits).into_result()?;
                }
                if room_id != r.room_id || range != r.range() {
                    let room = if room_id != r.room_id {
                        let room = check_room(tx, room_id)?;
                        checks::check_may_book(tx, &actor, &room)?;
                        room
                    } else {
                        tx.room(room_id)?.ok_or(ReservationError::NotFound)?
                    };
                    let conflicts = tx.conflicts(room_id, range, Some(id))?;
                    if !conflicts.is_empty() {
                        return Err(ReservationError::Conflict(conflicts));
                    }
                    // A move is held to the policy like a new booking (a title edit is not, so
                    // a policy tightened later does not lock existing reservations).
                    let guard = policy::Guard::new(tx, &policies.global, &actor, &room, now)?;
                    let mut quota = guard.quota(r.user_id, policies.week_zone, vec![id]);
                    guard.check(tx, room_id, range, &[id], &[], &mut quota)??;
                }
                r.room_id = room_id;
                r.start = range.start;
                r.end = range.end;
                r.title = patch.title.map(|t| t.trim().to_string()).unwrap_or(r.title);
                r.description = patch.description.map(|d| d.trim().to_string()).unwrap_or(r.description);
                r.attendees = attendees.unwrap_or(r.attendees);
                r.fields = answers.unwrap_or(r.fields);
                r.version += 1;
                r.updated_at = now;
                tx.put_reservation(r.clone());
                tx.append_event(event(EventKind::ReservationUpdated, actor.id, &r, now));
                Ok(r)
            })
            .await
    }

    /// Cancels: the reservation stays readable as `cancelled` and its slot is free again.
    /// Cancelling twice is harmless and answers the same.
    pub async fn cancel(&self, actor: &Actor, id: ReservationId, expected_version: Option<u64>) -> Result<Reservation> {
        let (actor, now, grace) = (actor.clone(), clock::now(), self.limits.past_grace);
        self.store
            .write(move |tx: &mut Tx| {
                let r = tx.reservation(id)?.ok_or(ReservationError::NotFound)?;
                if r.status == Status::Cancelled {
                    check_permission(tx, &actor, &r)?;
                    return Ok(r);
                }
                check_may_manage(tx, &actor, &r, expected_version)?;
                if r.end < now - grace {
                    return Err(ReservationError::Ended);
                }
                Ok(stage_cancel(tx, r, Some(actor.id), now))
            })
            .await
    }

    pub fn list(&self, actor: &Actor, q: ListQuery) -> Result<Page> {
        actor.require(Action::ReadReservations)?;
        let mut errors = FieldErrors::new();
        if let (Some(from), Some(to)) = (q.from, q.to) {
            errors = rules::check_window(TimeRange::new(from, to), &self.limits);
        }
        let window = (q.from.is_some() || q.to.is_some()).then(|| {
            TimeRange::new(q.from.unwrap_or(DateTime::<Utc>::MIN_UTC), q.to.unwrap_or(DateTime::<Utc>::MAX_UTC))
        });
        let after = match q.cursor.as_deref().map(parse_cursor) {
            Some(Some(c)) => Some(c),
            Some(None) => {
                errors.add("cursor", "invalid", "is not a cursor this server gave out");
                None
            }
            None => None,
        };
        errors.check(
            (1..=MAX_PAGE).contains(&q.limit),
            "limit",
            "out_of_range",
            format!("must be between 1 and {MAX_PAGE}"),
        );
        errors.into_result()?;
        let mut filter = ListFilter {
            room: q.room,
            user: if q.mine { Some(actor.id) } else { q.user },
            window,
            include_cancelled: q.include_cancelled,
            after,
            limit: q.limit + 1,
        };
        // Reservations in rooms the actor may not see are left out (their own stay). Pages are
        // filled by reading on past the hidden ones.
        let access = self.store.access();
        let visible = |r: &Reservation| r.user_id == actor.id || access.may_see(actor.role, actor.id, r.room_id);
        let mut items = Vec::new();
        loop {
            let batch = self.store.list(&filter)?;
            let exhausted = batch.len() < filter.limit;
            filter.after = batch.last().map(|r| (r.start, r.id));
            items.extend(batch.into_iter().filter(|r| visible(r)));
            if exhausted || items.len() > q.limit {
                break;
            }
        }
        let next_cursor = if items.len() > q.limit {
            items.truncate(q.limit);
            items.last().map(|r| format!("{}.{}", micros(r.start), r.id))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// The live reservations in `room` during `window` that `actor` may see, in start order,
    /// shared rather than copied (the day timeline reads some hundreds per page).
    pub fn live_in(&self, actor: &Actor, room: RoomId, window: TimeRange) -> Result<Vec<Arc<Reservation>>> {
        actor.require(Action::ReadReservations)?;
        rules::check_window(window, &self.limits).into_result()?;
        let f = ListFilter { room: Some(room), window: Some(window), limit: usize::MAX, ..ListFilter::default() };
        let access = self.store.access();
        let mut items = self.store.list_shared(&f)?;
        items.retain(|r| r.user_id == actor.id || access.may_see(actor.role, actor.id, r.room_id));
        Ok(items)
    }

    /// Busy and free time of one room in a window.
    pub fn room_availability(&self, room_id: RoomId, window: TimeRange) -> Result<RoomAvailability> {
        rules::check_window(window, &self.limits).into_result()?;
        let view = self.store.view()?;
        let room = view.room(room_id)?.ok_or(ReservationError::NotFound)?;
        let busy = view.busy(room_id, window)?;
        let free = self.bookable(&view, &room, window)?;
        Ok(RoomAvailability { room, window, busy, free })
    }

    /// The parts of `window` that can be booked in `room`: open (opening hours, blackouts) and
    /// not taken, keeping the room's buffer around what is taken.
    fn bookable(&self, view: &crate::store::View, room: &Room, window: TimeRange) -> Result<Vec<TimeRange>> {
        Ok(availability::bookable_in(view, &self.policies.global, room, window)?)
    }

    /// The room policy rules a booking of `range` by `actor` in `room` would break, apart from
    /// the buffer and the quota (which depend on the other reservations): for live feedback.
    pub fn policy_problems(&self, actor: &Actor, room: &Room, range: TimeRange) -> Result<FieldErrors> {
        let view = self.store.view()?;
        let guard = policy::Guard::new(&view, &self.policies.global, actor, room, clock::now())?;
        Ok(guard.times(range))
    }

    /// Whether `window` may be searched (ends after it starts, not too wide).
    pub fn check_window(&self, window: TimeRange) -> Result<()> {
        Ok(rules::check_window(window, &self.limits).into_result()?)
    }
}

/// Stages the cancellation of a live reservation in `tx` (also used when a room is archived).
pub fn stage_cancel(tx: &mut Tx, mut r: Reservation, actor: Option<UserId>, now: DateTime<Utc>) -> Reservation {
    r.status = Status::Cancelled;
    r.cancelled_at = Some(now);
    r.updated_at = now;
    r.version += 1;
    tx.put_reservation(r.clone());
    let actor = actor.unwrap_or(r.user_id);
    tx.append_event(event(EventKind::ReservationCancelled, actor, &r, now));
    r
}

fn parse_cursor(s: &str) -> Option<(DateTime<Utc>, ReservationId)> {
    let (start, id) = s.split_once('.')?;
    Some((from_micros(start.parse().ok()?), id.parse().ok()?))
}

fn event(kind: EventKind, actor: UserId, r: &Reservation, at: DateTime<Utc>) -> NewEvent {
    NewEvent::new(kind, Some(actor), r.id.0, at, r)
}
