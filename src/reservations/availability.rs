//! Free and busy time, and which rooms suit a request.

use crate::rooms::model::{Resource, Room};
use crate::types::{ResourceId, TimeRange};

/// The free parts of `window` given the busy intervals (sorted by start, non-overlapping, as a
/// room's live reservations always are).
pub fn free_slots(window: TimeRange, busy: &[TimeRange]) -> Vec<TimeRange> {
    let mut free = Vec::new();
    let mut cursor = window.start;
    for b in busy {
        if b.start > cursor {
            free.push(TimeRange::new(cursor, b.start.min(window.end)));
        }
        cursor = cursor.max(b.end);
        if cursor >= window.end {
            break;
        }
    }
    if cursor < window.end {
        free.push(TimeRange::new(cursor, window.end));
    }
    free
}

/// What someone looking for a room needs.
#[derive(Clone, Debug, Default)]
pub struct Need {
    pub capacity: u32,
    /// Words that must each appear in the room's name, location, description or equipment.
    pub text: String,
    pub resources: Vec<ResourceId>,
}

/// Whether `room` (with its equipment `equipment`) meets `need`, ignoring time.
pub fn suits(room: &Room, equipment: &[&Resource], need: &Need) -> bool {
    if !room.active || room.capacity < need.capacity || !need.resources.iter().all(|r| room.resources.contains(r)) {
        return false;
    }
    let haystack = fold(&format!(
        "{} {} {} {}",
        room.name,
        room.location,
        room.description,
        equipment.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(" ")
    ));
    fold(&need.text).split_whitespace().all(|word| haystack.contains(word))
}

/// Best first: the smallest room that fits (a 4-person meeting should not take the 20-seat
/// room), then by name.
pub fn rank(rooms: &mut [Room]) {
    rooms.sort_by(|a, b| a.capacity.cmp(&b.capacity).then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase())));
}

/// Lower case without the accents of Spanish and other Western languages, so "reunion"
/// finds "Reunión".
fn fold(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' | 'ã' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'õ' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::RoomId;
    use chrono::{TimeZone, Utc};

    fn t(h: u32) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 4, h, 0, 0).unwrap()
    }

    fn r(a: u32, b: u32) -> TimeRange {
        TimeRange::new(t(a), t(b))
    }

    #[test]
    fn free_is_the_complement_of_busy() {
        assert_eq!(free_slots(r(8, 18), &[]), vec![r(8, 18)]);
        assert_eq!(free_slots(r(8, 18), &[r(9, 10), r(12, 13)]), vec![r(8, 9), r(10, 12), r(13, 18)]);
        // Busy intervals reaching outside the window are clipped.
        assert_eq!(free_slots(r(8, 18), &[r(7, 9), r(17, 20)]), vec![r(9, 17)]);
        assert_eq!(free_slots(r(8, 18), &[r(7, 20)]), vec![]);
        assert_eq!(free_slots(r(8, 18), &[r(9, 10), r(10, 11)]), vec![r(8, 9), r(11, 18)]);
    }

    fn room(name: &str, capacity: u32) -> Room {
        let now = t(0);
        Room {
            id: RoomId::new(),
            name: name.into(),
            capacity,
            location: "Planta 2".into(),
            description: String::new(),
            timezone: "Europe/Madrid".into(),
            resources: vec![],
            requires_approval: false,
            active: true,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn suitability_and_rank() {
        let need = Need { capacity: 6, text: "reunion planta".into(), resources: vec![] };
        assert!(suits(&room("Sala de Reunión", 8), &[], &need));
        assert!(!suits(&room("Sala de Reunión", 4), &[], &need));
        assert!(!suits(&room("Cabina", 8), &[], &need));
        let mut rooms = vec![room("B", 20), room("A", 8), room("C", 8)];
        rank(&mut rooms);
        let names: Vec<_> = rooms.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["A", "C", "B"]);
    }
}
