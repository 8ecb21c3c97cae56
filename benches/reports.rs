//! Reports over a year of data for 50 rooms (about 100,000 reservations): the pure computation
//! (`salas::reports::compute_all`: utilization per room, location and month, the weekday × hour
//! heatmap, behaviour) and the XLSX and PDF renderings, timed on generated rows. `cargo bench
//! --bench reports` prints the figures; run as a test (`--all-targets`) it does one small round.

use chrono::{DateTime, Duration, TimeZone, Utc};
use salas::reports::hours::WorkingDay;
use salas::reports::model::{BookingRow, Params, RoomRow};
use salas::reports::{compute_all, export, pdf};
use salas::types::{RoomId, UserId};
use std::time::Instant;

const ZONES: [chrono_tz::Tz; 3] = [chrono_tz::Europe::Madrid, chrono_tz::America::New_York, chrono_tz::Asia::Tokyo];

/// Deterministic pseudo-random numbers (xorshift), so every run measures the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// `per_day` back-to-back-free meetings a weekday in each room, between 08:00 and 18:00 UTC.
fn data(rooms: usize, days: i64, per_day: u64) -> (Vec<RoomRow>, Vec<BookingRow>, DateTime<Utc>) {
    let from = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single().expect("a valid date");
    let rooms: Vec<RoomRow> = (0..rooms)
        .map(|i| RoomRow {
            id: RoomId::new(),
            name: format!("Room {i:02}"),
            location: format!("Floor {}", i % 5),
            capacity: 2 + (i as u32 % 6) * 2,
            tz: ZONES[i % ZONES.len()],
            policy: Default::default(),
        })
        .collect();
    let users: Vec<UserId> = (0..200).map(|_| UserId::new()).collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut bookings = Vec::new();
    for day in 0..days {
        let date = from + Duration::days(day);
        for room in &rooms {
            // One slot of 10 / per_day hours each; a meeting takes 30 to 60 minutes of it.
            let slot = 600 / per_day as i64;
            for k in 0..per_day as i64 {
                let start = date + Duration::hours(8) + Duration::minutes(k * slot);
                let cancelled = rng.next(10) == 0;
                bookings.push(BookingRow {
                    room_id: room.id,
                    user_id: users[rng.next(users.len() as u64) as usize],
                    start,
                    end: start + Duration::minutes(30 + rng.next(31) as i64),
                    created_at: start - Duration::hours(1 + rng.next(400) as i64),
                    cancelled_at: cancelled.then(|| start - Duration::hours(rng.next(48) as i64)),
                    people: 1 + rng.next(8) as u32,
                    no_show: false,
                    checked_in: false,
                });
            }
        }
    }
    (rooms, bookings, from)
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (rooms, days, per_day) = if full { (50, 365, 6) } else { (5, 30, 2) };
    let (rooms, bookings, from) = data(rooms, days, per_day);
    let params = Params {
        from,
        to: from + Duration::days(days),
        working_day: WorkingDay::default(),
        late_cancel: Duration::hours(24),
        zone: chrono_tz::Europe::Madrid,
    };
    let runs = if full { 5 } else { 1 };
    let mut times = Vec::new();
    let mut report = None;
    for _ in 0..runs {
        let t = Instant::now();
        report = Some(compute_all(&rooms, &bookings, &params));
        times.push(t.elapsed());
    }
    let Some(report) = report else { return };
    times.sort();
    let t = Instant::now();
    let xlsx = export::report_xlsx(&report).map(|b| b.len()).unwrap_or(0);
    let xlsx_time = t.elapsed();
    let t = Instant::now();
    let pdf = pdf::render(&report, "Salas room report").len();
    let pdf_time = t.elapsed();
    println!("reports over {} rooms, {} days, {} reservations", rooms.len(), days, bookings.len());
    println!(
        "  compute_all: median {:.1} ms, min {:.1} ms, max {:.1} ms ({runs} runs)",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3
    );
    println!(
        "  xlsx: {:.1} ms, {xlsx} bytes; pdf: {:.1} ms, {pdf} bytes",
        xlsx_time.as_secs_f64() * 1e3,
        pdf_time.as_secs_f64() * 1e3
    );
    println!("  utilization {:.3}, {} periods", report.utilization.total.utilization, report.utilization.periods.len());
}
