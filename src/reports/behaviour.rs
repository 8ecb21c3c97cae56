//! How rooms are booked: cancellations, lead time, length, meeting size against capacity, and
//! who books most. Counted over reservations that start in the window.

use super::model::*;
use std::collections::HashMap;

pub fn behaviour(rooms: &[RoomRow], bookings: &[BookingRow], p: &Params) -> BehaviourReport {
    let index: HashMap<_, _> = rooms.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let starting: Vec<(usize, &BookingRow)> = bookings
        .iter()
        .filter(|b| b.start >= p.from && b.start < p.to)
        .filter_map(|b| index.get(&b.room_id).map(|&i| (i, b)))
        .collect();

    let (mut cancellations, mut late, mut no_shows) = (0u64, 0u64, 0u64);
    let (mut live, mut lead, mut length) = (0u64, 0i64, 0i64);
    // Per room: meetings, people, meetings using at most a quarter of the seats.
    let mut sizes = vec![(0u64, 0u64, 0u64); rooms.len()];
    let mut bookers: HashMap<_, Booker> = HashMap::new();
    for (i, b) in &starting {
        let booker = bookers.entry(b.user_id).or_insert_with(|| Booker {
            user_id: b.user_id,
            name: String::new(),
            reservations: 0,
            hours: 0.0,
            cancellations: 0,
        });
        booker.reservations += 1;
        if b.no_show {
            no_shows += 1;
            continue;
        }
        match b.cancelled_at {
            Some(at) => {
                cancellations += 1;
                booker.cancellations += 1;
                if at > b.start - p.late_cancel {
                    late += 1;
                }
            }
            None => {
                live += 1;
                lead += (b.start - b.created_at).num_seconds().max(0);
                length += (b.end - b.start).num_seconds();
                booker.hours += hours((b.end - b.start).num_seconds());
                let size = &mut sizes[*i];
                size.0 += 1;
                size.1 += u64::from(b.people);
                if u64::from(b.people) * 4 <= u64::from(rooms[*i].capacity) {
                    size.2 += 1;
                }
            }
        }
    }

    let sizes = rooms
        .iter()
        .zip(sizes)
        .filter(|(_, (meetings, _, _))| *meetings > 0)
        .map(|(room, (meetings, people, small))| {
            let avg_people = people as f64 / meetings as f64;
            RoomSize {
                room_id: room.id,
                name: room.name.clone(),
                capacity: room.capacity,
                meetings,
                avg_people,
                avg_fill: ratio(avg_people, f64::from(room.capacity)),
                small_meeting_share: small as f64 / meetings as f64,
            }
        })
        .collect();
    let mut top_bookers: Vec<Booker> = bookers.into_values().collect();
    top_bookers.sort_by(|a, b| {
        b.reservations.cmp(&a.reservations).then(b.hours.total_cmp(&a.hours)).then(a.user_id.cmp(&b.user_id))
    });
    top_bookers.truncate(10);
    let total = starting.len() as u64;
    BehaviourReport {
        reservations: total,
        cancellations,
        late_cancellations: late,
        cancellation_rate: ratio(cancellations as f64, total as f64),
        no_shows,
        no_show_rate: ratio(no_shows as f64, (total - cancellations) as f64),
        avg_lead_hours: ratio(hours(lead), live as f64),
        avg_length_minutes: ratio(length as f64 / 60.0, live as f64),
        sizes,
        top_bookers,
    }
}
