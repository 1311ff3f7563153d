//! The monthly SLA report's use cases (DESIGN §7, §10): the month so far, computed live;
//! closing a month into an immutable snapshot and recomputing it as numbered amendments;
//! reading a month for an organization or for all of them; breach causes; and the outputs
//! (CSV, PDF, SVG charts).
//!
//! A closed month is read only from its snapshot, so later policy or ticket edits never
//! change what a customer was sent; the month so far and every close run the same
//! computation ([`live::rows`]). The arithmetic (which month a clock counts in, compliance,
//! percentiles) is pure and lives in [`crate::sla::report`].

pub mod causes;
pub mod charts;
pub mod csv;
pub mod document;
pub mod export;
pub mod figures;
pub mod live;
pub mod mail;
pub mod pdf;
pub mod read;
pub mod snapshot;

pub use read::{MonthReport, Overview, ReportState};
