//! Sign-in providers against real servers on loopback: the certified npm `oidc-provider`
//! (tests/oidc/provider.mjs) for OpenID Connect, and OpenLDAP's `slapd` for LDAP. Both are
//! installed by .ci/run.

use crate::browser::{Browser, Page};
use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD, TestServer, config};
use salas::access::Role;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A port nobody listens on right now (the servers below need theirs before they start).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A child process killed when the test ends, however it ends.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// OpenID Connect

const CLIENT_ID: &str = "salas";
const CLIENT_SECRET: &str = "a client secret for the tests";

async fn start_provider(port: u16, redirect_uri: &str, dir: &Path) -> Peer {
    let script = repo().join("tests/oidc/provider.mjs");
    assert!(
        repo().join("tests/oidc/node_modules/oidc-provider").exists(),
        "oidc-provider is not installed: run `npm ci --prefix tests/oidc` (.ci/run does)"
    );
    let users = json!({
        "ana": {"email": "Ana.Garcia@example.org", "email_verified": true, "name": "Ana García", "groups": ["staff", "salas-admins"]},
        "bruno": {"email": "bruno@example.org", "email_verified": true, "name": "Bruno", "groups": ["staff"]},
        "eve": {"email": "eve@example.org", "email_verified": false, "name": "Eve", "groups": ["salas-admins"]},
    });
    let conf =
        json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uri": redirect_uri, "users": users});
    let path = dir.join("provider.json");
    std::fs::write(&path, conf.to_string()).unwrap();
    let mut child = Command::new("node")
        .arg(&script)
        .arg(port.to_string())
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node runs");
    let stdout = child.stdout.take().unwrap();
    let peer = Peer(child);
    // It prints "ready" once listening (or exits, closing its output, if it cannot start). Its
    // output is read to the end: a closed pipe would kill it at its next log line.
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.trim() == "ready"
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(());
            }
        }
    });
    let ready = tokio::time::timeout(Duration::from_secs(30), rx).await;
    assert!(matches!(ready, Ok(Ok(()))), "the OpenID Connect provider did not start");
    peer
}

/// Follows a sign-in through the provider like a browser: redirects, the provider's login form
/// (filled in as `login`), and back. Returns this site's answer to the callback.
async fn through_provider(b: &mut Browser, salas: &str, mut page: Page, login: &str) -> Page {
    let mut origin = salas.to_string();
    for _ in 0..12 {
        if (300..400).contains(&page.status) {
            let location = page.location().to_string();
            let url = if location.starts_with('/') { format!("{origin}{location}") } else { location };
            origin = url.split('/').take(3).collect::<Vec<_>>().join("/");
            let callback = url.starts_with(salas) && url.contains("/login/oidc/callback");
            page = b.get_url(&url).await;
            if callback {
                return page;
            }
        } else if page.status == 200 && page.html.contains("/interaction/") {
            let action = page.html.split("action=\"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_string();
            page = b.post_url(&format!("{origin}{action}"), &[("login", login)]).await;
        } else {
            panic!("unexpected page in the sign-in flow: {} {}", page.status, page.html);
        }
    }
    panic!("the sign-in flow did not come back");
}

async fn oidc_sign_in(b: &mut Browser, salas: &str, login: &str) -> Page {
    let start = b.get("/login/oidc?next=%2Fmy").await;
    assert_eq!(start.status, 303, "{}", start.html);
    assert!(start.location().contains("code_challenge_method=S256"), "PKCE: {}", start.location());
    assert!(start.location().contains("nonce="), "nonce: {}", start.location());
    through_provider(b, salas, start, login).await
}

#[tokio::test]
async fn oidc_sign_in_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let peer_dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut c = config(dir.path());
    c.auth.local_passwords = false;
    c.oidc.enabled = true;
    c.oidc.issuer = format!("http://127.0.0.1:{port}");
    c.oidc.client_id = CLIENT_ID.into();
    c.oidc.client_secret = CLIENT_SECRET.into();
    c.oidc.scopes = vec!["email".into(), "profile".into(), "groups".into()];
    c.oidc.role_claim = "groups".into();
    c.oidc.role_map.insert("salas-admins".into(), Role::Admin);
    c.oidc.button_label = "Example IdP".into();
    // The provider is down when Salas starts: Salas starts anyway.
    let server = TestServer::start_with(dir, c).await;
    let mut b = Browser::new(&server);

    // Only the provider's button: no password form, and the token endpoint refuses passwords.
    let login = b.get("/login").await;
    assert_eq!(login.status, 200);
    assert!(login.html.contains("Sign in with Example IdP"), "{}", login.html);
    assert!(!login.html.contains("name=\"password\""), "{}", login.html);
    let res =
        server.anonymous().post("/api/v1/auth/token", json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})).await;
    assert_eq!(res.status, 403, "{}", res.body);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    assert_eq!(res.body["type"], "urn:salas:problem:local-passwords-disabled", "{}", res.body);
    let csrf = login.input("csrf");
    let form = b.post("/login", &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD), ("csrf", &csrf)]).await;
    assert_eq!(form.status, 403, "{}", form.html);
    assert!(b.cookie("salas_session").is_none());

    // The provider is down: a clear message on the sign-in page, not an error page.
    let down = b.get("/login/oidc").await;
    assert_eq!(down.status, 503, "{}", down.html);
    assert!(down.html.contains("The sign-in provider cannot be reached right now"), "{}", down.html);
    assert!(down.html.contains("Sign in with Example IdP"));

    let _provider = start_provider(port, &format!("{}/login/oidc/callback", server.url), peer_dir.path()).await;

    // Ana's first sign-in creates her account, an admin by her group, and opens a session.
    let back = oidc_sign_in(&mut b, &server.url, "ana").await;
    assert_eq!(back.status, 303, "{}", back.html);
    assert_eq!(back.location(), "/my");
    assert!(b.cookie("salas_session").is_some());
    let users = b.get("/admin/users").await;
    assert_eq!(users.status, 200, "Ana is an admin: {}", users.html);
    assert!(users.html.contains("ana.garcia@example.org"), "{}", users.html);
    assert!(users.html.contains("Ana García"));

    // A second sign-in finds the same account.
    let mut again = Browser::new(&server);
    assert_eq!(oidc_sign_in(&mut again, &server.url, "ana").await.status, 303);

    // Bruno matches no mapped group: the default role, member.
    let mut bruno = Browser::new(&server);
    let back = oidc_sign_in(&mut bruno, &server.url, "bruno").await;
    assert_eq!(back.status, 303, "{}", back.html);
    assert_eq!(bruno.get("/my").await.status, 200);
    assert_eq!(bruno.get("/admin/users").await.status, 403);

    // No verified e-mail address: refused, and no account is created.
    let mut eve = Browser::new(&server);
    let back = oidc_sign_in(&mut eve, &server.url, "eve").await;
    assert_eq!(back.status, 403, "{}", back.html);
    assert!(back.html.contains("no verified e-mail address"), "{}", back.html);
    assert!(eve.cookie("salas_session").is_none());
    assert!(!b.get("/admin/users").await.html.contains("eve@example.org"));

    // A callback this browser did not start (no state cookie, made-up state) is refused.
    let mut stranger = Browser::new(&server);
    let forged = stranger.get("/login/oidc/callback?code=abc&state=made-up").await;
    assert_eq!(forged.status, 400, "{}", forged.html);
    assert!(forged.html.contains("Please try again"), "{}", forged.html);

    // The provider refuses (the user cancelled): the sign-in page says so.
    let start = stranger.get("/login/oidc").await;
    assert!(stranger.cookie("salas_oidc_state").is_some());
    let location = reqwest::Url::parse(start.location()).unwrap();
    let state = location.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.to_string()).unwrap();
    let refused = stranger.get(&format!("/login/oidc/callback?error=access_denied&state={state}")).await;
    assert_eq!(refused.status, 401, "{} {}", refused.html, start.location());
    assert!(refused.html.contains("did not confirm your sign-in"), "{}", refused.html);
    assert!(stranger.cookie("salas_session").is_none());

    // Spanish.
    let mut es = Browser::new(&server);
    es.accept_language = Some("es".into());
    assert!(es.get("/login").await.html.contains("Iniciar sesión con Example IdP"));
}

// ---------------------------------------------------------------------------------------------
// LDAP

const SUFFIX: &str = "dc=example,dc=org";
const LDAP_ADMIN: &str = "cn=admin,dc=example,dc=org";
const LDAP_ADMIN_PASSWORD: &str = "directory admin password";

/// slapd with a temporary configuration and database, holding two people and one group.
async fn start_slapd(dir: &Path) -> (Peer, String) {
    let port = free_port();
    let db = dir.join("db");
    std::fs::create_dir_all(&db).unwrap();
    let conf = format!(
        "include /etc/ldap/schema/core.schema\n\
         include /etc/ldap/schema/cosine.schema\n\
         include /etc/ldap/schema/inetorgperson.schema\n\
         modulepath /usr/lib/ldap\n\
         moduleload back_mdb\n\
         pidfile {dir}/slapd.pid\n\
         database mdb\n\
         maxsize 10485760\n\
         suffix \"{SUFFIX}\"\n\
         rootdn \"{LDAP_ADMIN}\"\n\
         rootpw \"{LDAP_ADMIN_PASSWORD}\"\n\
         directory {db}\n\
         access to attrs=userPassword by self write by anonymous auth by * none\n\
         access to * by * read\n",
        dir = dir.display(),
        db = db.display(),
    );
    let conf_path = dir.join("slapd.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let url = format!("ldap://127.0.0.1:{port}");
    let child = Command::new("/usr/sbin/slapd")
        .args(["-f", conf_path.to_str().unwrap(), "-h", &format!("{url}/"), "-d", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("slapd runs (apt-get install slapd ldap-utils)");
    let peer = Peer(child);
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let ldif = format!(
        "dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n\
         dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n\n\
         dn: uid=carmen,ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: carmen\ncn: Carmen Ruiz\nsn: Ruiz\n\
         mail: carmen@example.org\nuserPassword: carmen password 1\n\n\
         dn: uid=dario,ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: dario\ncn: Darío López\nsn: López\n\
         mail: dario@example.org\nuserPassword: dario password 1\n\n\
         dn: cn=salas-managers,ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: salas-managers\n\
         member: uid=carmen,ou=people,{SUFFIX}\n"
    );
    let ldif_path = dir.join("data.ldif");
    std::fs::write(&ldif_path, ldif).unwrap();
    let out = Command::new("ldapadd")
        .args(["-x", "-H", &url, "-D", LDAP_ADMIN, "-w", LDAP_ADMIN_PASSWORD, "-f", ldif_path.to_str().unwrap()])
        .output()
        .expect("ldapadd runs");
    assert!(out.status.success(), "ldapadd: {}", String::from_utf8_lossy(&out.stderr));
    (peer, url)
}

fn ldap_config(dir: &Path, url: &str) -> salas::config::Config {
    let mut c = config(dir);
    c.ldap.enabled = true;
    c.ldap.url = url.into();
    c.ldap.group_base_dn = format!("ou=groups,{SUFFIX}");
    c.ldap.role_map.insert("salas-managers".into(), Role::Manager);
    c
}

async fn token(server: &TestServer, login: &str, password: &str) -> crate::common::Res {
    server.anonymous().post("/api/v1/auth/token", json!({"email": login, "password": password})).await
}

async fn me(server: &TestServer, login: &str, password: &str) -> serde_json::Value {
    let res = token(server, login, password).await;
    assert_eq!(res.status, 200, "{login}: {}", res.body);
    let api = server.anonymous().with_token(res.body["access_token"].as_str().unwrap());
    api.get("/api/v1/users/me").await.body
}

#[tokio::test]
async fn ldap_search_then_bind() {
    let peer_dir = tempfile::tempdir().unwrap();
    let (_slapd, url) = start_slapd(peer_dir.path()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut c = ldap_config(dir.path(), &url);
    c.ldap.bind_dn = LDAP_ADMIN.into();
    c.ldap.bind_password = LDAP_ADMIN_PASSWORD.into();
    c.ldap.base_dn = format!("ou=people,{SUFFIX}");
    c.ldap.sync_groups = true;
    let server = TestServer::start_with(dir, c).await;
    let admin = server.admin().await;
    let group = admin.post("/api/v1/groups", json!({"name": "salas-managers"})).await;
    assert_eq!(group.status, 201, "{}", group.body);
    let group = format!("/api/v1/groups/{}", group.body["id"].as_str().unwrap());

    // First sign-in by user name creates the account from the entry; the group gives the role
    // and the membership of the Salas group of the same name.
    let carmen = me(&server, "carmen", "carmen password 1").await;
    assert_eq!(carmen["email"], "carmen@example.org", "{carmen}");
    assert_eq!(carmen["name"], "Carmen Ruiz");
    assert_eq!(carmen["role"], "manager");
    // By e-mail address it is the same account.
    assert_eq!(me(&server, "carmen@example.org", "carmen password 1").await["id"], carmen["id"]);
    let members = admin.get(&group).await.body["members"].to_string();
    assert!(members.contains("carmen@example.org"), "{members}");

    // No mapped group: the default role. A membership the directory does not list is dropped.
    let dario = me(&server, "dario", "dario password 1").await;
    assert_eq!(dario["role"], "member");
    let put =
        admin.send(admin.http.put(format!("{}{group}/members/{}", server.url, dario["id"].as_str().unwrap()))).await;
    assert!(put.status < 300, "{}", put.body);
    assert!(admin.get(&group).await.body["members"].to_string().contains("dario@example.org"));
    me(&server, "dario", "dario password 1").await;
    let members = admin.get(&group).await.body["members"].to_string();
    assert!(!members.contains("dario@example.org") && members.contains("carmen@example.org"), "{members}");

    // Wrong, empty (an anonymous bind to LDAP) and unknown: refused alike.
    for (login, password) in [("carmen", "wrong"), ("carmen", ""), ("nobody", "carmen password 1")] {
        let res = token(&server, login, password).await;
        assert_eq!(res.status, 401, "{login}/{password}: {}", res.body);
        assert_eq!(res.body["type"], "urn:salas:problem:bad-credentials");
    }
    // A filter injection finds nobody.
    assert_eq!(token(&server, "*", "carmen password 1").await.status, 401);

    // Local accounts still sign in with their local password.
    assert_eq!(me(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await["role"], "admin");

    // The sign-in form takes a user name and tries the directory.
    let mut b = Browser::new(&server);
    let login = b.get("/login").await;
    assert!(login.html.contains("E-mail address or user name"), "{}", login.html);
    b.sign_in("dario", "dario password 1").await;
    assert_eq!(b.get("/my").await.status, 200);
}

#[tokio::test]
async fn ldap_bind_as_user_without_local_passwords() {
    let peer_dir = tempfile::tempdir().unwrap();
    let (slapd, url) = start_slapd(peer_dir.path()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut c = ldap_config(dir.path(), &url);
    c.ldap.user_dn_template = format!("uid={{login}},ou=people,{SUFFIX}");
    c.auth.local_passwords = false;
    let server = TestServer::start_with(dir, c).await;

    let carmen = me(&server, "carmen", "carmen password 1").await;
    assert_eq!((carmen["email"].as_str(), carmen["role"].as_str()), (Some("carmen@example.org"), Some("manager")));
    assert_eq!(token(&server, "carmen", "wrong").await.status, 401);
    // Local passwords are off: the local administrator's password is not accepted.
    assert_eq!(token(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await.status, 401);

    // The directory goes away: a clear 503, not a 500 and not "wrong password".
    drop(slapd);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let res = token(&server, "carmen", "carmen password 1").await;
    assert_eq!(res.status, 503, "{}", res.body);
    assert_eq!(res.body["type"], "urn:salas:problem:directory-unavailable");
    let mut b = Browser::new(&server);
    let csrf = b.get("/login").await.input("csrf");
    let page = b.post("/login", &[("email", "carmen"), ("password", "carmen password 1"), ("csrf", &csrf)]).await;
    assert_eq!(page.status, 503, "{}", page.html);
    assert!(page.html.contains("directory cannot be reached"), "{}", page.html);
}
