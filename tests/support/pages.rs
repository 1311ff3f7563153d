//! A browser-less client of the pages: keeps the session and sign-in CSRF cookies, follows
//! no redirects, and finds a page's CSRF token, so tests can post forms as a browser would
//! (and as a forger would).

#![allow(dead_code)]

use std::collections::BTreeMap;

/// One answer: status, `Location`, body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Where a redirect goes.
    pub location: Option<String>,
    /// The `Content-Security-Policy` header.
    pub csp: Option<String>,
    /// The page.
    pub body: String,
}

impl Answer {
    /// The first CSRF token on the page.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start =
            self.body.find(marker).unwrap_or_else(|| panic!("no csrf on the page")) + marker.len();
        let end = self.body[start..].find('"').unwrap_or_else(|| panic!("bad csrf")) + start;
        self.body[start..end].to_owned()
    }
}

/// A visitor with cookies.
pub struct PageClient {
    base: String,
    agent: ureq::Agent,
    cookies: BTreeMap<String, String>,
}

impl PageClient {
    /// A visitor of the app at `base`, not signed in.
    pub fn new(base: &str) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        Self { base: base.to_owned(), agent, cookies: BTreeMap::new() }
    }

    /// Signs in with the sign-in form; panics unless it redirects.
    pub fn signed_in(base: &str, email: &str, password: &str) -> Self {
        let mut client = Self::new(base);
        let form = client.get("/login");
        let token = form.csrf();
        let answer =
            client.post("/login", &[("csrf", &token), ("email", email), ("password", password)]);
        assert_eq!(answer.status, 303, "sign-in as {email}: {}", answer.body);
        client
    }

    /// The session cookie, if any.
    pub fn session(&self) -> Option<&str> {
        self.cookies.get("frist_session").map(String::as_str)
    }

    fn keep(&mut self, response: &ureq::http::Response<ureq::Body>) {
        for value in response.headers().get_all("set-cookie") {
            let Ok(text) = value.to_str() else { continue };
            let pair = text.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                let removed = text.to_ascii_lowercase().contains("max-age=0") || value.is_empty();
                if removed {
                    self.cookies.remove(name.trim());
                } else {
                    self.cookies.insert(name.trim().to_owned(), value.trim().to_owned());
                }
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn answer(&mut self, mut response: ureq::http::Response<ureq::Body>) -> Answer {
        self.keep(&response);
        let header = |name: &str| {
            response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
        };
        let (status, location, csp) =
            (response.status().as_u16(), header("location"), header("content-security-policy"));
        let body = response.body_mut().read_to_string().unwrap_or_default();
        Answer { status, location, csp, body }
    }

    /// GET.
    pub fn get(&mut self, path: &str) -> Answer {
        let request = ureq::http::Request::builder()
            .method("GET")
            .uri(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .body(())
            .unwrap_or_else(|e| panic!("{e}"));
        let response = self.agent.run(request).unwrap_or_else(|e| panic!("GET {path}: {e}"));
        self.answer(response)
    }

    /// POST a form.
    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body = serde_urlencoded::to_string(fields).unwrap_or_else(|e| panic!("{e}"));
        let request = ureq::http::Request::builder()
            .method("POST")
            .uri(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .unwrap_or_else(|e| panic!("{e}"));
        let response = self.agent.run(request).unwrap_or_else(|e| panic!("POST {path}: {e}"));
        self.answer(response)
    }
}
