//! Room door displays: a tablet by a room's door shows whether the room is free and lets people
//! book it on the spot. A display signs in with a per-room device token that an admin creates
//! (shown once, stored as its SHA-256) and revokes; the token opens that room's display and
//! nothing else ([`crate::access::display_may`]).

pub mod door;

use crate::access::{Action, Actor, Denied};
use crate::clock;
use crate::events::{EventKind, NewEvent};
use crate::model::display::Display;
use crate::model::reservation::Reservation;
use crate::model::room::Room;
use crate::store::ListFilter;
use crate::store::{Store, StoreError, Tx};
use crate::types::{DisplayId, RoomId, TimeRange};
use crate::validation::FieldErrors;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The most meetings of a day a display reads (a room rarely has more than a dozen).
const MEETINGS_SHOWN: usize = 100;

/// Device tokens start with this, so a leaked one is recognisable in logs and secret scanners.
pub const TOKEN_PREFIX: &str = "sd_";

#[derive(Debug, thiserror::Error)]
pub enum DisplayError {
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    #[error("no such display")]
    NotFound,
    #[error("no such room")]
    RoomNotFound,
    /// The token is unknown: never issued, or revoked.
    #[error("this display token is not valid (it may have been revoked)")]
    BadToken,
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<FieldErrors> for DisplayError {
    fn from(e: FieldErrors) -> Self {
        DisplayError::Invalid(e)
    }
}

type Result<T> = std::result::Result<T, DisplayError>;

/// A display just created, with its token (the only time the token is known).
pub struct Created {
    pub display: Display,
    pub token: String,
}

#[derive(Clone)]
pub struct Displays {
    store: Store,
}

impl Displays {
    pub fn new(store: Store) -> Displays {
        Displays { store }
    }

    /// Creates a device token for `room_id`'s door display.
    pub async fn create(&self, actor: &Actor, room_id: RoomId, name: &str) -> Result<Created> {
        actor.require(Action::ManageDisplays)?;
        let name = name.trim().to_string();
        let mut errors = FieldErrors::new();
        errors.text("name", &name, 1, 100);
        errors.into_result()?;
        let (token, secret_hash) = new_token();
        let (now, actor_id) = (clock::now(), actor.id);
        let display = Display {
            id: DisplayId::new(),
            room_id,
            name,
            secret_hash,
            prefix: token.chars().take(TOKEN_PREFIX.len() + 6).collect(),
            created_by: actor_id,
            created_at: now,
        };
        let display = self
            .store
            .write(move |tx: &mut Tx| {
                if !tx.room(room_id)?.is_some_and(|r| r.active) {
                    return Err(DisplayError::RoomNotFound);
                }
                tx.put_display(display.clone());
                tx.append_event(event(EventKind::DisplayCreated, actor_id, &display, now));
                Ok(display)
            })
            .await?;
        Ok(Created { display, token })
    }

    /// Revokes a display's token: the device is refused from its next request on, and its open
    /// live stream ends at the next update.
    pub async fn revoke(&self, actor: &Actor, id: DisplayId) -> Result<()> {
        actor.require(Action::ManageDisplays)?;
        let (now, actor_id) = (clock::now(), actor.id);
        self.store
            .write(move |tx: &mut Tx| {
                let display = tx.display(id)?.ok_or(DisplayError::NotFound)?;
                tx.delete_display(id);
                tx.append_event(event(EventKind::DisplayRevoked, actor_id, &display, now));
                Ok(())
            })
            .await
    }

    /// Every display, or those of one room.
    pub fn list(&self, actor: &Actor, room: Option<RoomId>) -> Result<Vec<Display>> {
        actor.require(Action::ManageDisplays)?;
        let all = self.store.view()?.displays()?;
        Ok(all.into_iter().filter(|d| room.is_none_or(|r| d.room_id == r)).collect())
    }

    /// The display a device token opens.
    pub fn open(&self, token: &str) -> Result<Display> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Err(DisplayError::BadToken);
        }
        self.store.view()?.display_by_hash(token_hash(token))?.ok_or(DisplayError::BadToken)
    }

    /// The display's room and its live meetings from `now` to the end of the room's local day.
    pub fn today(&self, display: &Display, now: DateTime<Utc>) -> Result<(Room, Vec<Reservation>)> {
        let view = self.store.view()?;
        let room = view.room(display.room_id)?.ok_or(DisplayError::RoomNotFound)?;
        let tz: Tz = room.timezone.parse().unwrap_or(Tz::UTC);
        let tomorrow = now.with_timezone(&tz).date_naive() + chrono::Days::new(1);
        let end = tomorrow
            .and_hms_opt(0, 0, 0)
            .and_then(|midnight| midnight.and_local_timezone(tz).earliest())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(now + chrono::Duration::days(1));
        let filter = ListFilter {
            room: Some(room.id),
            window: Some(TimeRange::new(now, end)),
            limit: MEETINGS_SHOWN,
            ..ListFilter::default()
        };
        let meetings = view.list(&filter)?;
        Ok((room, meetings))
    }
}

fn new_token() -> (String, [u8; 32]) {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
    let hash = token_hash(&token);
    (token, hash)
}

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The event never carries the token or its hash.
fn event(kind: EventKind, actor: crate::types::UserId, d: &Display, at: DateTime<Utc>) -> NewEvent {
    let data = serde_json::json!({"id": d.id, "room_id": d.room_id, "name": d.name, "created_by": d.created_by});
    NewEvent::new(kind, Some(actor), d.id.0, at, &data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let (a, ha) = new_token();
        let (b, hb) = new_token();
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 48);
        assert_ne!(a, b);
        assert_ne!(ha, hb);
        assert_eq!(token_hash(&a), ha);
    }

    #[test]
    fn a_token_opens_only_its_own_room() {
        let (mine, other) = (RoomId::new(), RoomId::new());
        assert!(crate::access::display_may(mine, mine));
        assert!(!crate::access::display_may(mine, other));
    }
}
