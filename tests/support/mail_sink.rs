//! A tiny SMTP server for tests on 127.0.0.1:0: enough of the protocol for lettre (no
//! TLS, no AUTH), recording each accepted message. It can answer the first N `DATA`
//! commands with `451` (to test retries) or accept connections and never greet (to test
//! timeouts and crashes mid-delivery).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;

/// One accepted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The envelope sender (`MAIL FROM`), without the angle brackets.
    pub mail_from: String,
    /// The envelope recipients (`RCPT TO`), without the angle brackets.
    pub rcpt_to: Vec<String>,
    /// The message as sent after `DATA`: headers and body, CRLF line ends, dot-unstuffed,
    /// without the final `.` line.
    pub data: String,
}

impl Received {
    /// The first header of this name (case-insensitive), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let mut found: Option<String> = None;
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some(value) = found.as_mut() {
                    value.push_str(line);
                }
                continue;
            }
            if found.is_some() {
                break;
            }
            if let Some((key, value)) = line.split_once(':') {
                if key.eq_ignore_ascii_case(name) {
                    found = Some(value.trim().to_owned());
                }
            }
        }
        found
    }
}

#[derive(Default)]
struct State {
    messages: Vec<Received>,
    data_failures_left: usize,
    hang: bool,
    connections: usize,
    /// Hung connections, kept open.
    parked: Vec<TcpStream>,
}

/// A running SMTP sink; it lives until the test process ends.
pub struct MailSink {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl MailSink {
    /// Accepts every message.
    pub fn start() -> MailSink {
        Self::spawn(State::default())
    }

    /// Answers the first `failures` `DATA` commands with `451`, then accepts.
    pub fn failing_data(failures: usize) -> MailSink {
        Self::spawn(State { data_failures_left: failures, ..State::default() })
    }

    /// Accepts connections but never says a word.
    pub fn hanging() -> MailSink {
        Self::spawn(State { hang: true, ..State::default() })
    }

    fn spawn(state: State) -> MailSink {
        let listener =
            TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind the mail sink: {e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("mail sink address: {e}"));
        let state = Arc::new(Mutex::new(state));
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let mut guard = lock(&shared);
                guard.connections += 1;
                if guard.hang {
                    guard.parked.push(stream);
                    continue;
                }
                drop(guard);
                let shared = Arc::clone(&shared);
                thread::spawn(move || {
                    // A client that goes away mid-session is not the sink's problem.
                    let _ = serve(stream, &shared);
                });
            }
        });
        MailSink { addr, state }
    }

    /// The sink's port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `smtp://127.0.0.1:{port}`, for `MailSettings::url`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// The messages accepted so far, in order.
    pub fn messages(&self) -> Vec<Received> {
        lock(&self.state).messages.clone()
    }

    /// How many connections were accepted so far.
    pub fn connections(&self) -> usize {
        lock(&self.state).connections
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One SMTP session.
fn serve(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    out.write_all(b"220 mail-sink ESMTP ready\r\n")?;
    let mut mail_from = String::new();
    let mut rcpt_to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end();
        let verb = command.split([' ', ':']).next().unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-mail-sink\r\n250 8BITMIME\r\n",
            "HELO" => b"250 mail-sink\r\n",
            "MAIL" => {
                mail_from = address(command);
                rcpt_to.clear();
                b"250 OK\r\n"
            }
            "RCPT" => {
                rcpt_to.push(address(command));
                b"250 OK\r\n"
            }
            "DATA" => {
                let fail = {
                    let mut guard = lock(state);
                    let fail = guard.data_failures_left > 0;
                    guard.data_failures_left = guard.data_failures_left.saturating_sub(1);
                    fail
                };
                if fail {
                    b"451 4.3.0 try again later\r\n"
                } else {
                    out.write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")?;
                    let data = read_data(&mut reader)?;
                    lock(state).messages.push(Received {
                        mail_from: std::mem::take(&mut mail_from),
                        rcpt_to: std::mem::take(&mut rcpt_to),
                        data,
                    });
                    b"250 OK queued\r\n"
                }
            }
            "RSET" => {
                mail_from.clear();
                rcpt_to.clear();
                b"250 OK\r\n"
            }
            "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                out.write_all(b"221 bye\r\n")?;
                return Ok(());
            }
            _ => b"502 command not implemented\r\n",
        };
        out.write_all(reply)?;
    }
}

/// The address between `<` and `>` of a `MAIL FROM:<…>` or `RCPT TO:<…>` line.
fn address(command: &str) -> String {
    let start = command.find('<').map_or(0, |i| i + 1);
    let end = command.rfind('>').unwrap_or(command.len());
    command.get(start..end).unwrap_or_default().to_owned()
}

/// Lines up to the lone `.`, dot-unstuffed, joined with CRLF.
fn read_data(reader: &mut impl BufRead) -> std::io::Result<String> {
    let mut data = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == ".\r\n" || line == ".\n" {
            return Ok(data);
        }
        data.push_str(line.strip_prefix('.').unwrap_or(&line));
    }
}
