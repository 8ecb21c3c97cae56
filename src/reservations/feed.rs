//! Calendar feeds of a room's or a user's reservations, reachable without signing in through a
//! secret URL. The token is an HMAC of the owner and a generation number under a random key kept
//! in the store, so reading it needs no write, and replacing it (bumping the generation) makes
//! every older URL stop working.

use super::{ReservationError, Reservations, Result};
use crate::access::{Action, Actor};
use crate::model::reservation::Reservation;
use crate::store::{ListFilter, Tx, View};
use crate::types::{RoomId, TimeRange, UserId};
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far back a feed reaches; calendar clients keep what they saw before.
const FEED_PAST_DAYS: i64 = 90;
/// The most reservations one feed lists.
const FEED_LIMIT: usize = 5000;
/// Tokens carry 128 bits of the HMAC, as 32 hex digits.
const TOKEN_BYTES: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedOwner {
    Room(RoomId),
    User(UserId),
}

impl FeedOwner {
    fn bytes(self) -> [u8; 16] {
        match self {
            FeedOwner::Room(id) => id.bytes(),
            FeedOwner::User(id) => id.bytes(),
        }
    }

    fn label(self) -> String {
        match self {
            FeedOwner::Room(id) => format!("room:{id}"),
            FeedOwner::User(id) => format!("user:{id}"),
        }
    }
}

/// What a feed shows: its name and the reservations with their room's name, cancelled ones too.
/// A series that keeps its rule is shown whole (every occurrence of it the feed's owner has,
/// whenever it is), so calendars get it as one recurring event; the other reservations are in
/// `items`.
pub struct Feed {
    pub name: String,
    pub items: Vec<(Reservation, String)>,
    pub series: Vec<Vec<(Reservation, String)>>,
}

impl Reservations {
    /// The current secret token of `owner`'s feed.
    pub fn feed_token(&self, owner: FeedOwner) -> Result<String> {
        let view = self.store.view()?;
        Ok(hex::encode(mac(&view.feed_key()?, owner, view.feed_generation(owner.bytes())?)?))
    }

    /// Replaces `owner`'s feed token; the old URL stops working. Rooms: managers; users: themselves.
    pub async fn reset_feed_token(&self, actor: &Actor, owner: FeedOwner) -> Result<String> {
        match owner {
            FeedOwner::Room(_) => actor.require(Action::ManageRooms)?,
            FeedOwner::User(id) if id != actor.id => actor.require(Action::ManageUsers)?,
            FeedOwner::User(_) => {}
        }
        self.store
            .write(move |tx: &mut Tx| {
                exists(tx, owner)?;
                let generation = tx.feed_generation(owner.bytes())? + 1;
                tx.put_feed_generation(owner.bytes(), generation);
                Ok(hex::encode(mac(&tx.feed_key()?, owner, generation)?))
            })
            .await
    }

    /// Whether `token` is `owner`'s current feed token; NotFound if not, as for an unknown owner.
    pub fn check_feed_token(&self, owner: FeedOwner, token: &str) -> Result<()> {
        let view = self.store.view()?;
        let given = hex::decode(token).ok().filter(|t| t.len() == TOKEN_BYTES).ok_or(ReservationError::NotFound)?;
        let key = view.feed_key()?;
        hmac_of(&key, owner, view.feed_generation(owner.bytes())?)?
            .verify_truncated_left(&given)
            .map_err(|_| ReservationError::NotFound)
    }

    /// The feed, if `token` is its current token; otherwise NotFound, as for an unknown owner.
    pub fn feed(&self, owner: FeedOwner, token: &str, now: DateTime<Utc>) -> Result<Feed> {
        self.check_feed_token(owner, token)?;
        let view = self.store.view()?;
        let name = exists(&view, owner)?;
        let window =
            TimeRange::new(now - Duration::days(FEED_PAST_DAYS), now + self.series.horizon + Duration::days(31));
        let filter = ListFilter {
            room: match owner {
                FeedOwner::Room(id) => Some(id),
                FeedOwner::User(_) => None,
            },
            user: match owner {
                FeedOwner::User(id) => Some(id),
                FeedOwner::Room(_) => None,
            },
            window: Some(window),
            include_cancelled: true,
            after: None,
            limit: FEED_LIMIT,
        };
        let mut rooms: Vec<(RoomId, String)> = Vec::new();
        let mut room_name = |id: RoomId| -> Result<String> {
            if let Some((_, name)) = rooms.iter().find(|(r, _)| *r == id) {
                return Ok(name.clone());
            }
            let name = view.room(id)?.map(|room| room.name).unwrap_or_default();
            rooms.push((id, name.clone()));
            Ok(name)
        };
        let (mut items, mut series) = (Vec::new(), Vec::new());
        let mut seen = Vec::new();
        for r in view.list(&filter)? {
            match r.series_id.filter(|_| r.slot.is_some()) {
                Some(id) if seen.contains(&id) => {}
                Some(id) => {
                    seen.push(id);
                    let mut whole = Vec::new();
                    for o in view.series(id)? {
                        if filter.room.is_none_or(|room| o.room_id == room)
                            && filter.user.is_none_or(|u| o.user_id == u)
                        {
                            let name = room_name(o.room_id)?;
                            whole.push((o, name));
                        }
                    }
                    series.push(whole);
                }
                None => {
                    let name = room_name(r.room_id)?;
                    items.push((r, name));
                }
            }
        }
        Ok(Feed { name, items, series })
    }
}

/// The owner's display name, or NotFound.
fn exists(view: &View, owner: FeedOwner) -> Result<String> {
    let name = match owner {
        FeedOwner::Room(id) => view.room(id)?.map(|r| r.name),
        FeedOwner::User(id) => view.user(id)?.map(|u| u.name),
    };
    name.ok_or(ReservationError::NotFound)
}

fn hmac_of(key: &[u8], owner: FeedOwner, generation: u64) -> Result<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key)
        .map_err(|_| crate::store::StoreError::Corrupt("the calendar feed key is unusable".into()))?;
    mac.update(format!("{}:{generation}", owner.label()).as_bytes());
    Ok(mac)
}

fn mac(key: &[u8], owner: FeedOwner, generation: u64) -> Result<Vec<u8>> {
    let full = hmac_of(key, owner, generation)?.finalize().into_bytes();
    Ok(full[..TOKEN_BYTES].to_vec())
}
