//! Property test: the booking service against a brute-force model. Any sequence of bookings,
//! moves and cancellations is accepted or refused exactly as the model says, and the stored
//! state equals the model's.

use proptest::prelude::*;
use salas::access::{Actor, Role};
use salas::reservations::{ListQuery, NewReservation, ReservationError, ReservationPatch, Reservations};
use salas::store::Store;
use salas::types::{ReservationId, RoomId, UserId};

#[derive(Clone, Debug)]
enum Op {
    Book { room: usize, start: i64, len: i64 },
    Move { which: usize, room: usize, start: i64, len: i64 },
    Cancel { which: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, 0..40i64, 1..8i64).prop_map(|(room, start, len)| Op::Book { room, start, len }),
        2 => (any::<usize>(), 0..3usize, 0..40i64, 1..8i64).prop_map(|(which, room, start, len)| Op::Move { which, room, start, len }),
        1 => any::<usize>().prop_map(|which| Op::Cancel { which }),
    ]
}

/// The model: (room, start, end, live) per booking, by a linear scan.
fn clashes(model: &[(usize, i64, i64, bool)], room: usize, s: i64, e: i64, except: Option<usize>) -> bool {
    model.iter().enumerate().any(|(i, &(r, a, b, live))| live && r == room && Some(i) != except && a < e && s < b)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn service_matches_the_model(ops in prop::collection::vec(op(), 1..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(dir.path()).unwrap();
            let service = Reservations::new(store.clone(), &salas::config::BookingConfig::default());
            let actor = Actor::user(UserId::new(), Role::Admin);
            let rooms = create_rooms(&store, 3).await;
            // Quarter-hour slots from tomorrow on.
            let base = salas::clock::now() + chrono::Duration::days(1);
            let t = |q: i64| base + chrono::Duration::minutes(15 * q);
            let mut model: Vec<(usize, i64, i64, bool)> = Vec::new();
            let mut ids: Vec<ReservationId> = Vec::new();
            for op in ops {
                match op {
                    Op::Book { room, start, len } => {
                        let input = NewReservation { room_id: rooms[room], title: "m".into(), description: None, fields: None,
                            start: t(start), end: t(start + len), attendees: vec![], user_id: None };
                        let expect_clash = clashes(&model, room, start, start + len, None);
                        match service.create(&actor, input).await {
                            Ok(r) => { prop_assert!(!expect_clash); model.push((room, start, start + len, true)); ids.push(r.id); }
                            Err(ReservationError::Conflict(_)) => prop_assert!(expect_clash),
                            Err(e) => prop_assert!(false, "unexpected {e}"),
                        }
                    }
                    Op::Move { which, room, start, len } if !ids.is_empty() => {
                        let i = which % ids.len();
                        let patch = ReservationPatch { room_id: Some(rooms[room]), start: Some(t(start)), end: Some(t(start + len)), ..Default::default() };
                        let expect_clash = clashes(&model, room, start, start + len, Some(i));
                        match service.update(&actor, ids[i], patch, None).await {
                            Ok(_) => { prop_assert!(model[i].3 && !expect_clash); model[i] = (room, start, start + len, true); }
                            Err(ReservationError::Conflict(_)) => prop_assert!(expect_clash),
                            Err(ReservationError::Cancelled) => prop_assert!(!model[i].3),
                            Err(e) => prop_assert!(false, "unexpected {e}"),
                        }
                    }
                    Op::Cancel { which } if !ids.is_empty() => {
                        let i = which % ids.len();
                        prop_assert!(service.cancel(&actor, ids[i], None).await.is_ok());
                        model[i].3 = false;
                    }
                    _ => {}
                }
            }
            for (ri, room) in rooms.iter().enumerate() {
                let q = ListQuery { room: Some(*room), user: None, mine: false, from: None, to: None,
                    include_cancelled: false, cursor: None, limit: 500 };
                let mut stored: Vec<(i64, i64)> = service.list(&actor, q).unwrap().items.iter()
                    .map(|r| ((r.start - base).num_minutes() / 15, (r.end - base).num_minutes() / 15)).collect();
                let mut expected: Vec<(i64, i64)> = model.iter().filter(|m| m.0 == ri && m.3).map(|m| (m.1, m.2)).collect();
                stored.sort();
                expected.sort();
                prop_assert_eq!(stored, expected);
            }
            store.close();
            Ok(())
        })?;
    }
}

async fn create_rooms(store: &Store, n: usize) -> Vec<RoomId> {
    let rooms = salas::rooms::Rooms::new(store.clone(), "UTC".into());
    let admin = Actor::user(UserId::new(), Role::Admin);
    let mut ids = Vec::new();
    for i in 0..n {
        let input = salas::rooms::RoomInput {
            name: format!("r{i}"),
            capacity: 4,
            location: None,
            description: None,
            timezone: None,
            resources: vec![],
            requires_approval: false,
            checkin: Default::default(),
            policy: Default::default(),
        };
        ids.push(rooms.create(&admin, input).await.unwrap().id);
    }
    ids
}
