//! The Content-Security-Policy every answer carries, and where browsers report violations.
//!
//! No inline script, no inline style, nothing from elsewhere: a page can only load this
//! service's own `/static/` files and talk back to it. Violations are logged and kept (the
//! last [`KEPT`]) so the browser tests can fail on any.

use std::collections::VecDeque;
use std::sync::Mutex;

use actix_web::{HttpResponse, web};

use super::super::AppState;

/// The policy.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'; report-uri /csp-report";

/// Reports kept.
pub const KEPT: usize = 100;

/// Violation reports received.
#[derive(Debug, Default)]
pub struct CspReports {
    reports: Mutex<VecDeque<String>>,
}

impl CspReports {
    /// Keeps a report.
    pub fn add(&self, report: String) {
        let mut reports = self.reports.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if reports.len() == KEPT {
            reports.pop_front();
        }
        reports.push_back(report);
    }

    /// The reports kept, oldest first.
    #[must_use]
    pub fn all(&self) -> Vec<String> {
        let reports = self.reports.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        reports.iter().cloned().collect()
    }
}

/// `POST /csp-report`: a browser's violation report (any body up to 16 KiB).
pub async fn csp_report(state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let text = String::from_utf8_lossy(&body[..body.len().min(16 * 1024)]).into_owned();
    tracing::warn!(target: "frist::csp", "content-security-policy violation: {text}");
    state.csp_reports.add(text);
    HttpResponse::NoContent().finish()
}
