//! Hand-computed fixtures: a week in March 2026 that ends on Madrid's spring-forward Sunday,
//! with a room in Madrid and one in New York (different zones, so different open instants).

use super::hours::WorkingDay;
use super::model::*;
use super::{behaviour, compute, compute_all};
use crate::types::{RoomId, UserId};
use chrono::{DateTime, Duration, Utc};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

struct Fixture {
    rooms: Vec<RoomRow>,
    bookings: Vec<BookingRow>,
    params: Params,
    u1: UserId,
    u2: UserId,
}

fn booking(room: &RoomRow, user: UserId, start: &str, end: &str, lead_hours: i64, people: u32) -> BookingRow {
    let start = utc(start);
    BookingRow {
        room_id: room.id,
        user_id: user,
        start,
        end: utc(end),
        created_at: start - Duration::hours(lead_hours),
        cancelled_at: None,
        people,
        no_show: false,
        checked_in: false,
    }
}

fn fixture() -> Fixture {
    let madrid = RoomRow {
        id: RoomId::new(),
        name: "Sala Grande".into(),
        location: "HQ".into(),
        capacity: 12,
        tz: chrono_tz::Europe::Madrid,
        policy: Default::default(),
    };
    let ny = RoomRow {
        id: RoomId::new(),
        name: "Hudson".into(),
        location: "NY".into(),
        capacity: 4,
        tz: chrono_tz::America::New_York,
        policy: Default::default(),
    };
    let (u1, u2) = (UserId::new(), UserId::new());
    let mut late = booking(&madrid, u1, "2026-03-25T10:00:00+01:00", "2026-03-25T11:00:00+01:00", 100, 1);
    late.cancelled_at = Some(late.start - Duration::hours(2));
    let mut early = booking(&ny, u2, "2026-03-27T09:00:00-04:00", "2026-03-27T10:00:00-04:00", 100, 1);
    early.cancelled_at = Some(early.start - Duration::days(3));
    let bookings = vec![
        // Monday 09:00–11:00: all open, booked a week ahead, two people.
        booking(&madrid, u1, "2026-03-23T09:00:00+01:00", "2026-03-23T11:00:00+01:00", 168, 2),
        // Tuesday 17:00–19:00: one hour of it is after closing.
        booking(&madrid, u1, "2026-03-24T17:00:00+01:00", "2026-03-24T19:00:00+01:00", 24, 1),
        // The spring-forward night, 01:30–03:30 local: one real hour, none of it open.
        booking(&madrid, u1, "2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00", 48, 1),
        late,
        booking(&ny, u2, "2026-03-26T10:00:00-04:00", "2026-03-26T12:00:00-04:00", 12, 4),
        early,
        // After the window: ignored.
        booking(&madrid, u2, "2026-03-30T09:00:00+02:00", "2026-03-30T10:00:00+02:00", 1, 1),
    ];
    let params = Params {
        from: utc("2026-03-23T00:00:00+01:00"),
        to: utc("2026-03-30T00:00:00+02:00"),
        working_day: WorkingDay::default(),
        late_cancel: Duration::hours(24),
        zone: chrono_tz::Europe::Madrid,
    };
    Fixture { rooms: vec![madrid, ny], bookings, params, u1, u2 }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn utilization_per_room_location_and_total() {
    let f = fixture();
    let u = compute::utilization(&f.rooms, &f.bookings, &f.params);
    let a = &u.rooms[0].figures;
    assert_eq!((a.open_hours, a.booked_hours, a.booked_hours_all, a.reservations), (50.0, 3.0, 5.0, 3));
    assert!(close(a.utilization, 0.06));
    let b = &u.rooms[1].figures;
    assert_eq!((b.open_hours, b.booked_hours, b.booked_hours_all, b.reservations), (50.0, 2.0, 2.0, 1));
    assert_eq!((u.total.open_hours, u.total.booked_hours), (100.0, 5.0));
    assert!(close(u.total.utilization, 0.05));
    let names: Vec<_> = u.locations.iter().map(|l| (l.location.as_str(), l.rooms, l.figures.booked_hours)).collect();
    assert_eq!(names, vec![("HQ", 1, 3.0), ("NY", 1, 2.0)]);
}

#[test]
fn periods_are_local_days_and_the_dst_day_is_23_hours() {
    let f = fixture();
    let u = compute::utilization(&f.rooms, &f.bookings, &f.params);
    let labels: Vec<_> = u.periods.iter().map(|p| p.period.as_str()).collect();
    assert_eq!(
        labels,
        ["2026-03-23", "2026-03-24", "2026-03-25", "2026-03-26", "2026-03-27", "2026-03-28", "2026-03-29"]
    );
    let sunday = &u.periods[6];
    assert_eq!(sunday.end - sunday.start, Duration::hours(23));
    assert_eq!((sunday.figures.open_hours, sunday.figures.booked_hours_all), (0.0, 1.0));
    // Thursday in Madrid's day: both rooms' working days fit inside it; the New York meeting.
    let thursday = &u.periods[3].figures;
    assert_eq!((thursday.open_hours, thursday.booked_hours), (20.0, 2.0));
    let sum: f64 = u.periods.iter().map(|p| p.figures.open_hours).sum();
    assert_eq!(sum, u.total.open_hours);
}

#[test]
fn months_beyond_62_days() {
    let mut p = fixture().params;
    p.from = utc("2026-01-15T00:00:00Z");
    p.to = utc("2026-04-10T00:00:00Z");
    let labels: Vec<_> = compute::periods(&p).into_iter().map(|(l, _, _)| l).collect();
    assert_eq!(labels, ["2026-01", "2026-02", "2026-03", "2026-04"]);
}

#[test]
fn heatmap_in_local_hours_and_peaks() {
    let f = fixture();
    let o = compute::occupancy(&f.rooms, &f.bookings, &f.params);
    let cell = |d: usize, h: usize| &o.heatmap[d * 24 + h];
    assert_eq!(o.heatmap.len(), 168);
    // Monday 09:00: Madrid booked, New York free; each room has one Monday 09:00 in the window.
    assert_eq!((cell(0, 9).booked_hours, cell(0, 9).occupancy), (1.0, 0.5));
    // Thursday 10:00 and 11:00 New York time.
    assert_eq!(cell(3, 10).booked_hours, 1.0);
    assert_eq!(cell(3, 14).booked_hours, 0.0);
    // The DST night: half an hour at 01:00 and at 03:00; 02:00 did not exist in Madrid.
    assert_eq!((cell(6, 1).booked_hours, cell(6, 1).occupancy), (0.5, 0.25));
    assert_eq!((cell(6, 2).booked_hours, cell(6, 3).booked_hours), (0.0, 0.5));
    let total: f64 = o.heatmap.iter().map(|c| c.booked_hours).sum();
    assert_eq!(total, 7.0);
    let peaks: Vec<_> = o.peaks.iter().map(|c| (c.weekday, c.hour)).collect();
    assert_eq!(peaks, vec![(0, 9), (0, 10), (1, 17), (1, 18), (3, 10)]);
}

#[test]
fn behaviour_figures() {
    let f = fixture();
    let b = behaviour::behaviour(&f.rooms, &f.bookings, &f.params);
    assert_eq!((b.reservations, b.cancellations, b.late_cancellations), (6, 2, 1));
    assert!(close(b.cancellation_rate, 1.0 / 3.0));
    // (168 + 24 + 48 + 12) / 4 and (120 + 120 + 60 + 120) / 4.
    assert!(close(b.avg_lead_hours, 63.0));
    assert!(close(b.avg_length_minutes, 105.0));
    assert_eq!(b.sizes.len(), 2);
    assert_eq!((b.sizes[0].meetings, b.sizes[0].small_meeting_share), (3, 1.0));
    assert!(close(b.sizes[0].avg_people, 4.0 / 3.0));
    assert!(close(b.sizes[0].avg_fill, 4.0 / 36.0));
    assert_eq!((b.sizes[1].avg_people, b.sizes[1].avg_fill, b.sizes[1].small_meeting_share), (4.0, 1.0, 0.0));
    let top: Vec<_> = b.top_bookers.iter().map(|t| (t.user_id, t.reservations, t.hours, t.cancellations)).collect();
    assert_eq!(top, vec![(f.u1, 4, 5.0, 1), (f.u2, 2, 2.0, 1)]);
}

#[test]
fn filters_leave_other_rooms_out() {
    let f = fixture();
    let report = compute_all(&f.rooms[1..], &f.bookings, &f.params);
    assert_eq!(report.utilization.total.booked_hours, 2.0);
    assert_eq!(report.behaviour.reservations, 2);
    let empty = compute_all(&[], &f.bookings, &f.params);
    assert_eq!(empty.utilization.total.utilization, 0.0);
    assert!(empty.occupancy.peaks.is_empty());
}

#[test]
fn no_shows_and_actual_use_where_check_in_data_exists() {
    let mut f = fixture();
    // Madrid: Monday 09–11 and Tuesday 17–19 (one open hour) checked in; a Wednesday no-show.
    f.bookings[0].checked_in = true;
    f.bookings[1].checked_in = true;
    let mut missed = booking(&f.rooms[0], f.u1, "2026-03-25T12:00:00+01:00", "2026-03-25T13:00:00+01:00", 5, 1);
    missed.no_show = true;
    f.bookings.push(missed);
    let u = compute::utilization(&f.rooms, &f.bookings, &f.params);
    let madrid = &u.rooms[0].figures;
    // The no-show holds no slot: booked figures are those without it.
    assert_eq!((madrid.reservations, madrid.booked_hours, madrid.no_shows, madrid.checked_in), (3, 3.0, 1, 2));
    assert!(close(madrid.no_show_rate, 0.25));
    assert_eq!((madrid.actual_hours, madrid.actual_utilization), (Some(3.0), Some(0.06)));
    // New York has no check-in data: no actual-use figures rather than a misleading zero.
    let ny = &u.rooms[1].figures;
    assert_eq!((ny.actual_hours, ny.actual_utilization, ny.no_shows), (None, None, 0));
    // The total's actual use is over the open hours of the rooms with check-in data only.
    assert_eq!((u.total.actual_hours, u.total.actual_utilization, u.total.no_shows), (Some(3.0), Some(0.06), 1));
    assert!(close(u.total.no_show_rate, 0.2));
    let wednesday = &u.periods[2].figures;
    assert_eq!((wednesday.no_shows, wednesday.actual_hours), (1, Some(0.0)));
    let b = behaviour::behaviour(&f.rooms, &f.bookings, &f.params);
    assert_eq!((b.reservations, b.cancellations, b.no_shows), (7, 2, 1));
    assert!(close(b.no_show_rate, 0.2));
    // Lead time and length stay those of the meetings that held their slot.
    assert!(close(b.avg_lead_hours, 63.0));
}
