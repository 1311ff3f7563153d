//! Writing ticket events: one call per event, inside the use case's transaction.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::{self, DbConn};

use super::TicketError;

/// What happened, as stored in `ticket_events.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Ticket filed.
    Created,
    /// A reply the customer sees.
    CommentPublic,
    /// A note for staff only.
    CommentInternal,
    /// Status moved.
    StatusChanged,
    /// Severity moved.
    SeverityChanged,
    /// Waiting on the customer: clocks paused.
    Paused,
    /// Clocks running again.
    Resumed,
    /// Fix started.
    FixStarted,
    /// Start-up fee accepted.
    FeeAccepted,
    /// Deadlines recomputed, with the reason.
    DeadlineRecomputed,
    /// Assignee changed.
    Assigned,
    /// Contract changed.
    ContractChanged,
    /// Reopened after resolution.
    Reopened,
    /// A clock reached an escalation level (warning, breach, manager).
    Escalation,
}

impl EventKind {
    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::CommentPublic => "comment_public",
            EventKind::CommentInternal => "comment_internal",
            EventKind::StatusChanged => "status_changed",
            EventKind::SeverityChanged => "severity_changed",
            EventKind::Paused => "paused",
            EventKind::Resumed => "resumed",
            EventKind::FixStarted => "fix_started",
            EventKind::FeeAccepted => "fee_accepted",
            EventKind::DeadlineRecomputed => "deadline_recomputed",
            EventKind::Assigned => "assigned",
            EventKind::ContractChanged => "contract_changed",
            EventKind::Reopened => "reopened",
            EventKind::Escalation => "escalation",
        }
    }

    /// Customers see these; internal notes and staff bookkeeping stay hidden.
    #[must_use]
    pub fn is_public(self) -> bool {
        !matches!(
            self,
            EventKind::CommentInternal
                | EventKind::Assigned
                | EventKind::ContractChanged
                | EventKind::Escalation
        )
    }
}

/// Appends one event.
pub fn record(
    conn: &mut DbConn,
    ticket_id: i64,
    at: DateTime<Utc>,
    actor_id: Option<i64>,
    kind: EventKind,
    body: Option<&str>,
    data: Option<serde_json::Value>,
) -> Result<(), TicketError> {
    db::events::insert(
        conn,
        &db::events::NewEvent {
            ticket_id,
            at: db::to_db(at),
            actor_id,
            kind: kind.as_str(),
            public: kind.is_public(),
            body,
            data: data.map(|d| d.to_string()),
        },
    )?;
    Ok(())
}
