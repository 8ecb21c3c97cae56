//! Recurring reservations: a series is booked, changed or cancelled as a whole in one write
//! transaction, so either every occurrence it names is written or none is. Each occurrence is an
//! ordinary reservation carrying the series id; the no-overlap guarantee covers it as any other.

use super::checks::{check_may_manage, check_owner, check_permission, check_room, new_reservation};
use super::policy::{Guard, Policies, Violation};
use super::recurrence::{self, Caps, local, resolve};
use super::{NewReservation, ReservationError, ReservationPatch, Reservations, Result, rules};
use crate::access::{Action, Actor};
use crate::clock;
use crate::events::EventKind;
use crate::model::reservation::{CalendarName, Reservation, SeriesSlot};
use crate::store::Tx;
use crate::types::{ReservationId, RoomId, SeriesId, TimeRange};
use crate::validation::{FieldError, FieldErrors};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnConflict {
    /// Book nothing if any occurrence is taken.
    #[default]
    Fail,
    /// Book the free occurrences and report the others.
    Skip,
}

/// Which occurrences of a series a change applies to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scope {
    #[default]
    This,
    /// This occurrence and every later one.
    Following,
    /// Every occurrence that has not ended yet.
    Series,
}

/// What repeats: the RRULE and, for a series read from a calendar file, what the file changes
/// in it. The booking form and the API give a rule alone ([`SeriesRequest::rule`]).
#[derive(Clone, Debug, Default)]
pub struct SeriesRequest {
    pub rrule: String,
    /// The zone the rule keeps its wall-clock time in; the room's when `None`.
    pub zone: Option<Tz>,
    /// Starts of occurrences the rule gives that are not booked (EXDATE).
    pub exdates: Vec<DateTime<Utc>>,
    /// Occurrences booked at other times: the start the rule gives, and the time booked instead
    /// (RECURRENCE-ID).
    pub overrides: Vec<(DateTime<Utc>, TimeRange)>,
    /// Live bookings of the room the series takes the place of (an import of a changed event):
    /// not in its way, and cancelled in the same transaction when it is booked.
    pub replaces: Vec<ReservationId>,
    /// A calendar's UID for the series: each occurrence is named `{uid}/{start}` (unique UIDs,
    /// as CalDAV wants them), so a later import finds them.
    pub uid: Option<String>,
}

impl SeriesRequest {
    pub fn rule(rrule: impl Into<String>) -> SeriesRequest {
        SeriesRequest { rrule: rrule.into(), ..SeriesRequest::default() }
    }

    /// [`SeriesRequest::occurrences`] of the rule read afresh, in the request's zone, else
    /// `room_zone`: what a booking of the request would hold.
    pub fn ranges(&self, room_zone: Tz, first: TimeRange, caps: Caps) -> Result<Vec<TimeRange>> {
        let rule = recurrence::parse(&self.rrule).map_err(|e| FieldErrors::one("rrule", e.code, e.message))?;
        self.occurrences(expand(&rule, self.zone.unwrap_or(room_zone), first, caps)?)
    }

    /// The ranges to book: the rule's occurrences less the excluded ones, the moved ones at
    /// their new times, in start order; moved ones may not overlap the rest.
    fn occurrences(&self, expanded: Vec<TimeRange>) -> Result<Vec<TimeRange>> {
        let mut ranges = expanded
            .into_iter()
            .filter(|r| !self.exdates.contains(&r.start))
            .map(|r| self.overrides.iter().find(|(at, _)| *at == r.start).map_or(r, |(_, moved)| *moved))
            .collect::<Vec<_>>();
        ranges.sort_by_key(|r| r.start);
        if ranges.windows(2).any(|w| w[0].end > w[1].start) {
            return Err(FieldErrors::one(
                "start",
                "occurrences_overlap",
                "occurrences of the series would overlap one another",
            )
            .into());
        }
        if ranges.is_empty() {
            return Err(FieldErrors::one("rrule", "no_occurrences", "every occurrence is excluded").into());
        }
        Ok(ranges)
    }

    /// The start the rule gave the occurrence booked over `range` (its RECURRENCE-ID): its own
    /// start, unless it is a moved one.
    fn rule_start(&self, range: TimeRange) -> DateTime<Utc> {
        self.overrides.iter().find(|(_, moved)| *moved == range).map_or(range.start, |(at, _)| *at)
    }
}

/// Every occurrence of `rule` from `first`, within the caps.
fn expand(rule: &recurrence::Rule, tz: Tz, first: TimeRange, caps: Caps) -> Result<Vec<TimeRange>> {
    recurrence::expand(rule, tz, first, caps).map_err(|e| FieldErrors::one("rrule", e.code, e.message).into())
}

/// The calendar name of an occurrence of a named series.
fn occurrence_name(uid: &str, r: &Reservation) -> CalendarName {
    CalendarName { uid: format!("{uid}/{}", r.start.format("%Y%m%dT%H%M%SZ")), href: format!("{}.ics", r.id) }
}

/// The live bookings of `room` that `ids` name, each one the actor may change.
fn replaced(tx: &Tx, actor: &Actor, room: RoomId, ids: &[ReservationId]) -> Result<Vec<Reservation>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let r = tx.reservation(*id)?.ok_or(ReservationError::NotFound)?;
        if r.room_id != room || !r.status.is_live() {
            return Err(ReservationError::NotFound);
        }
        check_permission(tx, actor, &r)?;
        out.push(r);
    }
    Ok(out)
}

/// An occurrence that could not be booked or moved, and the reservations in its way.
#[derive(Clone, Debug)]
pub struct Clash {
    pub range: TimeRange,
    pub conflicts: Vec<Reservation>,
    /// The room policy rules it breaks (closed, blackout, too close for the buffer, over the
    /// quota…); empty when it is simply taken.
    pub reasons: Vec<FieldError>,
}

/// A series as it would be booked: see [`Reservations::plan_series`].
pub struct SeriesPlan {
    pub rule: recurrence::Rule,
    /// The room's zone, in which the rule is read.
    pub timezone: Tz,
    /// Every occurrence; [`Clash::is_free`] where it would be booked.
    pub occurrences: Vec<Clash>,
}

pub struct SeriesBooked {
    pub series_id: SeriesId,
    pub booked: Vec<Reservation>,
    pub skipped: Vec<Clash>,
}

impl Clash {
    /// Nothing in the way (a planned occurrence that would be booked).
    pub fn is_free(&self) -> bool {
        self.conflicts.is_empty() && self.reasons.is_empty()
    }
}

impl Reservations {
    /// Books every occurrence of `series`, the first being `input`'s times (less its excluded
    /// dates, with its moved occurrences at their new times).
    pub async fn create_series(
        &self,
        actor: &Actor,
        input: NewReservation,
        series: SeriesRequest,
        on_conflict: OnConflict,
    ) -> Result<SeriesBooked> {
        let (owner, answers) = self.check_new_booking(actor, &input)?;
        let rule = recurrence::parse(&series.rrule).map_err(|e| FieldErrors::one("rrule", e.code, e.message))?;
        let now = clock::now();
        let caps = Caps { max_occurrences: self.series.max_occurrences, horizon: now + self.series.horizon };
        let (actor, actor_id) = (actor.clone(), actor.id);
        let first = TimeRange::new(input.start, input.end);
        let policies = self.policies.clone();
        self.store
            .write(move |tx: &mut Tx| {
                let room = check_room(tx, input.room_id)?;
                super::checks::check_may_book(tx, &actor, &room)?;
                check_owner(tx, owner, &actor)?;
                let tz = series.zone.unwrap_or_else(|| zone(&room.timezone));
                let expanded = expand(&rule, tz, first, caps)?;
                // Every occurrence keeps the rule as calendars will read it (ending in the COUNT
                // expanded here, excluded dates counted), so the series is written as one
                // recurring event.
                let slot = SeriesSlot {
                    rrule: recurrence::rrule_with_count(&rule, expanded.len()),
                    timezone: tz.name().to_string(),
                    first: expanded.first().copied().unwrap_or(first),
                    at: first.start,
                };
                let ranges = series.occurrences(expanded)?;
                let replaced = replaced(tx, &actor, room.id, &series.replaces)?;
                let guard = Guard::new(tx, &policies.global, &actor, &room, now)?;
                let mut quota = guard.quota(owner, policies.week_zone, series.replaces.clone());
                let (mut free, mut skipped) = (Vec::new(), Vec::new());
                for c in judge(tx, &guard, &mut quota, room.id, ranges, &series.replaces)? {
                    if c.is_free() { free.push(c.range) } else { skipped.push(c) }
                }
                if free.is_empty() && skipped.iter().all(|c| c.conflicts.is_empty() && !c.reasons.is_empty()) {
                    // Nothing is bookable and nothing is in the way: the request itself breaks
                    // the room's rules (say, too long for every occurrence). Answer as for a
                    // single booking, with the first occurrence's reasons.
                    let first = skipped.first().map(|c| c.reasons.clone()).unwrap_or_default();
                    return Err(ReservationError::Invalid(FieldErrors(first)));
                }
                if free.is_empty() || (on_conflict == OnConflict::Fail && !skipped.is_empty()) {
                    return Err(ReservationError::SeriesConflict(skipped));
                }
                for r in replaced {
                    super::stage_cancel(tx, r, Some(actor_id), now);
                }
                let series_id = SeriesId::new();
                // Every occurrence of a series in a room that needs approval waits for it.
                let status = super::checks::initial_status(tx, &actor, &room)?;
                let mut booked = Vec::with_capacity(free.len());
                for range in free {
                    let mut r = new_reservation(&input, owner, actor_id, range, now);
                    r.series_id = Some(series_id);
                    r.slot = Some(SeriesSlot { at: series.rule_start(range), ..slot.clone() });
                    r.fields = answers.clone();
                    r.status = status;
                    r.calendar_name = series.uid.as_ref().map(|uid| occurrence_name(uid, &r));
                    tx.put_reservation(r.clone());
                    tx.append_event(super::event(EventKind::ReservationCreated, actor_id, &r, now));
                    booked.push(r);
                }
                Ok(SeriesBooked { series_id, booked, skipped })
            })
            .await
    }

    /// What [`Reservations::create_series`] would book, booking nothing: every occurrence in the
    /// series' zone (same rule, same caps) and the live reservations in its way now. The booking
    /// form's preview and an import's dry run; the write still judges each occurrence again in
    /// its own transaction.
    pub fn plan_series(
        &self,
        actor: &Actor,
        room_id: RoomId,
        first: TimeRange,
        series: &SeriesRequest,
    ) -> Result<SeriesPlan> {
        actor.require(Action::BookRooms)?;
        let rule = recurrence::parse(&series.rrule).map_err(|e| FieldErrors::one("rrule", e.code, e.message))?;
        let view = self.store.view()?;
        let room = view.room(room_id)?.ok_or_else(|| FieldErrors::one("room_id", "no_room", "no such room"))?;
        super::checks::check_may_book(&view, actor, &room)?;
        let tz = series.zone.unwrap_or_else(|| zone(&room.timezone));
        let now = clock::now();
        let caps = Caps { max_occurrences: self.series.max_occurrences, horizon: now + self.series.horizon };
        let ranges = series.occurrences(expand(&rule, tz, first, caps)?)?;
        let guard = Guard::new(&view, &self.policies.global, actor, &room, now)?;
        let mut quota = guard.quota(actor.id, self.policies.week_zone, series.replaces.clone());
        let occurrences = judge(&view, &guard, &mut quota, room.id, ranges, &series.replaces)?;
        Ok(SeriesPlan { rule, timezone: tz, occurrences })
    }

    /// Every occurrence of a series, cancelled ones too, in start order.
    pub fn series(&self, actor: &Actor, id: SeriesId) -> Result<Vec<Reservation>> {
        actor.require(Action::ReadReservations)?;
        let access = self.store.access();
        let mut occurrences = self.store.view()?.series(id)?;
        occurrences.retain(|r| r.user_id == actor.id || access.may_see(actor.role, actor.id, r.room_id));
        if occurrences.is_empty() {
            return Err(ReservationError::NotFound);
        }
        Ok(occurrences)
    }

    /// [`Reservations::update`] for `scope`. Times move by the change made to occurrence `id`,
    /// in local wall-clock time, so a series moved from 10:00 to 11:00 stays at 11:00 across DST.
    /// Returns the changed occurrence `id`.
    pub async fn update_scoped(
        &self,
        actor: &Actor,
        id: ReservationId,
        patch: ReservationPatch,
        expected_version: Option<u64>,
        scope: Scope,
    ) -> Result<Reservation> {
        let Some(series_id) = self.series_of(id, scope)? else {
            return self.update(actor, id, patch, expected_version).await;
        };
        let (attendees, answers) = self.check_patch_text(&patch)?;
        let (actor, limits, now) = (actor.clone(), self.limits, clock::now());
        let policies = self.policies.clone();
        self.store
            .write(move |tx: &mut Tx| {
                let target = tx.reservation(id)?.ok_or(ReservationError::NotFound)?;
                check_may_manage(tx, &actor, &target, expected_version)?;
                let occurrences = targets(tx, series_id, &target, scope, now - limits.past_grace)?;
                for o in &occurrences {
                    check_permission(tx, &actor, o)?;
                }
                let room_id = patch.room_id.unwrap_or(target.room_id);
                let room = if room_id != target.room_id {
                    let room = check_room(tx, room_id)?;
                    super::checks::check_may_book(tx, &actor, &room)?;
                    room
                } else {
                    tx_room(tx, room_id)?
                };
                let tz = zone(&room.timezone);
                let new_first = TimeRange::new(patch.start.unwrap_or(target.start), patch.end.unwrap_or(target.end));
                let shift = local(tz, new_first.start) - local(tz, target.start);
                let stretch = new_first.duration() - target.range().duration();
                let mut moved = Vec::with_capacity(occurrences.len());
                for o in occurrences {
                    let start = if shift.is_zero() { o.start } else { resolve(tz, local(tz, o.start) + shift) };
                    let range = TimeRange::new(start, start + o.range().duration() + stretch);
                    if range != o.range() {
                        rules::check_reschedule(&o, range, now, &limits).into_result()?;
                    }
                    // An occurrence moved to another room on its own stays there unless the
                    // change names a room.
                    let room = patch.room_id.unwrap_or(o.room_id);
                    moved.push((o, room, range));
                }
                check_changed(tx, &moved)?;
                check_moved_policy(tx, &policies, &actor, target.user_id, &moved, now)?;
                let mut changed_target = target.clone();
                for (mut r, room, range) in moved {
                    r.room_id = room;
                    r.start = range.start;
                    r.end = range.end;
                    r.title = patch.title.as_ref().map(|t| t.trim().to_string()).unwrap_or(r.title);
                    r.description = patch.description.as_ref().map(|d| d.trim().to_string()).unwrap_or(r.description);
                    r.attendees = attendees.clone().unwrap_or(r.attendees);
                    r.fields = answers.clone().unwrap_or(r.fields);
                    r.version += 1;
                    r.updated_at = now;
                    tx.put_reservation(r.clone());
                    tx.append_event(super::event(EventKind::ReservationUpdated, actor.id, &r, now));
                    if r.id == id {
                        changed_target = r;
                    }
                }
                Ok(changed_target)
            })
            .await
    }

    /// [`Reservations::cancel`] for `scope`; returns occurrence `id` as it is afterwards.
    pub async fn cancel_scoped(
        &self,
        actor: &Actor,
        id: ReservationId,
        expected_version: Option<u64>,
        scope: Scope,
    ) -> Result<Reservation> {
        let Some(series_id) = self.series_of(id, scope)? else {
            return self.cancel(actor, id, expected_version).await;
        };
        let (actor, now, grace) = (actor.clone(), clock::now(), self.limits.past_grace);
        self.store
            .write(move |tx: &mut Tx| {
                let target = tx.reservation(id)?.ok_or(ReservationError::NotFound)?;
                check_permission(tx, &actor, &target)?;
                if expected_version.is_some_and(|v| v != target.version) {
                    return Err(ReservationError::StaleVersion { current: target.version });
                }
                let mut result = target.clone();
                for o in targets(tx, series_id, &target, scope, now - grace)? {
                    check_permission(tx, &actor, &o)?;
                    let cancelled = super::stage_cancel(tx, o, Some(actor.id), now);
                    if cancelled.id == id {
                        result = cancelled;
                    }
                }
                Ok(result)
            })
            .await
    }

    /// The series `id` belongs to, when `scope` reaches beyond the one occurrence.
    fn series_of(&self, id: ReservationId, scope: Scope) -> Result<Option<SeriesId>> {
        if scope == Scope::This {
            return Ok(None);
        }
        Ok(self.stored(id)?.series_id)
    }
}

/// Each occurrence in order, with what is in its way (reservations, or the room policy's
/// reasons); the free ones have neither. Booking and the form's preview judge alike.
fn judge(
    view: &crate::store::View,
    guard: &Guard,
    quota: &mut super::policy::Quota,
    room: RoomId,
    ranges: Vec<TimeRange>,
    replaced: &[ReservationId],
) -> Result<Vec<Clash>> {
    let mut free = Vec::new();
    let mut out = Vec::with_capacity(ranges.len());
    for range in ranges {
        let mut conflicts = view.conflicts(room, range, None)?;
        conflicts.retain(|c| !replaced.contains(&c.id));
        if !conflicts.is_empty() {
            out.push(Clash { range, conflicts, reasons: Vec::new() });
            continue;
        }
        match guard.check(view, room, range, replaced, &free, quota)? {
            Ok(()) => {
                free.push(range);
                out.push(Clash { range, conflicts: Vec::new(), reasons: Vec::new() });
            }
            Err(v) => {
                let reasons = v.reasons();
                let conflicts = match v {
                    Violation::Buffer { neighbours, .. } => neighbours,
                    Violation::Rules(_) => Vec::new(),
                };
                out.push(Clash { range, conflicts, reasons });
            }
        }
    }
    Ok(out)
}

/// The live occurrences `scope` names: those from `target` on, or every one not yet ended.
fn targets(
    tx: &Tx,
    series: SeriesId,
    target: &Reservation,
    scope: Scope,
    ended_before: DateTime<Utc>,
) -> Result<Vec<Reservation>> {
    Ok(tx
        .series(series)?
        .into_iter()
        .filter(|o| o.status.is_live())
        .filter(|o| match scope {
            Scope::Following => o.start >= target.start,
            _ => o.end >= ended_before || o.id == target.id,
        })
        .collect())
}

/// The moved occurrences neither overlap one another nor any other live reservation of their room.
fn check_changed(tx: &Tx, moved: &[(Reservation, RoomId, TimeRange)]) -> Result<()> {
    let mut ranges: Vec<(RoomId, TimeRange)> = moved.iter().map(|(_, room, r)| (*room, *r)).collect();
    ranges.sort_by_key(|(room, r)| (*room, r.start));
    if ranges.windows(2).any(|w| w[0].0 == w[1].0 && w[0].1.end > w[1].1.start) {
        return Err(FieldErrors::one(
            "start",
            "occurrences_overlap",
            "occurrences of the series would overlap one another",
        )
        .into());
    }
    let ours: Vec<ReservationId> = moved.iter().map(|(r, _, _)| r.id).collect();
    let mut clashes = Vec::new();
    for (_, room, range) in moved {
        let conflicts: Vec<Reservation> =
            tx.conflicts(*room, *range, None)?.into_iter().filter(|c| !ours.contains(&c.id)).collect();
        if !conflicts.is_empty() {
            clashes.push(Clash { range: *range, conflicts, reasons: Vec::new() });
        }
    }
    if clashes.is_empty() { Ok(()) } else { Err(ReservationError::SeriesConflict(clashes)) }
}

/// Every occurrence whose time or room changes is held to its room's policy like a new booking;
/// all or nothing, with each breaking occurrence and its reasons in the answer.
fn check_moved_policy(
    tx: &Tx,
    policies: &Policies,
    actor: &Actor,
    owner: crate::types::UserId,
    moved: &[(Reservation, RoomId, TimeRange)],
    now: DateTime<Utc>,
) -> Result<()> {
    let changed: Vec<_> = moved.iter().filter(|(o, room, range)| o.room_id != *room || o.range() != *range).collect();
    let Some((_, first_room, _)) = changed.first() else { return Ok(()) };
    let ours: Vec<ReservationId> = moved.iter().map(|(r, _, _)| r.id).collect();
    let mut guards: HashMap<RoomId, Guard> = HashMap::new();
    // One weekly quota for the owner, with the limit of the (first) room moved to; the stored
    // times of the moving occurrences give way to their new ones.
    let moving: Vec<ReservationId> = changed.iter().map(|(o, _, _)| o.id).collect();
    let mut quota = Guard::new(tx, &policies.global, actor, &tx_room(tx, *first_room)?, now)?.quota(
        owner,
        policies.week_zone,
        moving,
    );
    let mut clashes = Vec::new();
    for (_, room, range) in changed {
        if !guards.contains_key(room) {
            guards.insert(*room, Guard::new(tx, &policies.global, actor, &tx_room(tx, *room)?, now)?);
        }
        // The buffer holds between occurrences of the series too: each is checked against the
        // others' new times in the same room.
        let others: Vec<TimeRange> =
            moved.iter().filter(|(_, r, t)| r == room && t != range).map(|(_, _, t)| *t).collect();
        if let Err(v) = guards[room].check(tx, *room, *range, &ours, &others, &mut quota)? {
            let reasons = v.reasons();
            let conflicts = match v {
                Violation::Buffer { neighbours, .. } => neighbours,
                Violation::Rules(_) => Vec::new(),
            };
            clashes.push(Clash { range: *range, conflicts, reasons });
        }
    }
    if clashes.is_empty() { Ok(()) } else { Err(ReservationError::SeriesConflict(clashes)) }
}

fn tx_room(tx: &Tx, room_id: RoomId) -> Result<crate::model::room::Room> {
    tx.room(room_id)?.ok_or_else(|| FieldErrors::one("room_id", "no_room", "no such room").into())
}

/// A room's zone; rooms are validated on save, so a bad name is an old row: read it as UTC.
fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// The configured size limits of a series.
#[derive(Clone, Copy)]
pub struct SeriesLimits {
    pub max_occurrences: usize,
    /// How far ahead of now the last occurrence may start.
    pub horizon: Duration,
}
