//! Search and "find a room" over a large catalogue: 4,000 rooms and 1,000 resources (5,000
//! indexed documents) and 50,000 reservations, written straight into a temporary store, indexed
//! by the real search module, then queried through its public API (the same calls the HTTP
//! handlers make, without HTTP). `cargo bench --bench search` prints p50/p99 latencies; run as
//! a test (`--all-targets`) it does one small round.

use chrono::{DateTime, Duration, Utc};
use salas::clock::Clock;
use salas::events::bus::Bus;
use salas::model::reservation::{Reservation, Status};
use salas::model::room::{Resource, Room};
use salas::rooms::policy::Policy;
use salas::search::Search;
use salas::search::finder::{self, Request};
use salas::store::{Store, StoreError, Tx};
use salas::types::{ReservationId, ResourceId, RoomId, TimeRange, UserId};
use std::time::Instant;

const WORDS: [&str; 16] = [
    "Sala", "Reunión", "Meeting", "Room", "Aula", "Despacho", "Norte", "Sur", "North", "South", "Azul", "Verde",
    "Grande", "Pequeña", "Board", "Studio",
];
const EQUIPMENT: [&str; 8] =
    ["Proyector", "Projector", "Pizarra", "Whiteboard", "Videoconferencia", "Pantalla", "Altavoces", "Teléfono"];
const QUERIES: [&str; 10] = [
    "reunion",
    "sala de reu",
    "projetor",
    "meetng room north",
    "pizarra azul",
    "videoconferencias",
    "board",
    "grande norte proyector",
    "studio 12",
    "planta 3",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

// The bench needs bookings in the future, so it reads the wall clock.
#[allow(clippy::disallowed_methods)]
fn now() -> DateTime<Utc> {
    Utc::now()
}

fn catalogue(rooms: usize, resources: usize, rng: &mut Rng) -> (Vec<Room>, Vec<Resource>) {
    let at = now();
    let resources: Vec<Resource> = (0..resources)
        .map(|i| Resource {
            id: ResourceId::new(),
            name: format!("{} {i}", EQUIPMENT[i % EQUIPMENT.len()]),
            description: format!("{} de la planta {}", EQUIPMENT[rng.next(8) as usize], i % 7),
            created_at: at,
            updated_at: at,
        })
        .collect();
    let rooms = (0..rooms)
        .map(|i| {
            let word = |rng: &mut Rng| WORDS[rng.next(WORDS.len() as u64) as usize];
            let n = 1 + rng.next(3);
            let equipment: Vec<ResourceId> =
                (0..n).map(|_| resources[rng.next(resources.len() as u64) as usize].id).collect();
            Room {
                id: RoomId::new(),
                name: format!("{} {} {} {i}", word(rng), word(rng), word(rng)),
                capacity: 2 + rng.next(30) as u32,
                location: format!("Planta {} · {}", rng.next(8), word(rng)),
                description: format!("{} {} con luz natural", word(rng), word(rng)),
                timezone: "Europe/Madrid".into(),
                resources: equipment,
                requires_approval: false,
                checkin: Default::default(),
                policy: Default::default(),
                active: true,
                version: 1,
                created_at: at,
                updated_at: at,
            }
        })
        .collect();
    (rooms, resources)
}

/// `count` reservations spread over the rooms, one-hour meetings with gaps, none overlapping.
fn reservations(rooms: &[Room], count: usize, start: DateTime<Utc>, rng: &mut Rng) -> Vec<Reservation> {
    let user = UserId::new();
    let mut next: Vec<DateTime<Utc>> = vec![start; rooms.len()];
    (0..count)
        .map(|_| {
            let i = rng.next(rooms.len() as u64) as usize;
            let s = next[i] + Duration::hours(rng.next(3) as i64);
            next[i] = s + Duration::hours(1);
            Reservation {
                id: ReservationId::new(),
                room_id: rooms[i].id,
                user_id: user,
                title: "Meeting".into(),
                description: String::new(),
                start: s,
                end: s + Duration::hours(1),
                attendees: vec![],
                status: Status::Confirmed,
                version: 1,
                created_by: user,
                created_at: start,
                updated_at: start,
                cancelled_at: None,
                series_id: None,
                checked_in_at: None,
                decided_by: None,
                decided_at: None,
                decline_reason: None,
                booked_via: None,
                fields: Default::default(),
                calendar_name: None,
                slot: None,
            }
        })
        .collect()
}

fn percentiles(mut micros: Vec<u128>) -> (f64, f64) {
    micros.sort_unstable();
    let at = |p: f64| micros[((micros.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0;
    (at(0.50), at(0.99))
}

#[tokio::main]
async fn main() {
    let (room_count, resource_count, booking_count, rounds) =
        if full_run() { (4_000, 1_000, 50_000, 50) } else { (40, 10, 200, 1) };
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("store");
    // An admin sees every room, as the benchmark always measured.
    let reader = salas::access::Actor::user(UserId::new(), salas::access::Role::Admin);
    let mut rng = Rng(0x5eed_1234_abcd);
    let (rooms, resources) = catalogue(room_count, resource_count, &mut rng);
    let start = (now() + Duration::days(1)).date_naive().and_hms_opt(8, 0, 0).expect("8:00").and_utc();
    let bookings = reservations(&rooms, booking_count, start, &mut rng);
    let t = Instant::now();
    let (rs, res) = (rooms.clone(), resources.clone());
    store
        .write(move |tx: &mut Tx| {
            rs.into_iter().for_each(|r| tx.put_room(r));
            res.into_iter().for_each(|r| tx.put_resource(r));
            Ok::<(), StoreError>(())
        })
        .await
        .expect("catalogue written");
    for chunk in bookings.chunks(5_000) {
        let chunk = chunk.to_vec();
        store
            .write(move |tx: &mut Tx| {
                chunk.into_iter().for_each(|r| tx.put_reservation(r));
                Ok::<(), StoreError>(())
            })
            .await
            .expect("reservations written");
    }
    println!(
        "store: {room_count} rooms, {resource_count} resources, {booking_count} reservations in {:?}",
        t.elapsed()
    );

    let t = Instant::now();
    let (search, _) = Search::open(dir.path(), &store).expect("index opens");
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(search.clone().run(store.clone(), Clock::system(), Bus::default(), true, stop));
    while !search.is_ready() {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    println!("index built (5,000 documents at full size) in {:?}", t.elapsed());

    let mut times = Vec::new();
    for _ in 0..rounds {
        for q in QUERIES {
            let t = Instant::now();
            let hits = search.find(q, 20).await.expect("search");
            times.push(t.elapsed().as_micros());
            std::hint::black_box(hits);
        }
    }
    let (p50, p99) = percentiles(times);
    println!("search (GET /api/v1/search, 20 hits): p50 {p50:.2} ms, p99 {p99:.2} ms");

    let mut times = Vec::new();
    let mut empty = 0;
    for round in 0..rounds {
        for (i, q) in QUERIES.iter().enumerate() {
            let from = start + Duration::hours(((round * 7 + i * 5) % 72) as i64);
            let window = TimeRange::new(from, from + Duration::hours(1));
            let request = Request { capacity: 1 + (i as u32 * 3) % 20, text: q.to_string(), resources: vec![] };
            let t = Instant::now();
            let answer = finder::find(&search, &store, &Policy::default(), &reader, window, &request)
                .await
                .expect("find a room");
            times.push(t.elapsed().as_micros());
            empty += usize::from(answer.rooms.is_empty());
        }
    }
    let (p50, p99) = percentiles(times);
    println!(
        "find a room (GET /api/v1/find-room, 1 h window, text + capacity): p50 {p50:.2} ms, p99 {p99:.2} ms ({empty} of {} with no fit, answered with suggestions)",
        rounds * QUERIES.len()
    );

    let mut times = Vec::new();
    for round in 0..rounds {
        let from = start + Duration::hours((round % 72) as i64);
        let window = TimeRange::new(from, from + Duration::hours(1));
        let request = Request { capacity: 8, text: String::new(), resources: vec![] };
        let t = Instant::now();
        std::hint::black_box(
            finder::find(&search, &store, &Policy::default(), &reader, window, &request).await.expect("find a room"),
        );
        times.push(t.elapsed().as_micros());
    }
    let (p50, p99) = percentiles(times);
    println!("find a room without text (every room checked for the window): p50 {p50:.2} ms, p99 {p99:.2} ms");
    let _ = stop_tx.send(true);
    let _ = task.await;
    store.close();
}
