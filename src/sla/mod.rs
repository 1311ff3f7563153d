//! The SLA domain, pure: calendars, holidays, business time, policies, clocks, fees and the
//! explanation of every deadline. No I/O, no database, no clock reads: every instant comes in
//! as a parameter, so everything here is testable exhaustively.

pub mod calendar;
pub mod clock;
pub mod coverage;
pub mod error;
pub mod explain;
pub mod holidays;
pub mod spec;
pub mod target;
pub mod wall;

pub use calendar::{Calendar, DayKind};
pub use error::{FieldError, TimeError};
pub use holidays::{Holiday, HolidaySet};
pub use spec::{CalendarSpec, WeekHours};
pub use target::Target;
pub mod policy;

pub use policy::{ClockKind, Money, Policy, PolicySpec, Provider, Severity, Sla, SlaConfig};
