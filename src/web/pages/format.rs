//! How tickets read on a page: local times in the reader's zone, durations in words, clock
//! states with their colours, events and pauses in plain language. Values only; the
//! templates lay them out (and escape them).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

use crate::sla::ClockKind;
use crate::sla::calendar::Calendar;
use crate::sla::clock::ClockState;
use crate::tickets::deadlines::ClockView;
use crate::tickets::view::{EventView, TicketView};

/// `Mon 7 Dec 10:00` in `tz` (with the year when it is not `now`'s).
#[must_use]
pub fn local(at: DateTime<Utc>, tz: Tz, now: DateTime<Utc>) -> String {
    let here = at.with_timezone(&tz);
    if here.format("%Y").to_string() == now.with_timezone(&tz).format("%Y").to_string() {
        here.format("%a %-d %b %H:%M").to_string()
    } else {
        here.format("%a %-d %b %Y %H:%M").to_string()
    }
}

/// `2 h 05 min`, `3 d 4 h`, `45 s`; absolute value (the caller says "overdue").
#[must_use]
pub fn duration(secs: i64) -> String {
    let s = secs.unsigned_abs();
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3_600, (s % 3_600) / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m:02} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// Business time, in hours and minutes (a business "day" is not 24 hours): `26 h 05 min`.
#[must_use]
pub fn business(secs: i64) -> String {
    let s = secs.unsigned_abs();
    let (h, m) = (s / 3_600, (s % 3_600) / 60);
    match (h, m) {
        (0, 0) => format!("{s} s"),
        (0, m) => format!("{m} min"),
        (h, m) => format!("{h} h {m:02} min"),
    }
}

/// A clock's name for people.
#[must_use]
pub fn clock_label(clock: ClockKind) -> &'static str {
    match clock {
        ClockKind::Response => "Response",
        ClockKind::FixStart => "Fix start",
        ClockKind::Resolve => "Resolution",
    }
}

fn state_name(state: ClockState) -> &'static str {
    match state {
        ClockState::Ok => "ok",
        ClockState::Warning => "warning",
        ClockState::Breached => "breached",
        ClockState::Met => "met",
        ClockState::Paused => "paused",
    }
}

/// Severity in words, with what it means (DESIGN §4, seeds 001/002).
pub const SEVERITIES: &[(&str, &str, &str)] = &[
    ("critical", "Critical", "Business stopped: the shop, the server or everyone is down."),
    (
        "serious",
        "Serious",
        "Hard to work: a key system or several people are hit, with no workaround.",
    ),
    ("normal", "Normal", "Annoying but workable: one person, one feature, or a question."),
];

/// Category in words.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("functional_fault", "Something does not work as it should"),
    ("customer_outage", "A system of ours is down"),
    ("outage", "A service you run for us is down"),
    ("question", "A question"),
    ("other", "Something else"),
];

/// Status in words; `customer` reads "waiting for you".
#[must_use]
pub fn status_label(status: &str, customer: bool) -> &'static str {
    match status {
        "open" => "Open",
        "waiting_on_customer" if customer => "Waiting for you",
        "waiting_on_customer" => "Waiting on customer",
        "resolved" => "Resolved",
        "closed" => "Closed",
        _ => "Unknown",
    }
}

/// Whether the service window is open at `now`, and until when that holds: the end of the
/// current open span, or the next opening.
#[must_use]
pub fn window(calendar: &Calendar, now: DateTime<Utc>) -> (bool, Option<DateTime<Utc>>) {
    let open = calendar.is_open(now).unwrap_or(false);
    if open {
        let date = now.with_timezone(&calendar.timezone()).date_naive();
        let end = calendar
            .open_spans_on(date)
            .into_iter()
            .find(|(a, b)| *a <= now && now < *b)
            .map(|(_, b)| b);
        (true, end)
    } else {
        (false, calendar.next_open(now).ok())
    }
}

/// One clock of a ticket for a page; `(open, until)` is the service window's [`window`].
#[must_use]
pub fn clock(
    view: &ClockView,
    (open, until): (bool, Option<DateTime<Utc>>),
    active: bool,
    tz: Tz,
    now: DateTime<Utc>,
) -> Value {
    let status = &view.status;
    let state = state_name(status.state);
    let unmet = view.met_at.is_none();
    let running = active && unmet && status.state != ClockState::Paused;
    let remaining = status.remaining_secs;
    let state_label = match status.state {
        ClockState::Ok => "on time".to_owned(),
        ClockState::Warning => "due soon".to_owned(),
        ClockState::Breached if unmet => "breached".to_owned(),
        ClockState::Breached => "met late".to_owned(),
        ClockState::Met => "met".to_owned(),
        ClockState::Paused => "paused".to_owned(),
    };
    let stopped_until = (running && !open).then(|| until.map(|u| local(u, tz, now))).flatten();
    json!({
        "kind": view.clock.as_str(),
        "label": clock_label(view.clock),
        "target": view.target,
        "state": state,
        "state_label": state_label,
        "running": running,
        "ticking": running && open,
        "outside_hours": running && !open,
        "stopped_until": stopped_until,
        "until_epoch": until.map(|u| u.timestamp()),
        "due": status.due_at.map(|d| local(d, tz, now)),
        "due_epoch": status.due_at.map(|d| d.timestamp()),
        "met": view.met_at.map(|m| local(m, tz, now)),
        "remaining_secs": remaining,
        "remaining": business(remaining),
        "overdue": remaining < 0,
        "paused_for": (status.paused_secs > 0).then(|| business(status.paused_secs)),
    })
}

/// The fields of a ticket every page shows.
#[must_use]
pub fn ticket(
    t: &TicketView,
    calendar: &Calendar,
    tz: Tz,
    customer: bool,
    now: DateTime<Utc>,
) -> Value {
    let active = matches!(t.status.as_str(), "open" | "waiting_on_customer");
    let open = window(calendar, now);
    let clocks: Vec<Value> = t.clocks.iter().map(|c| clock(c, open, active, tz, now)).collect();
    json!({
        "id": t.id,
        "number": t.number,
        "title": t.title,
        "description": t.description,
        "severity": t.severity,
        "category": t.category,
        "channel": t.channel,
        "status": t.status,
        "status_label": status_label(&t.status, customer),
        "active": active,
        "waiting": t.status == "waiting_on_customer",
        "reported": local(t.reported_at, tz, now),
        "out_of_hours": t.out_of_hours,
        "oncall_now": t.oncall_now,
        "fee": t.fee.as_ref().map(ToString::to_string),
        "fee_accepted_at": t.fee_accepted_at.map(|a| local(a, tz, now)),
        "fee_accepted_by": t.fee_accepted_by,
        "assignee_id": t.assignee_id,
        "clocks": clocks,
    })
}

/// An event in plain words; `names` gives people's names by id.
#[must_use]
pub fn event(
    e: &EventView,
    name: &dyn Fn(Option<i64>) -> String,
    tz: Tz,
    now: DateTime<Utc>,
) -> Value {
    let data = e.data.clone().unwrap_or(Value::Null);
    let text = |key: &str| data.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
    let what = match e.kind.as_str() {
        "created" => "filed the ticket".to_owned(),
        "comment_public" => "replied".to_owned(),
        "comment_internal" => "wrote an internal note".to_owned(),
        "status_changed" => {
            format!("set the status to {}", status_label(&text("to"), false).to_lowercase())
        }
        "severity_changed" => format!("changed the severity to {}", text("to")),
        "paused" => "is waiting for the customer: clocks paused".to_owned(),
        "resumed" => "resumed: clocks running again".to_owned(),
        "fix_started" => "started the fix".to_owned(),
        "fee_accepted" => "accepted the out-of-hours start-up fee".to_owned(),
        "deadline_recomputed" => "deadlines recomputed".to_owned(),
        "assigned" => "changed the assignee".to_owned(),
        "contract_changed" => "changed the contract".to_owned(),
        "reopened" => "reopened the ticket".to_owned(),
        "escalation" => {
            format!("escalation: {} {}", text("clock").replace('_', " "), text("level"))
        }
        other => other.replace('_', " "),
    };
    json!({
        "id": e.id,
        "at": local(e.at, tz, now),
        "who": name(e.actor_id),
        "what": what,
        "kind": e.kind,
        "internal": !e.public,
        "body": e.body,
    })
}

/// The pause ledger: each wait with its start, end and length.
#[must_use]
pub fn pauses(rows: &[crate::db::pauses::PauseRow], tz: Tz, now: DateTime<Utc>) -> Vec<Value> {
    rows.iter()
        .map(|p| {
            let start = crate::db::from_db(p.started_at);
            let end = p.ended_at.map(crate::db::from_db);
            json!({
                "since": local(start, tz, now),
                "until": end.map(|e| local(e, tz, now)),
                "open": end.is_none(),
                "lasted": duration((end.unwrap_or(now) - start).num_seconds()),
            })
        })
        .collect()
}
