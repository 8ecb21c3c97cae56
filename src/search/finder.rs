//! "Find me a room": the rooms free for a whole window that fit a need, best fit first; and when
//! none does, the nearest alternatives: the next free windows of the same length in rooms that
//! fit, and rooms free at that time that miss exactly one criterion (said which).

use super::{Search, SearchError, query};
use crate::model::policy::Policy;
use crate::model::room::{Resource, Room};
use crate::reservations::availability::bookable_in;
use crate::store::{Store, View};
use crate::types::{ResourceId, RoomId, TimeRange};
use chrono::Duration;
use std::collections::HashMap;

/// How far after the wanted start the next free windows are looked for.
const HORIZON_DAYS: i64 = 7;
/// Alternatives of each kind offered.
const SUGGESTIONS: usize = 5;
/// Most fitting rooms returned: candidates are ranked first and checked for the window in that
/// order, so a large catalogue costs only the checks of the rooms shown.
pub const MAX_ROOMS: usize = 100;

#[derive(Clone, Debug, Default)]
pub struct Request {
    pub capacity: u32,
    pub text: String,
    pub resources: Vec<ResourceId>,
}

/// The one thing a room lacks.
#[derive(Clone, Debug, PartialEq)]
pub enum Miss {
    /// It seats fewer people.
    Capacity { seats: u32 },
    /// It lacks this equipment.
    Resource { name: String },
    /// It does not match the search words.
    Text,
}

pub struct NearMiss {
    pub room: Room,
    pub miss: Miss,
}

pub struct NextWindow {
    pub room: Room,
    pub window: TimeRange,
}

#[derive(Default)]
pub struct Answer {
    pub rooms: Vec<Room>,
    pub next_windows: Vec<NextWindow>,
    pub near_misses: Vec<NearMiss>,
}

/// The rooms free for all of `window` that meet `req`, best fit first, with alternatives when
/// there are none; only rooms `who` may see. Free means bookable: open under the room's policy
/// (`global` is the `[policies]` default), not taken, and clear of its buffer. The window must
/// have been validated.
pub async fn find(
    search: &Search,
    store: &Store,
    global: &Policy,
    who: &crate::access::Actor,
    window: TimeRange,
    req: &Request,
) -> Result<Answer, SearchError> {
    let scores =
        if query::words(&req.text).0.is_empty() { None } else { Some(search.room_scores(&req.text, 0).await?) };
    let view = store.view()?;
    let resources = view.resources()?;
    let (mut candidates, mut near) = (Vec::new(), Vec::new());
    let access = store.access();
    let visible = |r: &Room| r.active && access.may_see(who.role, who.id, r.id);
    // From memory: every request looks at every room, and decoding them all was most of its cost.
    for room in store.rooms().iter().filter(|r| visible(r)).cloned() {
        let misses = judge(&room, req, scores.as_ref(), &resources);
        match misses.len() {
            0 => {
                let text = scores.as_ref().and_then(|s| s.get(&room.id).copied());
                candidates.push((room, text));
            }
            1 => near.extend(misses.into_iter().map(|miss| NearMiss { room: room.clone(), miss })),
            _ => {}
        }
    }
    let (mut rooms, mut busy) = (Vec::new(), Vec::new());
    for room in rank(candidates, req.capacity) {
        if rooms.len() == MAX_ROOMS {
            break;
        }
        if bookable_in(&view, global, &room, window)? == [window] {
            rooms.push(room);
        } else {
            busy.push(room);
        }
    }
    if !rooms.is_empty() {
        return Ok(Answer { rooms, ..Answer::default() });
    }
    let next_windows = next_windows(&view, global, busy, window, req.capacity)?;
    let mut near_misses = Vec::new();
    near.sort_by(|a, b| miss_order(&a.miss).cmp(&miss_order(&b.miss)).then(a.room.capacity.cmp(&b.room.capacity)));
    for n in near {
        if near_misses.len() == SUGGESTIONS {
            break;
        }
        if bookable_in(&view, global, &n.room, window)? == [window] {
            near_misses.push(n);
        }
    }
    Ok(Answer { rooms: Vec::new(), next_windows, near_misses })
}

/// Every criterion of `req` that `room` misses (time aside).
pub fn judge(room: &Room, req: &Request, scores: Option<&HashMap<RoomId, f32>>, resources: &[Resource]) -> Vec<Miss> {
    let mut misses = Vec::new();
    if room.capacity < req.capacity {
        misses.push(Miss::Capacity { seats: room.capacity });
    }
    for wanted in req.resources.iter().filter(|r| !room.resources.contains(r)) {
        let name = resources.iter().find(|r| r.id == *wanted).map(|r| r.name.clone()).unwrap_or_default();
        misses.push(Miss::Resource { name });
    }
    if scores.is_some_and(|s| !s.contains_key(&room.id)) {
        misses.push(Miss::Text);
    }
    misses
}

/// Best fit first. Rooms that match the words well (at least half the best score) come before
/// the weaker matches (a typo, a word only in the description); within each group the room
/// whose size is closest above the need comes first (a 4-person meeting should not take the
/// 20-seat room), then the better text match, then the name.
pub fn rank(rooms: Vec<(Room, Option<f32>)>, need: u32) -> Vec<Room> {
    let best = rooms.iter().filter_map(|(_, s)| *s).fold(0.0f32, f32::max);
    let strong = |s: Option<f32>| s.is_none_or(|s| best <= 0.0 || s >= best / 2.0);
    let mut rooms = rooms;
    rooms.sort_by(|(a, sa), (b, sb)| {
        strong(*sb)
            .cmp(&strong(*sa))
            .then(a.capacity.saturating_sub(need).cmp(&b.capacity.saturating_sub(need)))
            .then(sb.unwrap_or(0.0).total_cmp(&sa.unwrap_or(0.0)))
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
    });
    rooms.into_iter().map(|(r, _)| r).collect()
}

/// The first stretch of `len` within the free intervals.
pub fn first_fit(free: &[TimeRange], len: Duration) -> Option<TimeRange> {
    free.iter().find(|f| f.end - f.start >= len).map(|f| TimeRange::new(f.start, f.start + len))
}

fn next_windows(
    view: &View,
    global: &Policy,
    rooms: Vec<Room>,
    window: TimeRange,
    need: u32,
) -> Result<Vec<NextWindow>, SearchError> {
    let len = window.end - window.start;
    let horizon = TimeRange::new(window.start, window.start + Duration::days(HORIZON_DAYS) + len);
    let mut out = Vec::new();
    for room in rooms {
        if let Some(w) = first_fit(&bookable_in(view, global, &room, horizon)?, len) {
            out.push(NextWindow { room, window: w });
        }
    }
    out.sort_by(|a, b| {
        a.window
            .start
            .cmp(&b.window.start)
            .then(a.room.capacity.saturating_sub(need).cmp(&b.room.capacity.saturating_sub(need)))
    });
    out.truncate(SUGGESTIONS);
    Ok(out)
}

fn miss_order(m: &Miss) -> u8 {
    match m {
        Miss::Capacity { .. } => 0,
        Miss::Resource { .. } => 1,
        Miss::Text => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn room(name: &str, capacity: u32) -> Room {
        let now = Utc.with_ymd_and_hms(2026, 5, 4, 0, 0, 0).unwrap();
        Room {
            id: RoomId::new(),
            name: name.into(),
            capacity,
            location: String::new(),
            description: String::new(),
            timezone: "UTC".into(),
            resources: vec![],
            requires_approval: false,
            checkin: Default::default(),
            policy: Default::default(),
            active: true,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    fn r0() -> Room {
        room("", 0)
    }

    fn names(rooms: &[Room]) -> Vec<&str> {
        rooms.iter().map(|r| r.name.as_str()).collect()
    }

    #[test]
    fn closest_size_first_among_strong_matches() {
        let rooms = vec![
            (room("Big", 20), Some(10.0)),
            (room("Typo", 6), Some(2.0)),
            (room("Small", 6), Some(6.0)),
            (room("Tiny", 4), Some(9.0)),
        ];
        assert_eq!(names(&rank(rooms, 4)), ["Tiny", "Small", "Big", "Typo"]);
        let plain = vec![(room("B", 8), None), (room("A", 8), None), (room("C", 2), None)];
        assert_eq!(names(&rank(plain, 1)), ["C", "A", "B"]);
    }

    #[test]
    fn judging_names_each_miss() {
        let projector = Resource {
            id: ResourceId::new(),
            name: "Proyector".into(),
            description: String::new(),
            created_at: r0().created_at,
            updated_at: r0().created_at,
        };
        let r = room("Sala", 4);
        let req = Request { capacity: 6, text: "x".into(), resources: vec![projector.id] };
        let scores = HashMap::from([(r.id, 1.0)]);
        assert_eq!(
            judge(&r, &req, Some(&scores), std::slice::from_ref(&projector)),
            [Miss::Capacity { seats: 4 }, Miss::Resource { name: "Proyector".into() }]
        );
        assert_eq!(judge(&r, &Request::default(), Some(&HashMap::new()), &[]), [Miss::Text]);
        assert!(judge(&r, &Request::default(), None, &[]).is_empty());
    }

    #[test]
    fn first_fit_takes_the_first_long_enough_gap() {
        let t = |h| Utc.with_ymd_and_hms(2026, 5, 4, h, 0, 0).unwrap();
        let free = [TimeRange::new(t(8), t(9)), TimeRange::new(t(11), t(14))];
        assert_eq!(first_fit(&free, Duration::hours(2)), Some(TimeRange::new(t(11), t(13))));
        assert_eq!(first_fit(&free, Duration::hours(4)), None);
    }
}
