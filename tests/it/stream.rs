//! The live event stream `GET /api/v1/events/stream` (Server-Sent Events), read by a small SSE
//! client over real HTTP: events arrive promptly, a reconnect with `Last-Event-ID` resumes
//! without loss or duplicates, and rooms the caller may not see stay invisible.

use crate::common::{Api, TestServer, at};
use crate::support::{booked, cancel};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Generous: the stream must not be slow, but the test only fails on a missing event.
const WAIT: Duration = Duration::from_secs(10);

/// One `id:`/`event:`/`data:` record.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: u64,
    pub event: String,
    pub data: Value,
}

/// A minimal Server-Sent Events reader.
pub struct Sse {
    res: reqwest::Response,
    buf: String,
}

impl Sse {
    /// Opens `path` (under the server) with `token`, resuming after `last_id` if given.
    pub async fn open(api: &Api, path: &str, last_id: Option<u64>) -> Sse {
        let mut req = reqwest::Client::new().get(format!("{}{path}", api.base)).header("accept", "text/event-stream");
        if let Some(t) = &api.token {
            req = req.bearer_auth(t);
        }
        if let Some(id) = last_id {
            req = req.header("last-event-id", id.to_string());
        }
        let res = req.send().await.expect("the stream opens");
        assert_eq!(res.status(), 200, "{path}");
        let ct = res.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with("text/event-stream"), "{ct}");
        Sse { res, buf: String::new() }
    }

    /// The next record with data (comments and `retry:` are skipped), or None after `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<Record> {
        let deadline = Instant::now() + wait;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (None, String::from("message"), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.strip_prefix(' ').unwrap_or(v));
                    }
                }
                if let Some(id) = id.filter(|_| !data.is_empty()) {
                    let data = serde_json::from_str(&data).unwrap_or(Value::String(data));
                    return Some(Record { id, event, data });
                }
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, self.res.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(_) => return None,
                Err(_) => return None,
            }
        }
    }

    /// Every record until none comes for `quiet`.
    pub async fn drain(&mut self, quiet: Duration) -> Vec<Record> {
        let mut out = Vec::new();
        while let Some(r) = self.next(quiet).await {
            out.push(r);
        }
        out
    }
}

#[tokio::test]
async fn a_booking_reaches_the_stream_promptly() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let (watcher, booker) = (s.user("viewer").await, s.user("member").await);
    let room = admin.create_room("Sala Stream", 6).await;
    let mut sse = Sse::open(&watcher, "/api/v1/events/stream", None).await;

    let sent = Instant::now();
    let id = booked(&booker, &room, &at(1, 10), &at(1, 11)).await;
    let r = sse.next(WAIT).await.expect("the booking is streamed");
    let latency = sent.elapsed();
    println!("booking → stream event: {} ms", latency.as_millis());
    assert_eq!(r.event, "reservation.created");
    assert_eq!(r.data["reservation"]["id"], id.as_str());
    assert_eq!(r.data["room_id"], room.as_str());
    assert_eq!(r.data["seq"], r.id, "the SSE id is the event's place in the log");
    // The payload is the REST representation, nothing more.
    let rest = watcher.get(&format!("/api/v1/reservations/{id}")).await;
    assert_eq!(r.data["reservation"], rest.body);
    assert!(r.data.get("actor").is_none() && r.data.get("data").is_none(), "{}", r.data);

    // A room change comes too, with the room as `GET /rooms` shows it.
    let res = admin.patch(&format!("/api/v1/rooms/{room}"), json!({"capacity": 8})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let r = sse.next(WAIT).await.expect("the room change is streamed");
    assert_eq!((r.event.as_str(), &r.data["room"]["capacity"]), ("room.updated", &json!(8)));
    s.stop().await;
}

#[tokio::test]
async fn resuming_with_last_event_id_loses_and_repeats_nothing() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room = admin.create_room("Sala Resume", 4).await;
    let mut sse = Sse::open(&member, "/api/v1/events/stream", None).await;
    let first = booked(&member, &room, &at(1, 8), &at(1, 9)).await;
    let seen = sse.next(WAIT).await.expect("first event");
    assert_eq!(seen.data["reservation"]["id"], first.as_str());
    drop(sse); // the connection drops

    // Changes while disconnected.
    let second = booked(&member, &room, &at(1, 10), &at(1, 11)).await;
    assert_eq!(cancel(&member, &first, None).await.status, 200);
    let third = booked(&member, &room, &at(1, 12), &at(1, 13)).await;

    let mut sse = Sse::open(&member, "/api/v1/events/stream", Some(seen.id)).await;
    let missed = [sse.next(WAIT).await.unwrap(), sse.next(WAIT).await.unwrap(), sse.next(WAIT).await.unwrap()];
    let got: Vec<(&str, &Value)> = missed.iter().map(|r| (r.event.as_str(), &r.data["reservation"]["id"])).collect();
    assert_eq!(
        got,
        [
            ("reservation.created", &json!(second)),
            ("reservation.cancelled", &json!(first)),
            ("reservation.created", &json!(third)),
        ]
    );
    // Then live again, in order and without a repeat.
    let fourth = booked(&member, &room, &at(1, 14), &at(1, 15)).await;
    let live = sse.next(WAIT).await.expect("live after catching up");
    assert_eq!(live.data["reservation"]["id"], fourth.as_str());
    let mut ids: Vec<u64> = [seen.id].into_iter().chain(missed.iter().map(|r| r.id)).chain([live.id]).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "strictly increasing: {ids:?}");
    ids.dedup();
    assert_eq!(ids.len(), 5);
    assert!(sse.drain(Duration::from_millis(500)).await.is_empty(), "nothing twice");

    // `?after=` does the same for clients that cannot send the header.
    let mut again = Sse::open(&member, &format!("/api/v1/events/stream?after={}", seen.id), None).await;
    let replay: Vec<u64> = again.drain(Duration::from_millis(800)).await.iter().map(|r| r.id).collect();
    assert_eq!(replay, ids[1..].to_vec());
    s.stop().await;
}

#[tokio::test]
async fn rooms_the_caller_may_not_see_never_appear() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let (outsider, insider) = (s.user("member").await, s.user("member").await);
    let open = admin.create_room("Sala Abierta", 4).await;
    let secret = admin.create_room("Sala Consejo", 4).await;
    let group = admin.post("/api/v1/groups", json!({"name": "Board"})).await;
    assert_eq!(group.status, 201, "{}", group.body);
    let gid = group.body["id"].as_str().unwrap().to_string();
    let res = admin.send(admin.http.put(format!("{}/api/v1/groups/{gid}/members/{}", admin.base, insider.id))).await;
    assert!(res.status < 300, "{} {}", res.status, res.body);
    let rule = json!({"see": ["Board"], "book": ["Board"]});
    let res = admin.send(admin.http.put(format!("{}/api/v1/rooms/{secret}/access", admin.base)).json(&rule)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(outsider.get(&format!("/api/v1/rooms/{secret}")).await.status, 404, "REST hides it too");

    let mut outside = Sse::open(&outsider, "/api/v1/events/stream", None).await;
    let mut inside = Sse::open(&insider, "/api/v1/events/stream", None).await;
    let mut only_open = Sse::open(&insider, &format!("/api/v1/events/stream?room_id={open}"), None).await;
    let hidden = booked(&admin, &secret, &at(1, 9), &at(1, 10)).await;
    let res = admin.patch(&format!("/api/v1/rooms/{secret}"), json!({"description": "Confidential"})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let visible = booked(&admin, &open, &at(1, 9), &at(1, 10)).await;

    let r = outside.next(WAIT).await.expect("the visible booking");
    assert_eq!(r.data["reservation"]["id"], visible.as_str(), "the hidden room's events were skipped");
    assert!(outside.drain(Duration::from_millis(500)).await.is_empty());
    let all: Vec<Value> = inside.drain(Duration::from_secs(2)).await.into_iter().map(|r| r.data).collect();
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(all[0]["reservation"]["id"], hidden.as_str());
    assert_eq!(all[1]["room"]["description"], "Confidential");
    let r = only_open.next(WAIT).await.expect("the filtered stream");
    assert_eq!(r.data["reservation"]["id"], visible.as_str());
    s.stop().await;
}

#[tokio::test]
async fn the_stream_is_authenticated_and_only_streams_when_asked() {
    let s = TestServer::start().await;
    let member = s.user("member").await;
    let url = format!("{}/api/v1/events/stream", s.url);
    let http = reqwest::Client::new();
    let res = http.get(&url).header("accept", "text/event-stream").send().await.unwrap();
    assert_eq!(res.status(), 401);
    // Asked for JSON (or anything but a stream): a finite 406, not a response that never ends.
    let res = http.get(&url).bearer_auth(member.token.as_ref().unwrap()).send().await.unwrap();
    assert_eq!(res.status(), 406);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/problem+json"));
    let res = http
        .get(&url)
        .bearer_auth(member.token.as_ref().unwrap())
        .header("accept", "text/event-stream")
        .header("last-event-id", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = member.get("/api/v1/events/stream?room_id=nope").await;
    assert_eq!(res.status, 422);
    // The stream is in the OpenAPI document.
    let doc = member.get("/api/openapi.json").await;
    assert!(doc.body["paths"]["/api/v1/events/stream"]["get"].is_object());
    s.stop().await;
}

/// A WebSocket client of `GET /api/v1/events/ws`.
async fn websocket(
    api: &Api,
    query: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!("{}/api/v1/events/ws{query}", api.base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    let token = format!("Bearer {}", api.token.as_ref().unwrap());
    req.headers_mut().insert("authorization", token.parse().unwrap());
    tokio_tungstenite::connect_async(req).await.expect("the WebSocket opens").0
}

/// The next event message, as JSON.
async fn next_message(
    ws: &mut tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
) -> Value {
    use futures_util::StreamExt;
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next()).await.expect("an event in time").expect("open").unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(text) = msg {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

/// The same events over a WebSocket: a booking arrives, and after a disconnect the client
/// resumes with `?after=SEQ`, getting what it missed once, in order, and nothing twice.
#[tokio::test]
async fn the_websocket_stream_delivers_and_resumes_without_loss_or_repeats() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Sala Web", 6).await;
    let mut ws = websocket(&admin, &format!("?room_id={room}")).await;
    let first = booked(&admin, &room, &at(3, 9), &at(3, 10)).await;
    let got = next_message(&mut ws).await;
    assert_eq!(
        (got["kind"].as_str(), got["reservation"]["id"].as_str()),
        (Some("reservation.created"), Some(first.as_str()))
    );
    let seen = got["seq"].as_u64().unwrap();
    drop(ws);

    // While away: two more changes.
    let second = booked(&admin, &room, &at(3, 11), &at(3, 12)).await;
    assert_eq!(cancel(&admin, &first, None).await.status, 200);
    let mut ws = websocket(&admin, &format!("?room_id={room}&after={seen}")).await;
    let a = next_message(&mut ws).await;
    let b = next_message(&mut ws).await;
    assert_eq!(
        (a["kind"].as_str(), a["reservation"]["id"].as_str()),
        (Some("reservation.created"), Some(second.as_str()))
    );
    assert_eq!(
        (b["kind"].as_str(), b["reservation"]["id"].as_str()),
        (Some("reservation.cancelled"), Some(first.as_str()))
    );
    assert!(a["seq"].as_u64().unwrap() > seen && b["seq"].as_u64().unwrap() > a["seq"].as_u64().unwrap());
    // Nothing else is pending, and a new change still arrives live.
    let third = booked(&admin, &room, &at(4, 9), &at(4, 10)).await;
    let c = next_message(&mut ws).await;
    assert_eq!(c["reservation"]["id"].as_str(), Some(third.as_str()), "{c}");

    // Without credentials: refused before any upgrade.
    let url = format!("{}/api/v1/events/ws", s.url.replace("http://", "ws://"));
    let refused = tokio_tungstenite::connect_async(url).await.expect_err("no WebSocket without a token");
    match refused {
        tokio_tungstenite::tungstenite::Error::Http(res) => assert_eq!(res.status(), 401),
        other => panic!("{other}"),
    }
    s.stop().await;
}
