//! Availability: one room's busy and free time, and the search for a free room.

use crate::common::{Api, TestServer, at};
use crate::support::{assert_invalid, assert_problem, booked, cancel, enc, parse_time, t};
use serde_json::{Value, json};

fn intervals(v: &Value) -> Vec<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|i| (parse_time(&i["start"]), parse_time(&i["end"])))
        .collect()
}

fn span(day: i64, from: i64, to: i64) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    (t(&at(day, from)), t(&at(day, to)))
}

#[tokio::test]
async fn room_availability_lists_busy_and_free_time() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let viewer = s.user("viewer").await;
    let room = admin.create_room("Sala", 6).await;
    let a = booked(&admin, &room, &at(2, 7), &at(2, 9)).await; // reaches before the window
    let b = booked(&admin, &room, &at(2, 12), &at(2, 13)).await;
    let c = booked(&admin, &room, &at(2, 15), &at(2, 16)).await;
    assert_eq!(cancel(&admin, &c, None).await.status, 200);
    let other = admin.create_room("Otra", 6).await;
    booked(&admin, &other, &at(2, 10), &at(2, 11)).await;

    let path = format!("/api/v1/rooms/{room}/availability?from={}&to={}", enc(&at(2, 8)), enc(&at(2, 18)));
    let res = viewer.get(&path).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["room_id"], room.as_str());
    assert_eq!(res.body["timezone"], "Europe/Madrid");
    assert_eq!(parse_time(&res.body["from"]), t(&at(2, 8)));
    assert_eq!(parse_time(&res.body["to"]), t(&at(2, 18)));
    assert_eq!(intervals(&res.body["busy"]), vec![span(2, 7, 9), span(2, 12, 13)], "{}", res.body);
    let busy_ids: Vec<_> = res.body["busy"].as_array().unwrap().iter().map(|b| b["reservation_id"].clone()).collect();
    assert_eq!(busy_ids, vec![json!(a), json!(b)]);
    assert_eq!(intervals(&res.body["free"]), vec![span(2, 9, 12), span(2, 13, 18)], "cancelled time is free");

    // An empty window is all free; a fully booked one has no free time.
    let path = format!("/api/v1/rooms/{room}/availability?from={}&to={}", enc(&at(3, 8)), enc(&at(3, 18)));
    let res = viewer.get(&path).await;
    assert_eq!(res.body["busy"], json!([]));
    assert_eq!(intervals(&res.body["free"]), vec![span(3, 8, 18)]);
    let path = format!("/api/v1/rooms/{room}/availability?from={}&to={}", enc(&at(2, 12)), enc(&at(2, 13)));
    assert_eq!(viewer.get(&path).await.body["free"], json!([]));

    let nobody = uuid::Uuid::now_v7();
    let path = format!("/api/v1/rooms/{nobody}/availability?from={}&to={}", enc(&at(2, 8)), enc(&at(2, 18)));
    assert_problem(&viewer.get(&path).await, 404);
    let path = format!("/api/v1/rooms/{room}/availability?from={}&to={}", enc(&at(2, 18)), enc(&at(2, 8)));
    assert_invalid(&viewer.get(&path).await, "to");
    let path = format!("/api/v1/rooms/{room}/availability?to={}", enc(&at(2, 8)));
    assert_invalid(&viewer.get(&path).await, "from");
    let path = format!("/api/v1/rooms/{room}/availability?from={}&to={}", enc(&at(1, 0)), enc(&at(200, 0)));
    assert_invalid(&viewer.get(&path).await, "to");
    s.stop().await;
}

async fn room(api: &Api, name: &str, capacity: u32, extra: Value) -> String {
    let mut body = json!({"name": name, "capacity": capacity, "timezone": "Europe/Madrid"});
    body.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
    let res = api.post("/api/v1/rooms", body).await;
    assert_eq!(res.status, 201, "{}", res.body);
    res.body["id"].as_str().unwrap().to_string()
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn free_room_search_ranks_the_smallest_fitting_room_first() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    assert_eq!(admin.post("/api/v1/resources", json!({"name": "Proyector"})).await.status, 201);
    room(&admin, "Sala de Reunión Grande", 20, json!({"resources": ["Proyector"]})).await;
    room(&admin, "Sala de Reunión Pequeña", 6, json!({})).await;
    room(&admin, "Reunión Mediana", 10, json!({"location": "Planta 1", "resources": ["Proyector"]})).await;
    room(&admin, "Cabina", 2, json!({})).await;
    let busy = room(&admin, "Reunión Ocupada", 8, json!({})).await;
    let touching = room(&admin, "Reunión Contigua", 12, json!({})).await;
    let archived = room(&admin, "Reunión Archivada", 7, json!({})).await;
    room(&admin, "Despacho", 4, json!({"description": "Mesa redonda"})).await;

    let (from, to) = (at(2, 10), at(2, 12));
    booked(&admin, &busy, &at(2, 11), &at(2, 13)).await; // overlaps the window's end
    booked(&admin, &touching, &at(2, 8), &at(2, 10)).await; // ends as the window begins
    booked(&admin, &touching, &at(2, 12), &at(2, 14)).await; // starts as it ends
    assert_eq!(admin.delete(&format!("/api/v1/rooms/{archived}")).await.status, 200);

    let search = |query: String| {
        let member = member.clone();
        let (from, to) = (from.clone(), to.clone());
        async move {
            let res = member.get(&format!("/api/v1/availability?from={}&to={}{query}", enc(&from), enc(&to))).await;
            assert_eq!(res.status, 200, "{query}: {}", res.body);
            names(&res.body)
        }
    };

    assert_eq!(
        search("&capacity=5".into()).await,
        ["Sala de Reunión Pequeña", "Reunión Mediana", "Reunión Contigua", "Sala de Reunión Grande"],
        "smallest fitting first; busy, archived and too small rooms left out"
    );
    assert_eq!(
        search(String::new()).await,
        [
            "Cabina",
            "Despacho",
            "Sala de Reunión Pequeña",
            "Reunión Mediana",
            "Reunión Contigua",
            "Sala de Reunión Grande"
        ]
    );
    let fitting_reunion = ["Sala de Reunión Pequeña", "Reunión Mediana", "Reunión Contigua", "Sala de Reunión Grande"];
    assert_eq!(search(format!("&capacity=3&q={}", enc("reunion"))).await, fitting_reunion, "accents ignored");
    assert_eq!(search(format!("&capacity=3&q={}", enc("REUNIÓN"))).await, fitting_reunion, "case ignored");
    assert_eq!(search(format!("&q={}", enc("reunion pequena"))).await, ["Sala de Reunión Pequeña"], "every word");
    assert_eq!(search(format!("&q={}", enc("planta"))).await, ["Reunión Mediana"], "location is searched");
    assert_eq!(search(format!("&q={}", enc("redonda"))).await, ["Despacho"], "description is searched");
    assert_eq!(search(format!("&q={}", enc("proyector"))).await, ["Reunión Mediana", "Sala de Reunión Grande"]);
    assert_eq!(search("&capacity=15&resources=proyector".into()).await, ["Sala de Reunión Grande"]);
    assert_eq!(search("&capacity=21".into()).await, Vec::<String>::new());
    assert_eq!(search(format!("&q={}", enc("piscina"))).await, Vec::<String>::new());

    // Another window: the busy room is free then.
    let res =
        member.get(&format!("/api/v1/availability?from={}&to={}&q=ocupada", enc(&at(3, 10)), enc(&at(3, 12)))).await;
    assert_eq!(names(&res.body), ["Reunión Ocupada"]);

    let res =
        member.get(&format!("/api/v1/availability?from={}&to={}&resources=Teletransporte", enc(&from), enc(&to))).await;
    assert_invalid(&res, "resources[0]");
    let res = member.get(&format!("/api/v1/availability?from={}&to={}&capacity=-1", enc(&from), enc(&to))).await;
    assert_invalid(&res, "capacity");
    assert_invalid(&member.get(&format!("/api/v1/availability?to={}", enc(&to))).await, "from");
    s.stop().await;
}
