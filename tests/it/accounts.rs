//! Self-service accounts, against a real server and a real SMTP server: "forgot password" never
//! tells whether an address is known and sends a single-use link that sets the password and ends
//! every session; admins send reset links and invitations; people of allowed domains sign up.
//! (The links' 60-minute expiry is a unit test of `users::links::state`: the test server's clock
//! does not move the users module's time.)

use crate::browser::{Browser, Page};
use crate::common::{PASSWORD, SmtpSink, TestServer, config, free_port};
use serde_json::{Value, json};

const NEW_PASSWORD: &str = "a brand new passphrase";

/// A server whose `[auth] public_url` is its own address: links asked for by people who are not
/// signed in are e-mailed only when it is set.
async fn start(sink: &SmtpSink, domains: &[&str]) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    sink.configure(&mut c);
    c.auth.self_signup_domains = domains.iter().map(|d| d.to_string()).collect();
    let port = free_port();
    c.listen = format!("127.0.0.1:{port}");
    c.auth.public_url = format!("http://127.0.0.1:{port}");
    TestServer::start_with(dir, c).await
}

fn to(address: &str) -> impl Fn(&Value) -> bool + '_ {
    move |m: &Value| m["to"].as_str().unwrap_or("").contains(address)
}

/// The link in a message, checked to be in both parts.
fn link_in(m: &Value) -> String {
    let text = m["text"].as_str().unwrap_or("");
    let start = text.find("http").unwrap_or_else(|| panic!("no link in {m}"));
    let link: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    assert!(link.contains("/password/reset/"), "{link}");
    // HTML escaping writes `/` as `&#x2f;`, which the reader's mail program reads back.
    let html = m["html"].as_str().unwrap_or("").replace("&#x2f;", "/");
    assert!(html.contains(&format!("href=\"{link}\"")), "the HTML part has the link too: {html}");
    link
}

/// The path of a link (the browser here talks to the server directly).
fn path_of(link: &str) -> String {
    let at = link.find("/password/reset/").unwrap();
    link[at..].to_string()
}

/// A page without the one thing that differs on every answer: its form token.
fn without_token(p: &Page) -> String {
    let token = p.input("csrf");
    p.html.replace(&token, "")
}

async fn forgot(b: &mut Browser, email: &str) -> Page {
    let form = b.get("/password/forgot").await;
    assert_eq!(form.status, 200);
    b.post("/password/forgot", &[("email", email), ("csrf", &form.input("csrf"))]).await
}

async fn sign_up(b: &mut Browser, email: &str) -> Page {
    let form = b.get("/signup").await;
    b.post("/signup", &[("name", "Nuria Nueva"), ("email", email), ("csrf", &form.input("csrf"))]).await
}

/// Sets a password through a link; returns the answer to the form.
async fn set_password(b: &mut Browser, path: &str, password: &str, again: &str) -> Page {
    let page = b.get(path).await;
    assert_eq!(page.status, 200, "{}", page.html);
    b.post(path, &[("password", password), ("password_confirm", again), ("csrf", &page.input("csrf"))]).await
}

#[tokio::test]
async fn forgot_password_never_tells_and_its_link_sets_the_password_once_ending_every_session() {
    let sink = SmtpSink::start();
    let s = start(&sink, &[]).await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let mut old_session = Browser::new(&s);
    old_session.sign_in(&member.email, PASSWORD).await;

    // The API: 202 for a known and an unknown address alike; 422 only for a malformed body.
    let anonymous = s.anonymous();
    let known = anonymous.post("/api/v1/auth/password-reset", json!({"email": member.email})).await;
    let unknown = anonymous.post("/api/v1/auth/password-reset", json!({"email": "nobody@example.test"})).await;
    assert_eq!((known.status, unknown.status), (202, 202));
    assert_eq!(known.body, unknown.body);
    assert_eq!(anonymous.post("/api/v1/auth/password-reset", json!({"mail": "x"})).await.status, 422);

    // The page: the same answer either way, linked from the sign-in page.
    let mut b = Browser::new(&s);
    assert!(b.get("/login").await.html.contains("href=\"/password/forgot\""));
    assert!(!b.get("/login").await.html.contains("href=\"/signup\""), "no self-registration configured");
    assert_eq!(b.get("/signup").await.status, 404);
    let for_unknown = forgot(&mut b, "nobody@example.test").await;
    let for_known = forgot(&mut b, &member.email).await;
    assert_eq!((for_unknown.status, for_known.status), (200, 200));
    assert!(for_known.html.contains("id=\"forgot-sent\""), "{}", for_known.html);
    assert_eq!(without_token(&for_unknown), without_token(&for_known));

    // Two mails for the member (API and page), none for the unknown address.
    let mails = sink.wait_for(2, to(&member.email)).await;
    assert!(mails.iter().all(|m| m["subject"].as_str().unwrap().contains("Reset your Salas password")));
    assert!(sink.messages().iter().all(|m| !to("nobody@example.test")(m)));
    let path = path_of(&link_in(&mails[0]));

    // The new password must follow the rules, and be typed the same twice.
    let page = b.get(&path).await;
    assert!(page.html.contains(&member.email), "{}", page.html);
    let differ = set_password(&mut b, &path, NEW_PASSWORD, "something else entirely").await;
    assert_eq!(differ.status, 422);
    let short = set_password(&mut b, &path, "short", "short").await;
    assert_eq!(short.status, 422);
    let done = set_password(&mut b, &path, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(done.status, 303, "{}", done.html);
    assert_eq!(done.location(), "/");
    let home = b.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.html.contains("Your password is set"), "signed in, with a welcome");

    // Every old session and access token has ended; the old password is refused, the new works.
    assert_eq!(old_session.get("/my").await.status, 303, "the old browser session ended");
    assert_eq!(member.get("/api/v1/users/me").await.status, 401, "the old access token ended");
    let old = anonymous.post("/api/v1/auth/token", json!({"email": member.email, "password": PASSWORD})).await;
    assert_eq!(old.status, 401);
    s.sign_in(&member.email, NEW_PASSWORD).await;

    // The same link a second time: a clear page, 410, whether shown or posted.
    let again = b.get(&path).await;
    assert_eq!(again.status, 410);
    assert!(again.html.contains("expired or was already used") && again.html.contains("href=\"/password/forgot\""));
    let mut fresh = Browser::new(&s);
    let form = fresh.get("/password/forgot").await;
    let reuse = fresh
        .post(
            &path,
            &[
                ("password", "another new password"),
                ("password_confirm", "another new password"),
                ("csrf", &form.input("csrf")),
            ],
        )
        .await;
    assert_eq!(reuse.status, 410, "{}", reuse.html);
    // A link nobody sent: 404, the same page.
    let made_up = b.get("/password/reset/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await;
    assert_eq!(made_up.status, 404);
    assert!(made_up.html.contains("expired or was already used"));

    // The audit log has the link sent and the reset, and never the secret.
    let audit = admin.get("/api/v1/audit?limit=1000").await.body.to_string();
    assert!(audit.contains("user.reset_link_sent") && audit.contains("user.password_reset"), "{audit}");
    let secret = path.trim_start_matches("/password/reset/");
    assert!(!audit.contains(secret), "the audit log names no link");
    s.stop().await;
}

#[tokio::test]
async fn too_many_requests_are_answered_the_same_and_send_no_more_mail() {
    let sink = SmtpSink::start();
    let s = start(&sink, &[]).await;
    let member = s.user("member").await;
    let other = s.user("member").await;
    let mut b = Browser::new(&s);
    let first = forgot(&mut b, &member.email).await;
    for _ in 0..4 {
        let next = forgot(&mut b, &member.email).await;
        assert_eq!(next.status, 200);
        assert_eq!(without_token(&next), without_token(&first));
    }
    assert_eq!(s.anonymous().post("/api/v1/auth/password-reset", json!({"email": member.email})).await.status, 202);
    sink.wait_for(3, to(&member.email)).await;
    // A request for someone else, made after them, has its mail: the ones held back never come.
    forgot(&mut b, &other.email).await;
    sink.wait_for(1, to(&other.email)).await;
    assert_eq!(sink.messages().iter().filter(|m| to(&member.email)(m)).count(), 3);
    s.stop().await;
}

#[tokio::test]
async fn admins_send_reset_links_and_invitations_and_members_cannot() {
    let sink = SmtpSink::start();
    let s = start(&sink, &[]).await;
    let admin = s.admin().await;
    let member = s.user("member").await;

    let denied = member.post(&format!("/api/v1/users/{}/password-reset", admin.id), json!({})).await;
    assert_eq!(denied.status, 403, "{}", denied.body);
    let sent = admin.post(&format!("/api/v1/users/{}/password-reset", member.id), json!({})).await;
    assert_eq!(sent.status, 202, "{}", sent.body);
    let mail = sink.wait_for(1, to(&member.email)).await;
    let mut b = Browser::new(&s);
    assert_eq!(set_password(&mut b, &path_of(&link_in(&mail[0])), NEW_PASSWORD, NEW_PASSWORD).await.status, 303);
    s.sign_in(&member.email, NEW_PASSWORD).await;

    // An invitation: no password in the request or the answer, a welcome link by e-mail.
    let with_password = admin
        .post("/api/v1/users", json!({"email": "x@example.test", "name": "X", "invite": true, "password": PASSWORD}))
        .await;
    assert_eq!(with_password.status, 422, "{}", with_password.body);
    let invited = admin
        .post("/api/v1/users", json!({"email": "invitee@example.test", "name": "Ines Invitada", "invite": true}))
        .await;
    assert_eq!(invited.status, 201, "{}", invited.body);
    assert!(invited.body.get("password").is_none(), "{}", invited.body);
    let mail = sink.wait_for(1, to("invitee@example.test")).await;
    assert!(mail[0]["subject"].as_str().unwrap().contains("Welcome"), "{}", mail[0]);
    let path = path_of(&link_in(&mail[0]));
    let mut invitee = Browser::new(&s);
    let welcome = invitee.get(&path).await;
    assert!(welcome.html.contains("Welcome, set your password"), "{}", welcome.html);
    assert_eq!(set_password(&mut invitee, &path, NEW_PASSWORD, NEW_PASSWORD).await.status, 303);
    assert_eq!(invitee.get("/my").await.status, 200, "the invitee lands signed in");
    s.sign_in("invitee@example.test", NEW_PASSWORD).await;

    let audit = admin.get("/api/v1/audit?limit=1000").await.body.to_string();
    assert!(audit.contains("user.invited"), "{audit}");
    s.stop().await;
}

#[tokio::test]
async fn people_of_the_allowed_domains_sign_up_and_others_are_told_which_domains() {
    let sink = SmtpSink::start();
    let s = start(&sink, &["example.com"]).await;
    let admin = s.admin().await;
    let member =
        admin.post("/api/v1/users", json!({"email": "taken@example.com", "name": "Taken", "password": PASSWORD})).await;
    assert_eq!(member.status, 201);

    let mut b = Browser::new(&s);
    assert!(b.get("/login").await.html.contains("href=\"/signup\""));
    let form = b.get("/signup").await;
    assert_eq!(form.status, 200);
    let refused =
        b.post("/signup", &[("name", "Eve"), ("email", "eve@example.org"), ("csrf", &form.input("csrf"))]).await;
    assert_eq!(refused.status, 422);
    assert!(refused.html.contains("example.com"), "the error names the allowed domains");

    let new = sign_up(&mut b, "nuria@example.com").await;
    let existing = sign_up(&mut b, "taken@example.com").await;
    assert_eq!((new.status, existing.status), (200, 200));
    assert!(new.html.contains("id=\"signup-sent\""));
    assert_eq!(
        without_token(&new).replace("nuria@example.com", ""),
        without_token(&existing).replace("taken@example.com", "")
    );
    // The existing account gets a reset link instead of a second account.
    let reset = sink.wait_for(1, to("taken@example.com")).await;
    assert!(reset[0]["subject"].as_str().unwrap().contains("Reset"), "{}", reset[0]);

    let mail = sink.wait_for(1, to("nuria@example.com")).await;
    let path = path_of(&link_in(&mail[0]));
    let mut nuria = Browser::new(&s);
    assert!(nuria.get(&path).await.html.contains("Create your account"));
    assert_eq!(set_password(&mut nuria, &path, NEW_PASSWORD, NEW_PASSWORD).await.status, 303);
    assert_eq!(nuria.get("/my").await.status, 200);
    let api = s.sign_in("nuria@example.com", NEW_PASSWORD).await;
    let me = api.get("/api/v1/users/me").await;
    assert_eq!(me.body["role"], "member", "{}", me.body);
    assert_eq!(me.body["name"], "Nuria Nueva");
    let audit = admin.get("/api/v1/audit?limit=1000").await.body.to_string();
    assert!(audit.contains("user.signup_link_sent") && audit.contains("user.signed_up"), "{audit}");
    s.stop().await;
}

/// A forged `Host` never makes the link: it points at `[auth] public_url`, and without one the
/// link asked for by someone not signed in is not sent at all (an administrator's reset is).
#[tokio::test]
async fn a_forged_host_never_makes_the_link() {
    let sink = SmtpSink::start();
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    sink.configure(&mut c);
    c.auth.public_url = "https://salas.example.test".into();
    let s = TestServer::start_with(dir, c).await;
    let member = s.user("member").await;
    let anonymous = s.anonymous();
    let forged = anonymous
        .http
        .post(format!("{}/api/v1/auth/password-reset", anonymous.base))
        .header("host", "evil.example")
        .json(&json!({"email": member.email}));
    assert_eq!(anonymous.send(forged).await.status, 202);
    let mail = sink.wait_for(1, |m| m["text"].as_str().is_some_and(|t| t.contains("/password/reset/"))).await;
    let text = mail[0]["text"].as_str().unwrap();
    assert!(text.contains("https://salas.example.test/password/reset/") && !text.contains("evil.example"), "{text}");
    s.stop().await;

    let sink = SmtpSink::start();
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    sink.configure(&mut c);
    let s = TestServer::start_with(dir, c).await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let forged = anonymous_reset(&s, &member.email).await;
    assert_eq!(forged, 202);
    let sent = admin.post(&format!("/api/v1/users/{}/password-reset", member.id), json!({})).await;
    assert_eq!(sent.status, 202, "{}", sent.body);
    let mail = sink.wait_for(1, |m| m["text"].as_str().is_some_and(|t| t.contains("/password/reset/"))).await;
    assert_eq!(mail.len(), 1, "only the administrator's reset: {mail:#?}");
    let deliveries = admin.get("/api/v1/admin/email/deliveries").await;
    let resets = deliveries.body.as_array().unwrap().iter().filter(|d| d["kind"] == "account.reset").count();
    assert_eq!(resets, 1, "{}", deliveries.body);
    s.stop().await;
}

async fn anonymous_reset(s: &TestServer, email: &str) -> u16 {
    let anonymous = s.anonymous();
    let req = anonymous
        .http
        .post(format!("{}/api/v1/auth/password-reset", anonymous.base))
        .header("host", "evil.example")
        .json(&json!({"email": email}));
    anonymous.send(req).await.status
}
