//! Search and "find me a room", through the server: accent and case folding, typos, English and
//! Spanish word forms, as-you-type, freshness after changes, rebuilding the index, suggestions.

use crate::common::{Api, TestServer, at};
use crate::support::enc;
use serde_json::{Value, json};
use std::time::Duration;

async fn setup(s: &TestServer) -> Api {
    let admin = s.admin().await;
    for name in ["Proyector", "Projector", "Pizarra"] {
        assert_eq!(admin.post("/api/v1/resources", json!({"name": name})).await.status, 201);
    }
    let rooms = [
        json!({"name": "Sala de Reunión", "capacity": 8, "resources": ["Proyector"], "location": "Planta 2"}),
        json!({"name": "Meeting Room", "capacity": 12, "resources": ["Projector"], "location": "North wing"}),
        json!({"name": "Cabina", "capacity": 2, "description": "Llamadas privadas"}),
    ];
    for mut r in rooms {
        r["timezone"] = json!("Europe/Madrid");
        assert_eq!(admin.post("/api/v1/rooms", r).await.status, 201);
    }
    admin
}

/// The names of the hits for `q`, best first, once the index has caught up with `expect`
/// (the index follows the event log a moment after each change).
async fn names_eventually(api: &Api, q: &str, expect: impl Fn(&[String]) -> bool) -> Vec<String> {
    let mut last = Vec::new();
    for _ in 0..200 {
        let res = api.get(&format!("/api/v1/search?q={}", enc(q))).await;
        assert_eq!(res.status, 200, "{q}: {}", res.body);
        last = names(&res.body);
        if expect(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("search for {q:?} never gave the expected names; last: {last:?}");
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|h| h["name"].as_str().unwrap().into())
        .collect()
}

fn first_is(name: &'static str) -> impl Fn(&[String]) -> bool {
    move |n: &[String]| n.first().is_some_and(|f| f == name)
}

fn has(name: &'static str) -> impl Fn(&[String]) -> bool {
    move |n: &[String]| n.iter().any(|f| f == name)
}

#[tokio::test]
async fn search_folds_accents_tolerates_typos_and_knows_english_and_spanish() {
    let s = TestServer::start().await;
    let admin = setup(&s).await;
    let member = s.user("member").await;
    names_eventually(&member, "reunion", first_is("Sala de Reunión")).await;
    names_eventually(&member, "REUNIÓN", first_is("Sala de Reunión")).await;
    // Spanish and English plurals meet their singulars.
    names_eventually(&member, "reuniones", first_is("Sala de Reunión")).await;
    names_eventually(&member, "meetings", first_is("Meeting Room")).await;
    // Typos.
    let found = names_eventually(&member, "projetor", has("Proyector")).await;
    assert!(found.iter().any(|n| n == "Projector"), "{found:?}");
    names_eventually(&member, "meetnig room", first_is("Meeting Room")).await;
    // As you type: the last word may be unfinished; stop words are ignored.
    names_eventually(&member, "sala de reu", first_is("Sala de Reunión")).await;
    names_eventually(&member, "room in the north wi", first_is("Meeting Room")).await;
    // Equipment and details are searched too.
    let found = names_eventually(&member, "proyector", has("Sala de Reunión")).await;
    assert_eq!(found.first().map(String::as_str), Some("Proyector"), "the resource itself comes first: {found:?}");
    names_eventually(&member, "llamadas", first_is("Cabina")).await;
    assert!(names_eventually(&member, "piscina", |_| true).await.is_empty());
    // Capacity filter: rooms only.
    let res = member.get("/api/v1/search?q=sala&capacity=10").await;
    assert!(names(&res.body).is_empty(), "{}", res.body);
    let res = member.get(&format!("/api/v1/search?q={}&capacity=10", enc("room"))).await;
    assert_eq!(names(&res.body), ["Meeting Room"]);
    assert_eq!(res.body[0]["kind"], "room");
    assert_eq!(res.body[0]["capacity"], 12);
    // Bad input is a 422 naming the parameter; no credentials, a 401.
    assert_eq!(member.get("/api/v1/search").await.status, 422);
    assert_eq!(s.anonymous().get("/api/v1/search?q=sala").await.status, 401);
    drop(admin);
    s.stop().await;
}

#[tokio::test]
async fn changes_are_searchable_right_away() {
    let s = TestServer::start().await;
    let admin = setup(&s).await;
    let cabina = names_eventually(&admin, "cabina", first_is("Cabina")).await;
    assert_eq!(cabina.len(), 1);
    let rooms = admin.get("/api/v1/rooms").await;
    let id = rooms.body.as_array().unwrap().iter().find(|r| r["name"] == "Cabina").unwrap()["id"].clone();
    let id = id.as_str().unwrap();
    let res = admin.patch(&format!("/api/v1/rooms/{id}"), json!({"name": "Locutorio Azul"})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    names_eventually(&admin, "locutorio", first_is("Locutorio Azul")).await;
    names_eventually(&admin, "cabina", |n| n.is_empty()).await;
    // A renamed resource renames the equipment of the rooms that have it.
    let res = admin.get("/api/v1/resources").await;
    let pizarra = res.body.as_array().unwrap().iter().find(|r| r["name"] == "Pizarra").unwrap()["id"].clone();
    let res = admin.patch(&format!("/api/v1/rooms/{id}"), json!({"resources": ["Pizarra"]})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let res =
        admin.patch(&format!("/api/v1/resources/{}", pizarra.as_str().unwrap()), json!({"name": "Whiteboard"})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    names_eventually(&admin, "whiteboard", has("Locutorio Azul")).await;
    // An archived room leaves the results.
    assert_eq!(admin.delete(&format!("/api/v1/rooms/{id}")).await.status, 200);
    names_eventually(&admin, "locutorio", |n| n.is_empty()).await;
    s.stop().await;
}

async fn ready(s: &TestServer) {
    for _ in 0..200 {
        if s.anonymous().get("/readyz").await.status == 200 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never ready");
}

#[tokio::test]
async fn the_index_is_rebuilt_when_deleted_or_damaged_and_by_reindex() {
    if crate::common::postgres::redb_only() {
        return;
    }
    let s = TestServer::start().await;
    let admin = setup(&s).await;
    names_eventually(&admin, "reunion", first_is("Sala de Reunión")).await;
    let dir = s.stop().await;
    let index = dir.path().join("search");
    assert!(index.join("meta.json").exists());
    std::fs::remove_dir_all(&index).unwrap();

    let s = TestServer::start_in(dir).await;
    ready(&s).await;
    let admin = s.admin().await;
    names_eventually(&admin, "reunion", first_is("Sala de Reunión")).await;
    let res = s.anonymous().get("/readyz").await;
    assert_eq!(res.body["status"], "ready");
    let dir = s.stop().await;

    std::fs::write(index.join("meta.json"), b"{ not json").unwrap();
    let s = TestServer::start_in(dir).await;
    ready(&s).await;
    let admin = s.admin().await;
    names_eventually(&admin, "meeting", first_is("Meeting Room")).await;
    let dir = s.stop().await;

    std::fs::remove_dir_all(&index).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_salas"))
        .args(["reindex", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("6 rooms and resources"));
    let s = TestServer::start_in(dir).await;
    let admin = s.admin().await;
    names_eventually(&admin, "cabina", first_is("Cabina")).await;
    s.stop().await;
}

#[tokio::test]
async fn find_a_room_ranks_by_fit_and_suggests_alternatives() {
    let s = TestServer::start().await;
    let admin = setup(&s).await;
    let member = s.user("member").await;
    let (from, to) = (at(2, 10), at(2, 12));
    let path = |q: &str| format!("/api/v1/find-room?from={}&to={}{q}", enc(&from), enc(&to));

    // Typos and stems through the availability search too.
    let res = member.get(&format!("/api/v1/availability?from={}&to={}&q=reunon", enc(&from), enc(&to))).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(names(&res.body), ["Sala de Reunión"]);

    // Closest size above the need first.
    let res = member.get(&path("&capacity=6")).await;
    assert_eq!(names(&res.body["rooms"]), ["Sala de Reunión", "Meeting Room"]);
    assert_eq!(res.body["next_windows"], json!([]));

    // The only room with a Proyector for 6 is busy: the next free window of the same length in
    // it, and the rooms free then that miss one criterion.
    let rooms = admin.get("/api/v1/rooms").await;
    let sala = rooms.body.as_array().unwrap().iter().find(|r| r["name"] == "Sala de Reunión").unwrap()["id"].clone();
    let res = admin.book(sala.as_str().unwrap(), &at(2, 9), &at(2, 11)).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let res = member.get(&path("&capacity=6&resources=Proyector")).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["rooms"], json!([]));
    let next = &res.body["next_windows"][0];
    assert_eq!(next["room"]["name"], "Sala de Reunión");
    assert_eq!(crate::support::parse_time(&next["start"]), crate::support::parse_time(&json!(at(2, 11))));
    assert_eq!(crate::support::parse_time(&next["end"]), crate::support::parse_time(&json!(at(2, 13))));
    let near = res.body["near_misses"].as_array().unwrap();
    assert!(
        near.iter().any(|n| n["room"]["name"] == "Meeting Room"
            && n["missing"] == json!({"criterion": "resource", "resource": "Proyector"})),
        "{near:?}"
    );
    let res = member.get(&path("&capacity=10&q=cabina")).await;
    assert_eq!(
        res.body["near_misses"][0],
        json!({"room": res.body["near_misses"][0]["room"], "missing": {"criterion": "capacity", "seats": 2}})
    );
    assert_eq!(res.body["near_misses"][0]["room"]["name"], "Cabina");
    assert_eq!(member.get(&format!("/api/v1/find-room?from={}&to={}", enc(&to), enc(&from))).await.status, 422);
    s.stop().await;
}

#[tokio::test]
async fn the_pages_find_a_room_book_it_in_one_click_and_search_live() {
    use crate::browser::Browser;
    let s = TestServer::start().await;
    let admin = setup(&s).await;
    names_eventually(&admin, "reunion", first_is("Sala de Reunión")).await;
    let mut b = Browser::new(&s);
    b.sign_in(crate::common::ADMIN_EMAIL, crate::common::ADMIN_PASSWORD).await;
    let day = (salas::clock::now() + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();

    let form = b.get("/find").await;
    assert_eq!(form.status, 200);
    assert!(form.html.contains("hx-get=\"/search/live\""), "the header's live search");
    assert!(form.html.contains("aria-label=\"Search rooms and equipment\""));
    assert!(form.html.contains("<label>People"));

    let res = b.get(&format!("/find?q=reunon&date={day}&start=10:00&end=11:00&capacity=4")).await;
    assert_eq!(res.status, 200);
    assert!(res.html.contains("Sala de Reunión"), "{}", res.html);
    let link = res.html.split("href=\"/book?").nth(1).expect("a booking link").split('"').next().unwrap();
    let link = format!("/book?{}", link.replace("&#38;", "&"));
    assert!(link.contains(&format!("date={day}&start=10:00&end=11:00")), "{link}");
    let book = b.get(&link).await;
    assert_eq!(book.status, 200);
    assert!(book.html.contains("selected"), "the booking form comes prefilled");

    // Nothing fits 50 people: the rooms free then, and what each lacks.
    let res = b.get(&format!("/find?q=&date={day}&start=10:00&end=11:00&capacity=50")).await;
    assert!(res.html.contains("No room fits"), "{}", res.html);
    assert!(res.html.contains("Seats only 12 people"), "{}", res.html);
    let res = b.get(&format!("/find?date={day}&start=11:00&end=10:00")).await;
    assert!(res.html.contains("role=\"alert\""), "{}", res.html);

    let live = b.get("/search/live?q=reuni").await;
    assert_eq!(live.status, 200);
    assert!(live.html.contains("Sala de Reunión") && !live.html.contains("<html"), "{}", live.html);
    assert!(b.get("/search/live?q=zzzzqqq").await.html.contains("Nothing matches."));
    assert!(!b.get("/search/live?q=").await.html.contains("<li"));
    s.stop().await;
}
