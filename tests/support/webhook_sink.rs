//! A tiny HTTP/1.1 receiver for tests on 127.0.0.1:0: records every request and answers
//! with a configured sequence of statuses (the last one repeats), one request per
//! connection. A 3xx carries `Location: /moved`.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;

/// One received request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `POST`, `GET`, …
    pub method: String,
    /// The request target, e.g. `/hooks/1?x=y`.
    pub path: String,
    /// Headers in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body bytes (by `Content-Length`).
    pub body: Vec<u8>,
}

impl Request {
    /// The first header of this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

struct State {
    requests: Vec<Request>,
    statuses: Vec<u16>,
    answered: usize,
    /// While `true`, answers wait (see [`WebhookSink::gated`]).
    held: bool,
}

/// A running webhook receiver; it lives until the test process ends.
pub struct WebhookSink {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    gate: Arc<Condvar>,
}

impl WebhookSink {
    /// Answers 200 to everything.
    pub fn start() -> WebhookSink {
        Self::with_statuses(&[200])
    }

    /// Answers the n-th request with `statuses[n]`, and with the last status once the
    /// sequence is used up (e.g. `[500, 500, 500, 200]`).
    pub fn with_statuses(statuses: &[u16]) -> WebhookSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("bind the webhook sink: {e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("webhook sink address: {e}"));
        let state = Arc::new(Mutex::new(State {
            requests: Vec::new(),
            statuses: if statuses.is_empty() { vec![200] } else { statuses.to_vec() },
            answered: 0,
            held: false,
        }));
        let gate = Arc::new(Condvar::new());
        let (shared, opened) = (Arc::clone(&state), Arc::clone(&gate));
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (shared, opened) = (Arc::clone(&shared), Arc::clone(&opened));
                thread::spawn(move || {
                    let _ = serve(stream, &shared, &opened);
                });
            }
        });
        WebhookSink { addr, state, gate }
    }

    /// Answers 200, but only once [`WebhookSink::open`] is called: requests are recorded
    /// on arrival and their answers held, so a test can act while a send is in flight.
    pub fn gated() -> WebhookSink {
        let sink = Self::start();
        lock(&sink.state).held = true;
        sink
    }

    /// Lets held and future answers go.
    pub fn open(&self) {
        lock(&self.state).held = false;
        self.gate.notify_all();
    }

    /// `http://127.0.0.1:{port}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The sink's port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The requests received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.state).requests.clone()
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Reads one request, records it, answers, closes.
fn serve(stream: TcpStream, state: &Mutex<State>, gate: &Condvar) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;

    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();

    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((key, value)) = line.split_once(':') {
            headers.push((key.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;

    let status = {
        let mut guard = lock(state);
        guard.requests.push(Request { method, path, headers, body });
        while guard.held {
            guard = gate.wait(guard).unwrap_or_else(PoisonError::into_inner);
        }
        let index = guard.answered.min(guard.statuses.len() - 1);
        guard.answered += 1;
        guard.statuses[index]
    };
    let location = if (300..400).contains(&status) { "Location: /moved\r\n" } else { "" };
    // 204 and 304 carry no body.
    let body = if matches!(status, 204 | 304) { "" } else { "ok" };
    let response = format!(
        "HTTP/1.1 {status} {}\r\n{location}Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        reason(status),
        body.len()
    );
    out.write_all(response.as_bytes())?;
    out.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        404 => "Not Found",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
