//! The monthly report e-mail: one organization's closed month as an HTML table of the key
//! figures with simple bars made of table cells (e-mail clients show no SVG, and inline
//! `style` attributes are what they do show), a text alternative, a link to the page, and
//! the PDF and the CSV (machine profile) attached.
//!
//! [`Prepared`] reads the month once ([`super::read::organization`]) and makes both
//! attachments; [`Prepared::render`] then writes the mail of each recipient.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use crate::db::DbConn;
use crate::notify::smtp::Attachment;
use crate::sla::report::Month;
use crate::tickets::{Engine, TicketError};

use super::csv::Profile;
use super::document;
use super::export;
use super::figures::Tally;
use super::pdf;
use super::read::{self, MonthReport, ReportState};

/// Who a mail is for: the link differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// A provider manager: the report page of the organization.
    Manager,
    /// A customer user: their portal's report page.
    Customer,
}

/// One recipient's mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Subject: "SLA report November 2026 — Acme" (", version 2" for an amendment).
    pub subject: String,
    /// Text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// An organization's closed month, read and with its attachments made, ready to be mailed.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The report as read.
    pub report: MonthReport,
    /// The PDF and the CSV.
    pub attachments: Vec<Attachment>,
}

/// A clock's line in the mail.
#[derive(Debug, Serialize)]
struct ClockLine {
    label: &'static str,
    met: u64,
    breached: u64,
    pending: u64,
    compliance: String,
    p50: String,
    p90: String,
    decided: bool,
    met_width: u64,
    breached_width: u64,
}

impl ClockLine {
    fn of(label: &'static str, t: &Tally) -> Self {
        let decided = t.met + t.breached;
        // Whole percent widths that add up to 100, so the bar fills its row.
        let met_width = (t.met * 100 + decided / 2).checked_div(decided).unwrap_or(0);
        Self {
            label,
            met: t.met,
            breached: t.breached,
            pending: t.pending,
            compliance: document::percent(t.compliance),
            p50: document::duration_of(t.p50_secs),
            p90: document::duration_of(t.p90_secs),
            decided: decided > 0,
            met_width,
            breached_width: if decided == 0 { 0 } else { 100 - met_width },
        }
    }
}

impl Prepared {
    /// Reads `version` of `month` for `org` and makes the PDF and the CSV.
    pub fn read(
        conn: &mut DbConn,
        engine: &Engine,
        month: Month,
        org: i64,
        version: i32,
        now: DateTime<Utc>,
    ) -> Result<Self, TicketError> {
        let report = read::organization(conn, engine, month, org, Some(version), now)?;
        let tz = engine.provider().timezone;
        let failed = |what: &str, e: String| TicketError::Notification(format!("{what}: {e}"));
        let pdf =
            pdf::render(&document::build(&report, tz)).map_err(|e| failed("PDF", e.to_string()))?;
        let csv = export::to_bytes(report.rows.iter().map(|r| &r.row), Profile::Machine)
            .map_err(|e| failed("CSV", e.to_string()))?;
        let name = &report.figures.organization_name;
        let attachments = vec![
            Attachment {
                name: export::file_name(name, month, Some(version), "pdf"),
                content_type: "application/pdf".to_owned(),
                bytes: pdf,
            },
            Attachment {
                name: export::file_name(name, month, Some(version), "csv"),
                content_type: "text/csv; charset=utf-8".to_owned(),
                bytes: csv,
            },
        ];
        Ok(Self { report, attachments })
    }

    /// The version read.
    #[must_use]
    pub fn version(&self) -> i32 {
        match self.report.state {
            ReportState::Closed { version, .. } => version,
            ReportState::SoFar { .. } | ReportState::Open { .. } => 0,
        }
    }

    /// The mail of one recipient; `public_url` is the base of the link.
    pub fn render(
        &self,
        engine: &Engine,
        audience: Audience,
        recipient: (&str, &str),
        public_url: &str,
    ) -> Result<Mail, TicketError> {
        let report = &self.report;
        let f = &report.figures;
        let month = report.month;
        let link = match audience {
            Audience::Manager => {
                format!("{public_url}/reports/{month}/organizations/{}", f.organization_id)
            }
            Audience::Customer => format!("{public_url}/portal/reports/{month}"),
        };
        let (computed_at, reason) = match &report.state {
            ReportState::Closed { computed_at, reason, .. } => {
                (document::local(*computed_at, engine.provider().timezone), reason.clone())
            }
            ReportState::SoFar { as_of } | ReportState::Open { as_of } => {
                (document::local(*as_of, engine.provider().timezone), String::new())
            }
        };
        let version = self.version();
        let data = json!({
            "recipient": {"name": recipient.0, "email": recipient.1},
            "provider": {"name": engine.provider().spec.name},
            "organization": {"name": f.organization_name, "id": f.organization_id},
            "month": month.to_string(),
            "month_title": month.title(),
            "title": report.title,
            "version": version,
            "amendment": version > 1,
            "reason": reason,
            "clocks": [
                ClockLine::of(document::clock_label(crate::sla::ClockKind::Response), &f.response),
                ClockLine::of(document::clock_label(crate::sla::ClockKind::FixStart), &f.fix_start),
            ],
            "breaches": f.breaches(),
            "pending": f.pending(),
            "filed": f.filed,
            "fees": document::money(f.fees_minor, &f.currency),
            "fees_count": f.accepted_fee,
            "link": link,
            "computed_at": computed_at,
            "csv_sha256": report.csv_sha256,
            "attachments": self.attachments.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
        });
        let rendered = engine
            .renderer()
            .render("monthly_report", &data)
            .map_err(|e| TicketError::Notification(e.to_string()))?;
        Ok(Mail { subject: rendered.subject, text: rendered.text, html: rendered.html })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_fill_the_row_and_nothing_decided_shows_a_dash() {
        let tally = Tally { met: 7, breached: 1, compliance: Some(87.5), ..Tally::default() };
        let line = ClockLine::of("Response", &tally);
        assert_eq!((line.met_width, line.breached_width), (88, 12));
        assert_eq!(line.compliance, "87.5 %");
        let none = ClockLine::of("Fix start", &Tally { pending: 2, ..Tally::default() });
        assert!(!none.decided);
        assert_eq!(none.compliance, "—");
        assert_eq!((none.met_width, none.breached_width), (0, 0));
    }
}
