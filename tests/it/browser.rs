//! A minimal browser for HTTP-level UI tests: keeps cookies, does not follow redirects, and
//! reads hidden form fields, as a real browser would send them.

use crate::common::TestServer;
use std::collections::HashMap;

pub struct Browser {
    base: String,
    http: reqwest::Client,
    cookies: HashMap<String, String>,
    pub accept_language: Option<String>,
}

pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub html: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The value of the first `<input … name="NAME" … value="…">`.
    pub fn input(&self, name: &str) -> String {
        let needle = format!("name=\"{name}\"");
        self.html
            .split("<input")
            .map(|tag| tag.split('>').next().unwrap_or(""))
            .find(|tag| tag.contains(&needle))
            .and_then(|tag| tag.split("value=\"").nth(1))
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_string()
    }
}

impl Browser {
    pub fn new(server: &TestServer) -> Browser {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Browser { base: server.url.clone(), http, cookies: HashMap::new(), accept_language: None }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let mut req = req.header("cookie", self.cookie_header());
        if let Some(l) = &self.accept_language {
            req = req.header("accept-language", l);
        }
        let res = req.send().await.unwrap();
        for v in res.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let (pair, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), val.to_string());
            }
        }
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        Page { status, headers, html: res.text().await.unwrap() }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(req).await
    }

    /// A GET of a full URL (another server on loopback, such as an identity provider). Cookies
    /// are kept per host, as browsers do, so the provider's and this site's share one jar.
    pub async fn get_url(&mut self, url: &str) -> Page {
        let req = self.http.get(url);
        self.send(req).await
    }

    pub async fn post_url(&mut self, url: &str, form: &[(&str, &str)]) -> Page {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let req = self.http.post(url).header("content-type", "application/x-www-form-urlencoded").body(body);
        self.send(req).await
    }

    pub fn cookie(&self, name: &str) -> Option<&String> {
        self.cookies.get(name)
    }

    /// Signs in through the form; returns the CSRF token of the session.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> String {
        let login = self.get("/login").await;
        let csrf = login.input("csrf");
        let res =
            self.post("/login", &[("email", email), ("password", password), ("csrf", &csrf), ("next", "/")]).await;
        assert_eq!(res.status, 303, "{}", res.html);
        let home = self.get("/").await;
        assert_eq!(home.status, 200);
        home.input("csrf")
    }
}
