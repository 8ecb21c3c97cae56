//! Groups and room access rules (docs/access.md), seen from outside: group admin CRUD and who
//! may do it; a matrix of users in and out of groups × rooms with and without rules × a
//! location rule, through the API and the pages; export/import keeps it all.

use crate::browser::Browser;
use crate::common::process::run;
use crate::common::{Api, PASSWORD, TestServer, at};
use serde_json::{Value, json};

async fn group(admin: &Api, name: &str) -> String {
    let res = admin.post("/api/v1/groups", json!({"name": name})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    res.body["id"].as_str().unwrap().to_string()
}

async fn join(admin: &Api, group: &str, user: &Api) {
    let res = admin.send(admin.http.put(format!("{}/api/v1/groups/{group}/members/{}", admin.base, user.id))).await;
    assert_eq!(res.status, 204, "{}", res.body);
}

async fn put(api: &Api, path: &str, body: Value) -> crate::common::Res {
    api.send(api.http.put(format!("{}{path}", api.base)).json(&body)).await
}

async fn room_in(admin: &Api, name: &str, location: &str) -> String {
    let res = admin
        .post("/api/v1/rooms", json!({"name": name, "capacity": 6, "location": location, "timezone": "Europe/Madrid"}))
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    res.body["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn group_admin_crud_and_who_may_do_it() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let (member, manager) = (s.user("member").await, s.user("manager").await);

    let id = group(&admin, "Research").await;
    let taken = admin.post("/api/v1/groups", json!({"name": " research "})).await;
    assert_eq!(taken.status, 409, "{}", taken.body);
    assert_eq!(taken.error_fields(), vec!["name"]);
    let empty = admin.post("/api/v1/groups", json!({"name": "  "})).await;
    assert_eq!(empty.status, 422, "{}", empty.body);
    assert_eq!(empty.error_fields(), vec!["name"]);
    assert_eq!(empty.headers["content-type"], "application/problem+json");

    // Groups are the admins' business: members and managers are refused, and change nothing.
    for who in [&member, &manager] {
        assert_eq!(who.get("/api/v1/groups").await.status, 403);
        assert_eq!(who.post("/api/v1/groups", json!({"name": "Mine"})).await.status, 403);
        assert_eq!(who.delete(&format!("/api/v1/groups/{id}")).await.status, 403);
        let res = who.send(who.http.put(format!("{}/api/v1/groups/{id}/members/{}", who.base, who.id))).await;
        assert_eq!(res.status, 403);
    }

    join(&admin, &id, &member).await;
    join(&admin, &id, &member).await; // adding twice changes nothing
    let nobody =
        admin.send(admin.http.put(format!("{}/api/v1/groups/{id}/members/{}", admin.base, uuid::Uuid::now_v7()))).await;
    assert_eq!(nobody.status, 404, "{}", nobody.body);
    let got = admin.get(&format!("/api/v1/groups/{id}")).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.body["member_count"], 1);
    assert_eq!(got.body["members"][0]["email"], member.email.as_str());
    assert_eq!(got.header("etag"), Some("\"1\""));

    let stale = admin.patch_if_match(&format!("/api/v1/groups/{id}"), 7, json!({"name": "R&D"})).await;
    assert_eq!(stale.status, 412, "{}", stale.body);
    let renamed = admin.patch_if_match(&format!("/api/v1/groups/{id}"), 1, json!({"name": "R&D"})).await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.body["name"], "R&D");
    let list = admin.get("/api/v1/groups").await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert_eq!(list.body[0]["member_count"], 1);

    let out = admin.delete(&format!("/api/v1/groups/{id}/members/{}", member.id)).await;
    assert_eq!(out.status, 204);
    assert_eq!(admin.get(&format!("/api/v1/groups/{id}")).await.body["member_count"], 0);
    assert_eq!(admin.delete(&format!("/api/v1/groups/{id}")).await.status, 204);
    assert_eq!(admin.get(&format!("/api/v1/groups/{id}")).await.status, 404);
    assert_eq!(admin.delete(&format!("/api/v1/groups/{id}")).await.status, 404);
}

#[tokio::test]
async fn rules_name_existing_groups_and_only_managers_set_them() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room = admin.create_room("Sala", 4).await;
    let g = group(&admin, "Board").await;
    let path = format!("/api/v1/rooms/{room}/access");
    let bad = put(&admin, &path, json!({"see": [g.clone(), "No such group"]})).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(bad.error_fields(), vec!["see[1]"]);
    assert_eq!(put(&member, &path, json!({"see": [g.clone()]})).await.status, 403);
    let ok = put(&admin, &path, json!({"see": ["board"], "min_role_to_book": "viewer"})).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["governed_by"], "room");
    assert_eq!(ok.body["room"]["see"][0]["name"], "Board");
    assert_eq!(ok.body["room"]["min_role_to_book"], "viewer");
    // Deleting the group takes it out of the rule.
    assert_eq!(admin.delete(&format!("/api/v1/groups/{g}")).await.status, 204);
    let after = admin.get(&path).await;
    assert_eq!(after.body["room"]["see"], json!([]), "{}", after.body);
    // An empty rule removes it.
    let cleared = put(&admin, &path, json!({})).await;
    assert_eq!(cleared.body["governed_by"], "none", "{}", cleared.body);
}

/// What one user should find in one room: (listed and readable, may book).
type Expect = (bool, bool);

#[tokio::test]
async fn access_matrix_through_the_api() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let staff = group(&admin, "Staff").await;
    let bookers = group(&admin, "Bookers").await;
    let stewards = group(&admin, "Stewards").await;
    let in_staff = s.user("member").await;
    let in_bookers = s.user("member").await;
    let viewer_in_bookers = s.user("viewer").await;
    let outsider = s.user("member").await;
    let steward = s.user("member").await;
    let manager = s.user("manager").await;
    join(&admin, &staff, &in_staff).await;
    join(&admin, &bookers, &in_bookers).await;
    join(&admin, &bookers, &viewer_in_bookers).await;
    join(&admin, &stewards, &steward).await;

    let open = room_in(&admin, "Open", "South").await;
    let hidden = room_in(&admin, "Hidden", "South").await;
    let restricted = room_in(&admin, "Restricted", "South").await;
    let north_plain = room_in(&admin, "North plain", "North").await;
    let north_own = room_in(&admin, "North own", "North").await;
    let set = |room: String, rule: Value| {
        let admin = admin.clone();
        async move {
            let res = put(&admin, &format!("/api/v1/rooms/{room}/access"), rule).await;
            assert_eq!(res.status, 200, "{}", res.body);
        }
    };
    set(hidden.clone(), json!({"see": [staff], "manage": [stewards]})).await;
    set(restricted.clone(), json!({"book": [bookers], "min_role_to_book": "viewer"})).await;
    // A location rule for North, which "North own" replaces with its own (everyone sees it).
    let north = put(&admin, "/api/v1/location-access/north", json!({"see": [staff]})).await;
    assert_eq!(north.status, 200, "{}", north.body);
    assert_eq!(north.body["location"], "north");
    set(north_own.clone(), json!({"book": [staff]})).await;

    let rooms = [&open, &hidden, &restricted, &north_plain, &north_own];
    #[rustfmt::skip]
    let matrix: Vec<(&str, &Api, [Expect; 5])> = vec![
        //                                open           hidden          restricted      north plain     north own
        ("staff member",      &in_staff,          [(true, true), (true, true),  (true, false), (true, true),  (true, true)]),
        ("bookers member",    &in_bookers,        [(true, true), (false, false),(true, true),  (false, false),(true, false)]),
        ("bookers viewer",    &viewer_in_bookers, [(true, false),(false, false),(true, true),  (false, false),(true, false)]),
        ("outsider",          &outsider,          [(true, true), (false, false),(true, false), (false, false),(true, false)]),
        ("steward",           &steward,           [(true, true), (true, true),  (true, false), (false, false),(true, false)]),
        ("manager",           &manager,           [(true, true), (true, true),  (true, true),  (true, true),  (true, true)]),
        ("admin",             &admin,             [(true, true), (true, true),  (true, true),  (true, true),  (true, true)]),
    ];
    for (day, (who, api, row)) in matrix.into_iter().enumerate() {
        let listed: Vec<String> = api
            .get("/api/v1/rooms")
            .await
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        for (i, (room, (sees, books))) in rooms.iter().zip(row).enumerate() {
            let ctx = format!("{who}, room {i}");
            assert_eq!(listed.contains(room), sees, "{ctx}: listing");
            let one = api.get(&format!("/api/v1/rooms/{room}")).await;
            assert_eq!(one.status, if sees { 200 } else { 404 }, "{ctx}: get {}", one.body);
            let avail = api
                .get(&format!("/api/v1/rooms/{room}/availability?from={}&to={}", enc(&at(3, 8)), enc(&at(3, 18))))
                .await;
            assert_eq!(avail.status, if sees { 200 } else { 404 }, "{ctx}: availability {}", avail.body);
            let (start, end) = (at(2 + day as i64, 8 + i as i64), at(2 + day as i64, 9 + i as i64));
            let booked = api.book(room, &start, &end).await;
            let want = match (sees, books) {
                (_, true) => 201,
                (true, false) => 403,
                (false, false) => 422,
            };
            assert_eq!(booked.status, want, "{ctx}: booking {}", booked.body);
            if want == 403 {
                // Refused by a rule: it says so; by the role alone (no rule): the role table's answer.
                let expected =
                    if i == 0 { "urn:salas:problem:forbidden" } else { "urn:salas:problem:room-not-bookable" };
                assert_eq!(booked.body["type"], expected, "{ctx}: {}", booked.body);
                assert_eq!(booked.headers["content-type"], "application/problem+json");
            }
            if want == 422 {
                assert_eq!(booked.error_fields(), vec!["room_id"], "{ctx}: hidden room reads as missing");
            }
            let rights = api.get(&format!("/api/v1/rooms/{room}/rights")).await;
            if sees {
                assert_eq!(rights.body["book"], books, "{ctx}: rights {}", rights.body);
            } else {
                assert_eq!(rights.status, 404, "{ctx}");
            }
        }
    }

    // Reservations in a hidden room: not listed for outsiders, not readable, but for the staff.
    let meeting = in_staff.book(&hidden, &at(20, 10), &at(20, 11)).await;
    assert_eq!(meeting.status, 201, "{}", meeting.body);
    let rid = meeting.body["id"].as_str().unwrap();
    let listed_ids = |res: &crate::common::Res| -> Vec<String> {
        res.body.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
    };
    // Paging reads on past hidden reservations: pages of 2 still fill up for the outsider.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/reservations?limit=2&cursor={c}"),
            None => "/api/v1/reservations?limit=2".into(),
        };
        let page = outsider.get(&path).await;
        let ids = listed_ids(&page);
        let next = page.header("x-next-cursor").map(str::to_string);
        assert!(ids.len() == 2 || next.is_none(), "short page before the end: {}", page.body);
        seen.extend(ids);
        match next {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert!(!seen.contains(&rid.to_string()));
    let staff_all = in_staff.get("/api/v1/reservations?limit=200").await;
    assert!(listed_ids(&staff_all).contains(&rid.to_string()));
    assert_eq!(outsider.get(&format!("/api/v1/reservations/{rid}")).await.status, 404);
    assert_eq!(in_staff.get(&format!("/api/v1/reservations/{rid}")).await.status, 200);
    let by_room = outsider.get(&format!("/api/v1/reservations?room_id={hidden}")).await;
    assert_eq!(by_room.body, json!([]), "{}", by_room.body);

    // The hidden room's manage group manages its reservations, and only that room's.
    let other = in_staff.book(&open, &at(21, 10), &at(21, 11)).await;
    let other_id = other.body["id"].as_str().unwrap();
    let refused = steward.post(&format!("/api/v1/reservations/{other_id}/cancel"), json!({})).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let moved = steward.patch(&format!("/api/v1/reservations/{rid}"), json!({"title": "Moved by the steward"})).await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let cancelled = steward.post(&format!("/api/v1/reservations/{rid}/cancel"), json!({})).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);

    // Search, free rooms and find-room leave hidden rooms out too.
    let names = |res: crate::common::Res, key: Option<&str>| -> Vec<String> {
        let list = match key {
            Some(k) => res.body[k].clone(),
            None => res.body.clone(),
        };
        list.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_string()).collect()
    };
    // The index follows the store a moment later: wait until the staff find the room.
    let mut indexed = false;
    for _ in 0..100 {
        let found = in_staff.get("/api/v1/search?q=hidden").await;
        if found.status == 200 && names(found, None).contains(&"Hidden".to_string()) {
            indexed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(indexed, "the staff find the hidden room");
    let found = names(outsider.get("/api/v1/search?q=hidden").await, None);
    assert!(!found.contains(&"Hidden".to_string()), "{found:?}");
    let window = format!("from={}&to={}", enc(&at(30, 10)), enc(&at(30, 11)));
    let mut free = names(outsider.get(&format!("/api/v1/availability?{window}")).await, None);
    free.sort();
    assert_eq!(free, vec!["North own", "Open", "Restricted"]);
    let free = names(in_staff.get(&format!("/api/v1/availability?{window}")).await, None);
    assert_eq!(free.len(), 5, "{free:?}");
    let fits = names(outsider.get(&format!("/api/v1/find-room?{window}")).await, Some("rooms"));
    assert!(!fits.iter().any(|n| n == "Hidden" || n == "North plain"), "{fits:?}");
}

fn enc(s: &str) -> String {
    s.replace('+', "%2B")
}

#[tokio::test]
async fn pages_hide_rooms_and_explain_refusals() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let outsider = s.user("member").await;
    let hidden = room_in(&admin, "Sala Secreta", "HQ").await;
    let restricted = room_in(&admin, "Sala Dirección", "HQ").await;
    let g = group(&admin, "Dirección").await;
    put(&admin, &format!("/api/v1/rooms/{hidden}/access"), json!({"see": [g.clone()]})).await;
    put(&admin, &format!("/api/v1/rooms/{restricted}/access"), json!({"book": [g.clone()]})).await;

    let mut b = Browser::new(&s);
    let csrf = b.sign_in(&outsider.email, PASSWORD).await;
    let rooms = b.get("/rooms").await;
    assert_eq!(rooms.status, 200);
    assert!(!rooms.html.contains("Sala Secreta") && rooms.html.contains("Sala Dirección"));
    assert_eq!(b.get(&format!("/rooms/{hidden}")).await.status, 404);
    assert_eq!(b.get(&format!("/rooms/{restricted}")).await.status, 200);
    let timeline = b.get("/").await;
    assert!(!timeline.html.contains("Sala Secreta"));
    let form = b.get("/book").await;
    assert!(!form.html.contains("Sala Secreta") && !form.html.contains("Sala Dirección"), "only bookable rooms");
    let live = b.get("/search/live?q=secreta").await;
    assert!(!live.html.contains("Sala Secreta"));

    let date = at(2, 0)[..10].to_string();
    let refused = b
        .post(
            "/book",
            &[
                ("csrf", csrf.as_str()),
                ("room", restricted.as_str()),
                ("title", "Planning"),
                ("date", &date),
                ("start", "10:00"),
                ("end", "11:00"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.html);
    assert!(refused.html.contains("You may not book Sala Dirección"), "{}", refused.html);

    // The admin pages: members are refused; the admin creates a group and sets a rule.
    assert_eq!(b.get("/admin/groups").await.status, 403);
    let mut a = Browser::new(&s);
    let csrf = a.sign_in(crate::common::ADMIN_EMAIL, crate::common::ADMIN_PASSWORD).await;
    let made = a.post("/admin/groups", &[("csrf", csrf.as_str()), ("name", "Visitors"), ("description", "")]).await;
    assert_eq!(made.status, 303, "{}", made.html);
    let page = a.get(made.location()).await;
    assert!(page.html.contains("Visitors"));
    let dup = a.post("/admin/groups", &[("csrf", csrf.as_str()), ("name", "visitors"), ("description", "")]).await;
    assert_eq!(dup.status, 422);
    let visitors = made.location().rsplit('/').next().unwrap().to_string();
    let add = a.post(&format!("/admin/groups/{visitors}/members"), &[("csrf", &csrf), ("user", &outsider.id)]).await;
    assert_eq!(add.status, 303, "{}", add.html);
    let rule = a
        .post(&format!("/admin/access/rooms/{hidden}"), &[("csrf", &csrf), ("see", &visitors), ("min_role", "")])
        .await;
    assert_eq!(rule.status, 303, "{}", rule.html);
    let overview = a.get("/admin/access").await;
    assert!(overview.html.contains("Visitors"), "the overview names the group");
    // The outsider, now a visitor, finds the room.
    assert_eq!(b.get(&format!("/rooms/{hidden}")).await.status, 200);
    let wrong_csrf = a.post(&format!("/admin/access/rooms/{hidden}"), &[("csrf", "nope"), ("see", &visitors)]).await;
    assert_eq!(wrong_csrf.status, 403);
}

#[tokio::test]
async fn groups_and_rules_survive_export_and_import() {
    if crate::common::postgres::redb_only() {
        return;
    }
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let room = room_in(&admin, "Sala", "HQ").await;
    let g = group(&admin, "Research").await;
    join(&admin, &g, &member).await;
    put(&admin, &format!("/api/v1/rooms/{room}/access"), json!({"book": [g.clone()]})).await;
    put(&admin, "/api/v1/location-access/HQ", json!({"see": [g.clone()], "min_role_to_book": "viewer"})).await;
    let dir = s.stop().await;

    let work = tempfile::tempdir().unwrap();
    let (a, b) = (work.path().join("a.json"), work.path().join("b.json"));
    let (ok, _, err) = run(&["export", "--output", a.to_str().unwrap()], dir.path());
    assert!(ok, "{err}");
    let new = work.path().join("new-data");
    let (ok, _, err) = run(&["import", a.to_str().unwrap()], &new);
    assert!(ok, "{err}");
    let (ok, _, err) = run(&["export", "--output", b.to_str().unwrap()], &new);
    assert!(ok, "{err}");
    let (first, second) = (std::fs::read_to_string(&a).unwrap(), std::fs::read_to_string(&b).unwrap());
    assert!(first == second, "export → import → export changed the document");
    let doc: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(doc["groups"][0]["name"], "Research");
    assert_eq!(doc["group_members"][0]["user"], member.id.as_str());
    assert_eq!(doc["room_access"][0]["rule"]["book"][0], g.as_str());
    assert_eq!(doc["location_access"][0]["location"], "HQ");

    // The imported store enforces the same rules.
    let s = TestServer::start_with(work, crate::common::config(&new)).await;
    // The room's own rule (booking for Research) replaces HQ's: everyone sees it, only
    // Research books it.
    let outsider = s.user("member").await;
    assert_eq!(outsider.get(&format!("/api/v1/rooms/{room}")).await.status, 200);
    assert_eq!(outsider.book(&room, &at(3, 10), &at(3, 11)).await.status, 403);
    let member = s.sign_in(&member.email, PASSWORD).await;
    assert_eq!(member.book(&room, &at(3, 10), &at(3, 11)).await.status, 201);
    // Another HQ room follows HQ's rule: hidden from the outsider.
    let admin = s.admin().await;
    let other = room_in(&admin, "Otra", "hq").await;
    assert_eq!(outsider.get(&format!("/api/v1/rooms/{other}")).await.status, 404);
    assert_eq!(member.get(&format!("/api/v1/rooms/{other}")).await.status, 200);
}
