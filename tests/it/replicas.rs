//! Several Salas processes on one PostgreSQL database: every promise holds across them.

use crate::common::postgres::{Postgres, SECRET_KEY};
use crate::common::{Api, TestServer, at, config};
use serde_json::json;
use tempfile::TempDir;

/// A server on `url`, with its own data directory (its local copy, search index, socket).
async fn replica(url: &str, tune: impl FnOnce(&mut salas::config::Config)) -> TestServer {
    let dir = TempDir::new().unwrap();
    let mut c = config(dir.path());
    c.store.backend = salas::config::Backend::Postgres;
    c.store.url = url.to_string();
    c.secret.key = SECRET_KEY.into();
    tune(&mut c);
    TestServer::start_with(dir, c).await
}

/// The same user, signed in on another replica (sessions and tokens are shared).
fn on(api: &Api, server: &TestServer) -> Api {
    Api { base: server.url.clone(), ..api.clone() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_slot_raced_from_two_replicas_has_exactly_one_winner() {
    let pg = Postgres::start().await;
    let (a, b) = (replica(&pg.url(), |_| {}).await, replica(&pg.url(), |_| {}).await);
    let admin = a.admin().await;
    let room = admin.create_room("Contested", 8).await;
    let (start, end) = (at(2, 10), at(2, 11));
    let racers: Vec<_> = (0..64)
        .map(|i| {
            let api = if i % 2 == 0 { admin.clone() } else { on(&admin, &b) };
            let (room, start, end) = (room.clone(), start.clone(), end.clone());
            tokio::spawn(async move { api.book(&room, &start, &end).await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for r in racers {
        statuses.push(r.await.unwrap());
    }
    assert!(statuses.iter().all(|s| [201, 409].contains(s)), "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    // The database holds exactly that one, under its own constraint too.
    let live: i64 =
        pg.client().await.query_one("SELECT count(*) FROM reservations WHERE live", &[]).await.unwrap().get(0);
    assert_eq!(live, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_booking_acknowledged_by_one_replica_is_at_once_on_the_other() {
    let pg = Postgres::start().await;
    let (a, b) = (replica(&pg.url(), |_| {}).await, replica(&pg.url(), |_| {}).await);
    let admin = a.admin().await;
    let on_b = on(&admin, &b);
    let room = admin.create_room("Shared view", 6).await;
    for hour in 8..16 {
        let res = admin.book(&room, &at(3, hour), &at(3, hour + 1)).await;
        assert_eq!(res.status, 201, "{}", res.body);
        let id = res.body["id"].as_str().unwrap();
        // Right after A's 201, with no waiting: B reads it, lists it as busy, and refuses it.
        let read = on_b.get(&format!("/api/v1/reservations/{id}")).await;
        assert_eq!(read.status, 200, "{}", read.body);
        let free =
            on_b.get(&format!("/api/v1/rooms/{room}/availability?from={}&to={}", enc(&at(3, 0)), enc(&at(4, 0)))).await;
        let busy = free.body["busy"].as_array().unwrap();
        assert_eq!(busy.len() as i64, hour - 7, "{}", free.body);
        assert_eq!(on_b.book(&room, &at(3, hour), &at(3, hour + 1)).await.status, 409);
    }
    // One event log, the same through both.
    let log = |api: Api| async move { api.get("/api/v1/events?limit=1000").await.body };
    let (log_a, log_b) = (log(admin.clone()).await, log(on_b.clone()).await);
    assert!(log_a.as_array().unwrap().len() >= 9, "{log_a}");
    assert_eq!(log_a, log_b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn buffers_hold_under_parallel_bookings_on_both_replicas() {
    let pg = Postgres::start().await;
    let (a, b) = (replica(&pg.url(), |_| {}).await, replica(&pg.url(), |_| {}).await);
    let admin = a.admin().await;
    let room = admin.create_room("Buffered", 4).await;
    let res = admin.patch(&format!("/api/v1/rooms/{room}"), json!({"policy": {"buffer_minutes": 30}})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    // Hour-long bookings starting every 30 minutes: with a 30-minute buffer, no two that
    // succeed may start less than 90 minutes apart.
    let tries: Vec<_> = (0..16)
        .map(|i| {
            let api = if i % 2 == 0 { admin.clone() } else { on(&admin, &b) };
            let room = room.clone();
            let start = chrono::DateTime::parse_from_rfc3339(&at(5, 8)).unwrap() + chrono::Duration::minutes(30 * i);
            let end = start + chrono::Duration::hours(1);
            tokio::spawn(async move { (start, api.book(&room, &start.to_rfc3339(), &end.to_rfc3339()).await.status) })
        })
        .collect();
    let mut won = Vec::new();
    for t in tries {
        let (start, status) = t.await.unwrap();
        assert!([201, 409, 422].contains(&status), "{status}");
        if status == 201 {
            won.push(start);
        }
    }
    won.sort();
    assert!(!won.is_empty());
    for pair in won.windows(2) {
        assert!(pair[1] - pair[0] >= chrono::Duration::minutes(90), "buffer broken: {won:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_scheduled_job_runs_once_among_three_replicas() {
    let pg = Postgres::start().await;
    let every_second = |c: &mut salas::config::Config| c.scheduler.session_cleanup = "* * * * * *".into();
    let replicas = [
        replica(&pg.url(), every_second).await,
        replica(&pg.url(), every_second).await,
        replica(&pg.url(), every_second).await,
    ];
    let admin = replicas[0].admin().await;
    let runs = |admin: Api| {
        let urls: Vec<String> = replicas.iter().map(|r| r.url.clone()).collect();
        async move {
            let mut total = 0;
            for url in urls {
                let api = Api { base: url, ..admin.clone() };
                let jobs = api.get("/api/v1/admin/jobs").await.body;
                let job = jobs.as_array().unwrap().iter().find(|j| j["name"] == "session_cleanup").cloned().unwrap();
                total += job["runs"].as_u64().unwrap();
            }
            total
        }
    };
    let before = runs(admin.clone()).await;
    let started = std::time::Instant::now();
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let after = runs(admin.clone()).await;
    let slots = started.elapsed().as_secs() + 1;
    let ran = after - before;
    // Once per second in all: three replicas each running it would make about three times that.
    assert!(ran >= 3 && ran <= slots + 1, "{ran} runs in {slots} one-second slots");
}

fn enc(s: &str) -> String {
    s.replace('+', "%2B")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_starting_together_on_a_new_database_create_one_administrator() {
    let pg = Postgres::start().await;
    let url = pg.url();
    let (a, b, c) = tokio::join!(replica(&url, |_| {}), replica(&url, |_| {}), replica(&url, |_| {}));
    let users: i64 = pg.client().await.query_one("SELECT count(*) FROM users", &[]).await.unwrap().get(0);
    assert_eq!(users, 1);
    for server in [&a, &b, &c] {
        server.admin().await; // the one administrator signs in everywhere
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_database_restarted_under_load_gives_503s_then_service_without_a_restart() {
    let mut pg = Postgres::start().await;
    let a = replica(&pg.url(), |_| {}).await;
    let admin = a.admin().await;
    let room = admin.create_room("Through the outage", 4).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..8)
        .map(|client| {
            let (api, room, stop) = (admin.clone(), room.clone(), stop.clone());
            tokio::spawn(async move {
                let (mut acknowledged, mut statuses) = (Vec::new(), Vec::new());
                let mut slot = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let start = at(10 + client, 0);
                    let start =
                        chrono::DateTime::parse_from_rfc3339(&start).unwrap() + chrono::Duration::minutes(10 * slot);
                    let end = start + chrono::Duration::minutes(10);
                    let res = api.book(&room, &start.to_rfc3339(), &end.to_rfc3339()).await;
                    if res.status == 201 {
                        acknowledged.push(res.body["id"].as_str().unwrap().to_string());
                    }
                    if res.status == 503 {
                        assert_eq!(
                            res.body["type"].as_str().map(|t| t.ends_with("storage-unavailable")),
                            Some(true),
                            "{}",
                            res.body
                        );
                        assert!(res.header("retry-after").is_some());
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                    statuses.push(res.status);
                    slot += 1;
                }
                (acknowledged, statuses)
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    pg.stop();
    // While it is down: not ready, and 503s.
    crate::common::eventually("/readyz says 503", || async {
        let status = a.anonymous().get("/readyz").await.status;
        if status == 503 { Ok(()) } else { Err(format!("{status}")) }
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    pg.restart().await;
    crate::common::eventually("/readyz says 200 again", || async {
        let status = a.anonymous().get("/readyz").await.status;
        if status == 200 { Ok(()) } else { Err(format!("{status}")) }
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let (mut acknowledged, mut statuses) = (Vec::new(), Vec::new());
    for c in clients {
        let (ack, st) = c.await.unwrap();
        acknowledged.extend(ack);
        statuses.extend(st);
    }
    assert!(statuses.iter().all(|s| [201, 503].contains(s)), "{statuses:?}");
    assert!(statuses.contains(&503), "the outage was seen");
    let last = *statuses.last().unwrap();
    assert_eq!(last, 201, "service is back");
    // Every acknowledged booking is in the database, and readable.
    let client = pg.client().await;
    for id in &acknowledged {
        let id: uuid::Uuid = id.parse().unwrap();
        let n: i64 = client.query_one("SELECT count(*) FROM reservations WHERE id = $1", &[&id]).await.unwrap().get(0);
        assert_eq!(n, 1, "acknowledged {id} is durable");
    }
    assert_eq!(admin.get(&format!("/api/v1/reservations/{}", acknowledged[0])).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_two_host_url_follows_a_promoted_standby() {
    let mut primary = Postgres::start().await;
    let standby = primary.standby().await;
    let url = format!(
        "postgres://salas:{}@127.0.0.1:{},127.0.0.1:{}/salas?target_session_attrs=read-write",
        crate::common::postgres::PASSWORD,
        primary.port,
        standby.port
    );
    let a = replica(&url, |_| {}).await;
    let admin = a.admin().await;
    let room = admin.create_room("Failover", 4).await;
    let before = admin.book(&room, &at(4, 9), &at(4, 10)).await;
    assert_eq!(before.status, 201, "{}", before.body);
    // The standby has everything the primary committed before the primary goes.
    let lsn: String = primary.client().await.query_one("SELECT pg_current_wal_lsn()::text", &[]).await.unwrap().get(0);
    crate::common::eventually("the standby replays the primary's log", || async {
        let row =
            standby.client().await.query_one("SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", &[&lsn]).await;
        if row.map(|r| r.get::<_, bool>(0)).unwrap_or(false) { Ok(()) } else { Err("behind".into()) }
    })
    .await;
    primary.stop();
    standby.promote();
    let after = crate::common::eventually("a write succeeds on the promoted standby", || async {
        let res = admin.book(&room, &at(4, 11), &at(4, 12)).await;
        if res.status == 201 { Ok(res) } else { Err(format!("{} {}", res.status, res.body)) }
    })
    .await;
    let id: uuid::Uuid = after.body["id"].as_str().unwrap().parse().unwrap();
    let n: i64 = standby
        .client()
        .await
        .query_one("SELECT count(*) FROM reservations WHERE id = $1", &[&id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    assert_eq!(admin.get(&format!("/api/v1/reservations/{}", before.body["id"].as_str().unwrap())).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_one_of_two_replicas_under_load_loses_nothing_and_sends_each_email_once() {
    use crate::common::SmtpSink;
    use crate::common::process::Running;
    let pg = Postgres::start().await;
    let mut sink = SmtpSink::start();
    // Nothing can be sent while the load runs: a replica killed between an SMTP server's
    // acceptance and its record of it would send that one again, which no mail system avoids.
    sink.pause();
    let env = vec![
        ("SALAS_STORE_BACKEND", "postgres".to_string()),
        ("SALAS_STORE_URL", pg.url()),
        ("SALAS_SECRET_KEY", SECRET_KEY.to_string()),
        ("SALAS_SMTP_HOST", "127.0.0.1".to_string()),
        ("SALAS_SMTP_PORT", sink.port.to_string()),
        ("SALAS_SMTP_SECURITY", "none".to_string()),
        ("SALAS_SMTP_FROM", "Salas <salas@example.test>".to_string()),
        ("SALAS_SMTP_RETRY_SECONDS", "1".to_string()),
        ("SALAS_SMTP_TIMEOUT_SECONDS", "2".to_string()),
    ];
    let (dir_a, dir_b) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let a = Running::start_with(dir_a.path(), &env);
    let b = Running::start_with(dir_b.path(), &env);
    let on_a = a.admin().await;
    let on_b = Api { base: b.url.clone(), ..on_a.clone() };
    let room = on_a.create_room("Under fire", 4).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..16)
        .map(|client: i64| {
            let api = if client % 2 == 0 { on_a.clone() } else { on_b.clone() };
            let (room, stop) = (room.clone(), stop.clone());
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    // Clients share the slots: some bookings race for the same one.
                    let slot = (client / 2 * 7 + n * 3) % 200;
                    let start = chrono::DateTime::parse_from_rfc3339(&at(20, 0)).unwrap()
                        + chrono::Duration::minutes(15 * slot);
                    let end = start + chrono::Duration::minutes(15);
                    let body =
                        json!({"room_id": room, "title": "Load", "start": start.to_rfc3339(), "end": end.to_rfc3339()});
                    let sent = api
                        .http
                        .post(format!("{}/api/v1/reservations", api.base))
                        .bearer_auth(api.token.as_deref().unwrap())
                        .json(&body)
                        .send()
                        .await;
                    let Ok(res) = sent else { break }; // its replica is gone
                    if res.status() == 201 {
                        let body: serde_json::Value = res.json().await.unwrap();
                        acknowledged.push(body["id"].as_str().unwrap().to_string());
                    } else {
                        assert!([409, 503].contains(&res.status().as_u16()), "{}", res.status());
                    }
                    n += 1;
                }
                acknowledged
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    a.crash();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut acknowledged = Vec::new();
    for c in clients {
        acknowledged.extend(c.await.unwrap());
    }
    assert!(acknowledged.len() > 16, "the load booked something: {}", acknowledged.len());
    // Every 201 is readable from the survivor, and no two live reservations overlap.
    for id in &acknowledged {
        assert_eq!(on_b.get(&format!("/api/v1/reservations/{id}")).await.status, 200, "{id}");
    }
    let list = on_b.get(&format!("/api/v1/reservations?room_id={room}&limit=500")).await.body;
    let mut live: Vec<(String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["start"].as_str().unwrap().to_string(), r["end"].as_str().unwrap().to_string()))
        .collect();
    live.sort();
    for pair in live.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "overlap: {pair:?}");
    }
    // The e-mails: once the SMTP server is back, each booking's confirmation arrives once, the
    // ones the dead replica had taken after their lease ran out.
    sink.resume();
    for _ in 0..600 {
        let messages = sink.messages();
        let uids: Vec<String> = messages.iter().map(|m| m["ics"]["uid"].as_str().unwrap_or("").to_string()).collect();
        if acknowledged.iter().all(|id| uids.iter().any(|u| u.contains(id.as_str()))) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(3)).await; // room for a duplicate to show
    let messages = sink.messages();
    let mut uids: Vec<String> = messages.iter().map(|m| m["ics"]["uid"].as_str().unwrap_or("").to_string()).collect();
    for id in &acknowledged {
        assert_eq!(uids.iter().filter(|u| u.contains(id.as_str())).count(), 1, "the confirmation of {id}");
    }
    let total = uids.len();
    uids.sort();
    uids.dedup();
    assert_eq!(uids.len(), total, "no booking mailed twice");
    b.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failed_sign_ins_on_one_replica_lock_out_on_the_other() {
    let pg = Postgres::start().await;
    let (a, b) = (replica(&pg.url(), |_| {}).await, replica(&pg.url(), |_| {}).await);
    let member = a.user("member").await;
    for (i, server) in [&a, &b, &a, &b, &a].into_iter().enumerate() {
        let body = json!({"email": member.email, "password": format!("wrong {i}")});
        let res = server.anonymous().post("/api/v1/auth/token", body).await;
        assert_eq!(res.status, 401, "{}", res.body);
    }
    // Five failures spread over both: locked on both, even with the right password.
    for server in [&a, &b] {
        let body = json!({"email": member.email, "password": crate::common::PASSWORD});
        let res = server.anonymous().post("/api/v1/auth/token", body).await;
        assert_eq!(res.status, 429, "{}", res.body);
        assert!(res.header("retry-after").is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_back_after_the_log_was_pruned_makes_its_copy_again() {
    let pg = Postgres::start().await;
    let url = pg.url();
    let a = replica(&url, |_| {}).await;
    let b_dir = TempDir::new().unwrap();
    let b_config = |dir: &std::path::Path| {
        let mut c = config(dir);
        c.store.backend = salas::config::Backend::Postgres;
        c.store.url = url.clone();
        c.secret.key = SECRET_KEY.into();
        c
    };
    let cfg = b_config(b_dir.path());
    let b = TestServer::start_with(b_dir, cfg).await;
    let admin = a.admin().await;
    let room = admin.create_room("While away", 4).await;
    let b_dir = b.stop().await;
    // B is away: A books, and the log's entries grow old and are pruned.
    let booked = admin.book(&room, &at(6, 9), &at(6, 10)).await;
    assert_eq!(booked.status, 201, "{}", booked.body);
    let client = pg.client().await;
    client.execute("UPDATE salas_changes SET at = now() - interval '8 days'", &[]).await.unwrap();
    let job = admin.post("/api/v1/admin/jobs/session_cleanup/run", serde_json::Value::Null).await;
    assert_eq!(job.status, 200, "{}", job.body);
    assert!(job.body["last_outcome"].as_str().unwrap().contains("old replication log entries deleted"), "{}", job.body);
    let left: i64 = client.query_one("SELECT count(*) FROM salas_changes", &[]).await.unwrap().get(0);
    assert!(left <= 2, "{left} entries left"); // only what the job itself wrote just now
    // B comes back: its copy is too old for the log, so it is made again from the tables.
    let cfg = b_config(b_dir.path());
    let b = TestServer::start_with(b_dir, cfg).await;
    let on_b = on(&admin, &b);
    let id = booked.body["id"].as_str().unwrap();
    assert_eq!(on_b.get(&format!("/api/v1/reservations/{id}")).await.status, 200);
    assert_eq!(on_b.book(&room, &at(6, 9), &at(6, 10)).await.status, 409);
    let next = on_b.book(&room, &at(6, 10), &at(6, 11)).await;
    assert_eq!(next.status, 201, "{}", next.body);
    assert_eq!(admin.get(&format!("/api/v1/reservations/{}", next.body["id"].as_str().unwrap())).await.status, 200);
}
