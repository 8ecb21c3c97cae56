//! The waitlist and no-show strikes.
//!
//! When a wanted slot is taken, a member may join its waitlist. A task follows the event log (with
//! a durable cursor, like the bus's consumers): whenever time frees in a room (a cancellation, a
//! decline, a no-show release, a meeting shortened or moved away) it serves the line for that room
//! oldest first. An entry whose whole slot is now free is booked for its owner through the same
//! domain call as any booking, so every rule and policy applies; if the rules refuse it, the entry
//! records why and its owner is told. Either way the others move up. Entries whose time has come
//! vanish from every list.
//!
//! The same task counts no-shows: when `booking.no_show_strikes` occurrences of a series in a row
//! were released as no-shows, the rest of the series is cancelled. The owner is warned one strike
//! before, and told when it happens.

use crate::access::{Action, Actor, Denied};
use crate::clock::Clock;
use crate::events::{Event, EventKind};
use crate::model::notify::Notification;
use crate::model::reservation::{Reservation, Status};
use crate::model::user::User;
use crate::model::wait::{WaitEntry, WaitStatus, in_line, no_show_run};
use crate::reservations::series::Scope;
use crate::reservations::{NewReservation, ReservationError, Reservations};
use crate::store::{Store, StoreError, Tx};
use crate::types::{NotificationId, RoomId, TimeRange, WaitId};
use crate::validation::FieldErrors;
use chrono::{DateTime, Utc};
use tokio::sync::watch;

const CURSOR: &str = "waitlist";
/// Events read per pass.
const BATCH: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum WaitlistError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("invalid waitlist entry: {0}")]
    Invalid(FieldErrors),
    #[error("no such room")]
    RoomNotFound,
    #[error("no such waitlist entry")]
    NotFound,
    #[error("that time is free: book it instead of waiting")]
    SlotFree,
    #[error("you are already waiting for that time in this room")]
    AlreadyWaiting,
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, WaitlistError>;

/// What a member asks to wait for.
pub struct Join {
    pub room_id: RoomId,
    pub title: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

#[derive(Clone)]
pub struct Waitlist {
    store: Store,
    reservations: Reservations,
    clock: Clock,
    /// No-shows in a row that cancel the rest of a series; 0: never.
    strikes: usize,
}

impl Waitlist {
    pub fn new(store: Store, reservations: Reservations, clock: Clock, strikes: u32) -> Waitlist {
        Waitlist { store, reservations, clock, strikes: strikes as usize }
    }

    pub async fn join(&self, actor: &Actor, j: Join) -> Result<WaitEntry> {
        actor.require(Action::BookRooms)?;
        let rights = actor.scope.limit(self.store.access().rights(actor.role, actor.id, j.room_id));
        let view = self.store.view()?;
        if !rights.see || view.room(j.room_id)?.is_none_or(|r| !r.active) {
            return Err(WaitlistError::RoomNotFound);
        }
        if !rights.book {
            return Err(Denied.into());
        }
        let now = self.clock.now();
        let mut errors = FieldErrors::new();
        errors.check(j.end > j.start, "end", "before_start", "must be after the start");
        errors.check(j.start > now, "start", "in_past", "must be in the future");
        let title = j.title.trim().to_string();
        errors.check(title.chars().count() <= 200, "title", "too_long", "must be at most 200 characters");
        errors.into_result().map_err(WaitlistError::Invalid)?;
        let range = TimeRange::new(j.start, j.end);
        let entry = WaitEntry {
            id: WaitId::new(),
            room_id: j.room_id,
            user_id: actor.id,
            title,
            start: j.start,
            end: j.end,
            status: WaitStatus::Waiting,
            reservation_id: None,
            reason: None,
            created_at: now,
            updated_at: now,
        };
        let saved = entry.clone();
        self.store
            .write(move |tx: &mut Tx| {
                if tx.conflicts(saved.room_id, range, None)?.is_empty() {
                    return Err(WaitlistError::SlotFree);
                }
                let same = |e: &WaitEntry| e.is_open(now) && e.user_id == saved.user_id && e.room_id == saved.room_id;
                if tx.wait_entries()?.iter().any(|e| same(e) && e.range() == range) {
                    return Err(WaitlistError::AlreadyWaiting);
                }
                tx.put_wait_entry(saved);
                Ok(())
            })
            .await?;
        Ok(entry)
    }

    /// The caller's entries that still matter: waiting ones whose time has not come, and what
    /// became of the others until their time.
    pub fn mine(&self, actor: &Actor) -> Result<Vec<WaitEntry>> {
        let now = self.clock.now();
        let mut all = self.store.view()?.wait_entries()?;
        all.retain(|e| e.user_id == actor.id && e.status != WaitStatus::Left && e.end > now);
        all.retain(|e| e.status != WaitStatus::Waiting || e.is_open(now));
        Ok(all)
    }

    /// Leaves the line (one's own entry; managers may remove anyone's).
    pub async fn leave(&self, actor: &Actor, id: WaitId) -> Result<()> {
        let (actor, now) = (actor.clone(), self.clock.now());
        self.store
            .write(move |tx: &mut Tx| {
                let mut e =
                    tx.wait_entry(id)?.filter(|e| e.status != WaitStatus::Left).ok_or(WaitlistError::NotFound)?;
                if e.user_id != actor.id {
                    actor.require(Action::ManageAnyReservation).map_err(|_| WaitlistError::NotFound)?;
                }
                e.status = WaitStatus::Left;
                e.updated_at = now;
                tx.put_wait_entry(e);
                Ok(())
            })
            .await
    }

    /// Follows the event log until `stop`, serving the line whenever time frees.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut signal = self.store.event_signal();
        let mut cursor = None;
        loop {
            if *stop.borrow() {
                return;
            }
            let moved = match self.step(&mut cursor).await {
                Ok(moved) => moved,
                Err(e) => {
                    tracing::warn!(error = %e, "the waitlist could not handle an event; trying again shortly");
                    false
                }
            };
            if moved {
                continue;
            }
            tokio::select! {
                _ = signal.changed() => {}
                _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// Handles the events after the cursor (read from the store the first time; only this task
    /// moves it); true when there were any.
    async fn step(&self, cursor: &mut Option<u64>) -> Result<bool> {
        let after = match *cursor {
            Some(c) => c,
            None => *cursor.insert(self.cursor().await?),
        };
        let events = self.store.events_after(after, BATCH)?;
        let Some(last) = events.last().map(|e| e.seq) else { return Ok(false) };
        for event in &events {
            self.handle(event).await?;
        }
        self.store
            .write_replayable(move |tx: &mut Tx| {
                tx.set_cursor(CURSOR, last);
                Ok::<(), StoreError>(())
            })
            .await?;
        *cursor = Some(last);
        Ok(true)
    }

    async fn cursor(&self) -> Result<u64> {
        Ok(self
            .store
            .write(move |tx: &mut Tx| match tx.cursor(CURSOR)? {
                Some(c) => Ok::<u64, StoreError>(c),
                None => {
                    let last = tx.last_event_seq()?;
                    tx.set_cursor(CURSOR, last);
                    Ok(last)
                }
            })
            .await?)
    }

    async fn handle(&self, event: &Event) -> Result<()> {
        let freeing = matches!(
            event.kind,
            EventKind::ReservationCancelled
                | EventKind::ReservationDeclined
                | EventKind::ReservationNoShow
                | EventKind::ReservationUpdated
        );
        if !freeing {
            return Ok(());
        }
        let Ok(r) = event.snapshot::<Reservation>() else { return Ok(()) };
        // An update may free time anywhere around the meeting; serving the whole day of the
        // room's line around it is cheap and catches a shortened or moved meeting.
        let freed = TimeRange::new(r.start - chrono::Duration::days(1), r.end + chrono::Duration::days(1));
        self.serve(r.room_id, freed).await?;
        if event.kind == EventKind::ReservationNoShow {
            self.strike(&r).await?;
        }
        Ok(())
    }

    /// Books, oldest first, each open entry touching `freed` whose whole slot is free now.
    async fn serve(&self, room: RoomId, freed: TimeRange) -> Result<()> {
        let now = self.clock.now();
        let entries = self.store.view()?.wait_entries()?;
        for e in in_line(&entries, room, freed, now) {
            let view = self.store.view()?;
            if !view.conflicts(room, e.range(), None)?.is_empty() {
                continue;
            }
            let Some(user) = view.user(e.user_id)?.filter(|u| u.active) else { continue };
            let room_name = view.room(room)?.map(|r| r.name).unwrap_or_default();
            let actor = Actor::user(user.id, user.role);
            let input = NewReservation {
                room_id: room,
                title: e.title.clone(),
                description: None,
                start: e.start,
                end: e.end,
                attendees: Vec::new(),
                user_id: None,
                // Promoted by the server: nobody is there to answer the booking fields.
                fields: None,
            };
            let mut entry = e.clone();
            entry.updated_at = now;
            match self.reservations.create(&actor, input).await {
                Ok(r) => {
                    entry.status = WaitStatus::Booked;
                    entry.reservation_id = Some(r.id);
                }
                // Someone was quicker: the entry keeps its place.
                Err(ReservationError::Conflict(_)) => continue,
                Err(why) => {
                    entry.status = WaitStatus::Refused;
                    entry.reason = Some(why.to_string());
                }
            }
            let note = notice(&user, &entry, &room_name);
            self.store
                .write(move |tx: &mut Tx| {
                    tx.put_wait_entry(entry);
                    tx.put_notification(note);
                    Ok::<(), StoreError>(())
                })
                .await?;
        }
        Ok(())
    }

    /// After a no-show of a series: warns one strike before the limit, cancels the rest at it.
    async fn strike(&self, r: &Reservation) -> Result<()> {
        let Some(series) = r.series_id else { return Ok(()) };
        if self.strikes == 0 {
            return Ok(());
        }
        let view = self.store.view()?;
        let occurrences = view.series(series)?;
        // Occurrences cancelled beforehand were neither attended nor missed: they do not count.
        let statuses: Vec<Status> = occurrences
            .iter()
            .filter(|o| o.start <= r.start && !matches!(o.status, Status::Cancelled | Status::Declined))
            .map(|o| o.status)
            .collect();
        let run = no_show_run(&statuses);
        let Some(owner) = view.user(r.user_id)? else { return Ok(()) };
        let next = occurrences.iter().find(|o| o.start > r.start && o.status.is_live());
        let (Some(next), now) = (next, self.clock.now()) else { return Ok(()) };
        if run + 1 == self.strikes {
            let note = strike_notice(&owner, r, self.strikes, false, now);
            return self.notify(note).await;
        }
        if run >= self.strikes {
            let actor = Actor::user(owner.id, owner.role);
            match self.reservations.cancel_scoped(&actor, next.id, None, Scope::Following).await {
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, series = %series, "could not cancel a series after its no-shows"),
            }
            return self.notify(strike_notice(&owner, r, self.strikes, true, now)).await;
        }
        Ok(())
    }

    async fn notify(&self, note: Notification) -> Result<()> {
        self.store
            .write(move |tx: &mut Tx| {
                tx.put_notification(note);
                Ok::<(), StoreError>(())
            })
            .await?;
        Ok(())
    }
}

fn notice(user: &User, e: &WaitEntry, room: &str) -> Notification {
    let when = e.start.format("%Y-%m-%d %H:%M UTC");
    let es = user.language == "es";
    let (kind, title) = match (e.status, es) {
        (WaitStatus::Booked, false) => {
            ("waitlist.booked", format!("From the waitlist, booked for you: {room}, {when}"))
        }
        (WaitStatus::Booked, true) => {
            ("waitlist.booked", format!("De la lista de espera, reservada para ti: {room}, {when}"))
        }
        (_, false) => (
            "waitlist.refused",
            format!(
                "{room} freed at {when}, but could not be booked for you: {}",
                e.reason.clone().unwrap_or_default()
            ),
        ),
        (_, true) => (
            "waitlist.refused",
            format!(
                "{room} quedó libre el {when}, pero no se pudo reservar para ti: {}",
                e.reason.clone().unwrap_or_default()
            ),
        ),
    };
    Notification {
        id: NotificationId::new(),
        user_id: user.id,
        kind: kind.to_string(),
        title,
        reservation_id: e.reservation_id,
        starts_at: Some(e.start),
        created_at: e.updated_at,
        read_at: None,
    }
}

fn strike_notice(owner: &User, r: &Reservation, strikes: usize, cancelled: bool, now: DateTime<Utc>) -> Notification {
    let es = owner.language == "es";
    let t = &r.title;
    let title = match (cancelled, es) {
        (false, false) => format!(
            "“{t}” was released as a no-show {} times in a row; one more cancels the rest of the series",
            strikes - 1
        ),
        (false, true) => format!(
            "«{t}» se liberó sin asistencia {} veces seguidas; una más cancela el resto de la serie",
            strikes - 1
        ),
        (true, false) => format!("The rest of the series “{t}” was cancelled after {strikes} no-shows in a row"),
        (true, true) => format!("Se canceló el resto de la serie «{t}» tras {strikes} ausencias seguidas"),
    };
    Notification {
        id: NotificationId::new(),
        user_id: owner.id,
        kind: if cancelled { "series.struck" } else { "series.strike_warning" }.to_string(),
        title,
        reservation_id: Some(r.id),
        starts_at: Some(r.start),
        created_at: now,
        read_at: None,
    }
}
