//! Utilization and occupancy: pure functions over rooms and bookings.

use super::hours::{open_intervals, overlap_seconds, spread};
use super::model::*;
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use std::collections::{BTreeMap, HashMap};

/// Live bookings per room (by index into `rooms`), in start order; bookings of other rooms are
/// left out, which is how the room and location filters reach the figures.
pub fn by_room<'a>(rooms: &[RoomRow], bookings: &'a [BookingRow]) -> Vec<Vec<&'a BookingRow>> {
    let index: HashMap<_, _> = rooms.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let mut out = vec![Vec::new(); rooms.len()];
    for b in bookings.iter().filter(|b| b.is_live()) {
        if let Some(&i) = index.get(&b.room_id) {
            out[i].push(b);
        }
    }
    for list in &mut out {
        list.sort_by_key(|b| b.start);
    }
    out
}

/// The bookings of one room overlapping `[from, to)`. A room's live bookings never overlap, so
/// sorted by start they are sorted by end too, and both ends of the slice are binary searches.
fn window<'a>(live: &'a [&'a BookingRow], from: DateTime<Utc>, to: DateTime<Utc>) -> &'a [&'a BookingRow] {
    let first = live.partition_point(|b| b.end <= from);
    let last = live.partition_point(|b| b.start < to).max(first);
    &live[first..last]
}

/// No-shows per room (by index into `rooms`). They no longer hold their slot, so they may
/// overlap later bookings and are kept apart from the live ones.
pub fn no_shows_by_room<'a>(rooms: &[RoomRow], bookings: &'a [BookingRow]) -> Vec<Vec<&'a BookingRow>> {
    let index: HashMap<_, _> = rooms.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let mut out = vec![Vec::new(); rooms.len()];
    for b in bookings.iter().filter(|b| b.no_show) {
        if let Some(&i) = index.get(&b.room_id) {
            out[i].push(b);
        }
    }
    out
}

fn room_figures(
    room: &RoomRow,
    (live, no_shows): (&[&BookingRow], &[&BookingRow]),
    p: &Params,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Utilization {
    let open = open_intervals(room.tz, &room.policy, &p.working_day, from, to);
    let open_seconds: i64 = open.iter().map(|(s, e)| (*e - *s).num_seconds()).sum();
    let (mut booked, mut all, mut count) = (0i64, 0i64, 0u64);
    let (mut used, mut checked_in) = (0i64, 0u64);
    for b in window(live, from, to) {
        let (s, e) = (b.start.max(from), b.end.min(to));
        let inside = overlap_seconds(&open, s, e);
        booked += inside;
        all += (e - s).num_seconds();
        count += 1;
        if b.checked_in {
            used += inside;
            checked_in += 1;
        }
    }
    let missed = no_shows.iter().filter(|b| b.start < to && b.end > from).count() as u64;
    let (open_hours, booked_hours) = (hours(open_seconds), hours(booked));
    let has_checkin_data = checked_in + missed > 0;
    Utilization {
        open_hours,
        booked_hours,
        utilization: ratio(booked_hours, open_hours),
        booked_hours_all: hours(all),
        reservations: count,
        no_shows: missed,
        no_show_rate: ratio(missed as f64, (count + missed) as f64),
        checked_in,
        actual_hours: has_checkin_data.then(|| hours(used)),
        actual_utilization: has_checkin_data.then(|| ratio(hours(used), open_hours)),
        checkin_open_hours: if has_checkin_data { open_hours } else { 0.0 },
    }
}

/// The report's window cut into days (up to 62 days) or calendar months, in `p.zone`.
pub fn periods(p: &Params) -> Vec<(String, DateTime<Utc>, DateTime<Utc>)> {
    let daily = (p.to - p.from).num_days() <= 62;
    let first = p.from.with_timezone(&p.zone).date_naive();
    let mut date = if daily { first } else { first.with_day(1).unwrap_or(first) };
    let mut out = Vec::new();
    loop {
        let next = if daily { date.succ_opt() } else { date.checked_add_months(Months::new(1)) };
        let Some(next) = next else { break };
        let start = local_midnight(p, date).max(p.from);
        let end = local_midnight(p, next).min(p.to);
        if start >= p.to {
            break;
        }
        if start < end {
            let label = if daily { date.format("%Y-%m-%d") } else { date.format("%Y-%m") };
            out.push((label.to_string(), start, end));
        }
        date = next;
    }
    out
}

fn local_midnight(p: &Params, date: NaiveDate) -> DateTime<Utc> {
    super::hours::local_instant(p.zone, date, 0)
}

pub fn utilization(rooms: &[RoomRow], bookings: &[BookingRow], p: &Params) -> UtilizationReport {
    let live = by_room(rooms, bookings);
    let missed = no_shows_by_room(rooms, bookings);
    let mut total = Utilization::default();
    let mut per_location: BTreeMap<&str, (u32, Utilization)> = BTreeMap::new();
    let mut per_room = Vec::with_capacity(rooms.len());
    for ((room, live), missed) in rooms.iter().zip(&live).zip(&missed) {
        let figures = room_figures(room, (live, missed), p, p.from, p.to);
        total.add(&figures);
        let entry = per_location.entry(room.location.as_str()).or_default();
        entry.0 += 1;
        entry.1.add(&figures);
        per_room.push(RoomUtilization {
            room_id: room.id,
            name: room.name.clone(),
            location: room.location.clone(),
            capacity: room.capacity,
            figures,
        });
    }
    let periods = periods(p)
        .into_iter()
        .map(|(period, start, end)| {
            let mut figures = Utilization::default();
            for ((room, live), missed) in rooms.iter().zip(&live).zip(&missed) {
                figures.add(&room_figures(room, (live, missed), p, start, end));
            }
            PeriodUtilization { period, start, end, figures }
        })
        .collect();
    let locations = per_location
        .into_iter()
        .map(|(location, (rooms, figures))| LocationUtilization { location: location.to_string(), rooms, figures })
        .collect();
    UtilizationReport { total, rooms: per_room, locations, periods }
}

pub fn occupancy(rooms: &[RoomRow], bookings: &[BookingRow], p: &Params) -> OccupancyReport {
    let live = by_room(rooms, bookings);
    let mut booked = [[0i64; 24]; 7];
    let mut available = [[0i64; 24]; 7];
    for (room, live) in rooms.iter().zip(&live) {
        spread(room.tz, p.from, p.to, |d, h, s| available[d][h] += s);
        for b in window(live, p.from, p.to) {
            spread(room.tz, b.start.max(p.from), b.end.min(p.to), |d, h, s| booked[d][h] += s);
        }
    }
    let mut heatmap = Vec::with_capacity(7 * 24);
    for d in 0..7 {
        for h in 0..24 {
            heatmap.push(Cell {
                weekday: d as u8,
                hour: h as u8,
                booked_hours: hours(booked[d][h]),
                occupancy: ratio(booked[d][h] as f64, available[d][h] as f64),
            });
        }
    }
    let mut peaks: Vec<Cell> = heatmap.iter().filter(|c| c.booked_hours > 0.0).cloned().collect();
    peaks.sort_by(|a, b| b.occupancy.total_cmp(&a.occupancy).then(b.booked_hours.total_cmp(&a.booked_hours)));
    peaks.truncate(5);
    OccupancyReport { heatmap, peaks }
}
