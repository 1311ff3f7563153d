//! The SLA domain, pure: calendars, holidays, business time, policies, clocks, fees and the
//! explanation of every deadline. No I/O, no database, no clock reads: every instant comes in
//! as a parameter, so everything here is testable exhaustively.
//!
//! ```
//! use chrono::DateTime;
//! use frist::sla::{Calendar, CalendarSpec, Target};
//!
//! // Level 1 (seed 002): weekdays 08–20 Oslo time, Norwegian holidays.
//! let spec: CalendarSpec = serde_json::from_str(r#"{
//!     "timezone": "Europe/Oslo", "holidays": ["NO"],
//!     "hours": {"mon": ["08:00-20:00"], "tue": ["08:00-20:00"], "wed": ["08:00-20:00"],
//!               "thu": ["08:00-20:00"], "fri": ["08:00-20:00"]}
//! }"#)?;
//! let level_1 = Calendar::new(spec)?;
//! // A critical ticket on Friday at 19:30: 30 minutes that evening, 90 on Monday morning.
//! let reported = DateTime::parse_from_rfc3339("2026-03-27T19:30:00+01:00")?.to_utc();
//! let due = level_1.due(reported, "2h".parse()?)?;
//! assert_eq!(due.to_rfc3339(), "2026-03-30T07:30:00+00:00");
//! assert_eq!(level_1.elapsed(reported, due)?, 2 * 3600);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod calendar;
pub mod clock;
pub mod coverage;
pub mod error;
pub mod explain;
pub mod holidays;
pub mod parse;
pub mod spec;
pub mod target;
pub mod wall;

pub use calendar::{Calendar, DayKind};
pub use error::{FieldError, TimeError};
pub use holidays::{Holiday, HolidaySet};
pub use spec::{CalendarSpec, WeekHours};
pub use target::Target;
pub mod policy;
pub mod report;

pub use policy::{ClockKind, Level, Money, Policy, PolicySpec, Provider, Severity, Sla, SlaConfig};
