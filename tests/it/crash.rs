//! The reliability harness: the real binary is killed (SIGKILL) again and again in the middle of
//! a concurrent booking load. After every restart each booking that got a 201 is there, no two
//! live reservations of a room overlap, `salas check` passes, and the event consumers catch up.

use crate::common::process::{Running, run};
use crate::common::{Api, at};
use rand::Rng;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

const ROUNDS: usize = 3;
const CLIENTS: usize = 12;
/// Kill once this many bookings have been acknowledged in the round.
const ACKS_PER_ROUND: usize = 60;

#[test]
fn sigkill_during_a_booking_load_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let acknowledged: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut rooms: Vec<String> = Vec::new();
    for round in 0..ROUNDS {
        let server = Running::start(dir.path());
        rt.block_on(async {
            let api = server.admin().await;
            if rooms.is_empty() {
                for i in 0..4 {
                    rooms.push(api.create_room(&format!("Crash {i}"), 6).await);
                }
            }
            let acked = acknowledged.lock().unwrap().clone();
            verify(&api, &rooms, &acked).await;
            load_until(&api, &rooms, &acknowledged, (round + 1) * ACKS_PER_ROUND).await;
        });
        // Requests are still in flight: this is the crash.
        server.crash();
        let (ok, out, err) = run(&["check"], dir.path());
        assert!(ok, "round {round}: salas check: {out}{err}");
    }
    let server = Running::start(dir.path());
    rt.block_on(async {
        let api = server.admin().await;
        let acked = acknowledged.lock().unwrap().clone();
        verify(&api, &rooms, &acked).await;
        consumers_catch_up(&api).await;
    });
    server.stop();
}

/// Books random one-hour slots from many clients until `target` bookings are acknowledged in
/// total, then returns with the clients still sending.
async fn load_until(api: &Api, rooms: &[String], acked: &Arc<Mutex<HashSet<String>>>, target: usize) {
    let (done_tx, mut done_rx) = tokio::sync::watch::channel(false);
    for _ in 0..CLIENTS {
        let (api, rooms, acked, done_tx) = (api.clone(), rooms.to_vec(), acked.clone(), done_tx.clone());
        tokio::spawn(async move {
            loop {
                let (room, day, hour) = {
                    let mut rng = rand::rng();
                    (rooms[rng.random_range(0..rooms.len())].clone(), rng.random_range(1..30), rng.random_range(0..23))
                };
                let res = api.try_book(&room, &at(day, hour), &at(day, hour + 1)).await;
                if let Some((201, id)) = res {
                    let mut set = acked.lock().unwrap();
                    set.insert(id);
                    if set.len() >= target {
                        let _ = done_tx.send(true);
                    }
                }
            }
        });
    }
    while !*done_rx.borrow() {
        done_rx.changed().await.unwrap();
    }
}

/// Every acknowledged booking is readable; no two live reservations of a room overlap.
async fn verify(api: &Api, rooms: &[String], acked: &HashSet<String>) {
    let mut found = HashSet::new();
    for room in rooms {
        let mut live = Vec::new();
        let mut path = format!("/api/v1/reservations?room_id={room}&limit=500");
        loop {
            let res = api.get(&path).await;
            assert_eq!(res.status, 200, "{}", res.body);
            for r in res.body.as_array().unwrap() {
                found.insert(r["id"].as_str().unwrap().to_string());
                live.push((r["start"].as_str().unwrap().to_string(), r["end"].as_str().unwrap().to_string()));
            }
            match res.header("x-next-cursor") {
                Some(c) => path = format!("/api/v1/reservations?room_id={room}&limit=500&cursor={c}"),
                None => break,
            }
        }
        live.sort();
        for pair in live.windows(2) {
            assert!(pair[0].1 <= pair[1].0, "overlap in {room}: {pair:?}");
        }
    }
    let missing: Vec<_> = acked.difference(&found).collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
}

/// The consumers resume from their durable cursors and reach the end of the log.
async fn consumers_catch_up(api: &Api) {
    for _ in 0..600 {
        let res = api.get("/api/v1/admin/consumers").await;
        assert_eq!(res.status, 200, "{}", res.body);
        let consumers = res.body.as_array().unwrap();
        assert!(!consumers.is_empty());
        if consumers.iter().all(|c| c["lag"] == 0) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the consumers did not catch up: {}", api.get("/api/v1/admin/consumers").await.body);
}
