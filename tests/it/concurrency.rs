//! Under any concurrency, two live reservations of one room never overlap.

use crate::common::{TestServer, at};
use rand::Rng;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_clients_racing_for_one_slot_get_one_booking() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Contended", 10).await;
    let (start, end) = (at(3, 10), at(3, 11));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (api, room, start, end) = (admin.clone(), room.clone(), start.clone(), end.clone());
            tokio::spawn(async move { api.book(&room, &start, &end).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        let res = t.await.unwrap();
        if res.status == 409 {
            assert_eq!(res.body["conflicts"].as_array().map(Vec::len), Some(1), "{}", res.body);
        }
        statuses.push(res.status);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 63, "{statuses:?}");
    let list = admin.get(&format!("/api/v1/reservations?room_id={room}")).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    s.stop().await;
}

/// Random bookings, moves and cancellations over a few rooms from many clients at once; the
/// state read back afterwards has no overlap, and every 201 is in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mixed_random_workload_never_double_books() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let mut rooms = Vec::new();
    for i in 0..4 {
        rooms.push(admin.create_room(&format!("Room {i}"), 6).await);
    }
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let (api, rooms) = (admin.clone(), rooms.clone());
            tokio::spawn(async move {
                let mut created = Vec::new();
                for _ in 0..15 {
                    let (room, day, hour, len, action) = {
                        let mut rng = rand::rng();
                        let room = rooms[rng.random_range(0..rooms.len())].clone();
                        (room, rng.random_range(1..3), rng.random_range(8..18), rng.random_range(1..4), rng.random_range(0..10))
                    };
                    match (action, created.last().cloned()) {
                        (0..=6, _) | (_, None) => {
                            let res = api.book(&room, &at(day, hour), &at(day, hour + len)).await;
                            assert!(res.status == 201 || res.status == 409, "{} {}", res.status, res.body);
                            if res.status == 201 {
                                created.push(res.body["id"].as_str().unwrap().to_string());
                            }
                        }
                        (7..=8, Some(id)) => {
                            let body = serde_json::json!({"room_id": room, "start": at(day, hour), "end": at(day, hour + len)});
                            let res = api.patch(&format!("/api/v1/reservations/{id}"), body).await;
                            assert!([200, 409].contains(&res.status), "{} {}", res.status, res.body);
                        }
                        (_, Some(id)) => {
                            let res = api.post(&format!("/api/v1/reservations/{id}/cancel"), Value::Null).await;
                            assert_eq!(res.status, 200, "{}", res.body);
                        }
                    }
                }
                created
            })
        })
        .collect();
    let mut acknowledged = Vec::new();
    for t in tasks {
        acknowledged.extend(t.await.unwrap());
    }
    let mut live = Vec::new();
    for room in &rooms {
        let res = admin.get(&format!("/api/v1/reservations?room_id={room}&include_cancelled=true&limit=500")).await;
        for r in res.body.as_array().unwrap() {
            let id = r["id"].as_str().unwrap().to_string();
            acknowledged.retain(|a| *a != id);
            if r["status"] == "confirmed" {
                live.push((
                    room.clone(),
                    r["start"].as_str().unwrap().to_string(),
                    r["end"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    assert!(acknowledged.is_empty(), "acknowledged but missing: {acknowledged:?}");
    for (i, a) in live.iter().enumerate() {
        for b in &live[i + 1..] {
            let (sa, ea) = (parse(&a.1), parse(&a.2));
            let (sb, eb) = (parse(&b.1), parse(&b.2));
            assert!(a.0 != b.0 || ea <= sb || eb <= sa, "overlap: {a:?} {b:?}");
        }
    }
    assert!(live.len() > 5, "the workload booked something");
    let dir = s.stop().await;
    assert_eq!(crate::common::check_store(dir.path()).await, Vec::<String>::new());
}

fn parse(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}
