//! Errors of the SLA engine.
//!
//! Two kinds: [`FieldError`] for input that is wrong (a calendar, a duration, a policy): it
//! names the field and the value so the person who wrote it can fix it; and [`TimeError`] for
//! arithmetic that has no answer (a calendar with no open time, a date outside the supported
//! range).

/// An input field with a bad value: `"{field}: {message}"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `hours.mon[0]`.
    pub field: String,
    /// What is wrong with it, quoting the value.
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

impl FieldError {
    /// A new error on `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }

    /// The same error seen from one level up: `hours.mon` inside `calendar` becomes
    /// `calendar.hours.mon`.
    #[must_use]
    pub fn within(mut self, parent: &str) -> Self {
        self.field = if self.field.is_empty() {
            parent.to_owned()
        } else if self.field.starts_with('[') {
            format!("{parent}{}", self.field)
        } else {
            format!("{parent}.{}", self.field)
        };
        self
    }
}

/// Business-time arithmetic that has no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// No weekday has open hours, so no deadline can ever be reached.
    #[error("calendar has no open time")]
    NoOpenTime,
    /// An instant given to the engine lies outside the years it supports.
    #[error("instant {} is outside the supported range (years 1900 to 2200)", show_instant(*.0))]
    OutOfRange(i64),
    /// The answer would lie past the last year the engine computes.
    #[error("the deadline falls after the year 2300, beyond the supported range")]
    BeyondRange,
    /// A negative amount of business time was asked for.
    #[error("business time to add must not be negative")]
    Negative,
    /// `due` in business days needs at least one day.
    #[error("business_days must be at least 1")]
    ZeroBusinessDays,
    /// `elapsed(a, b)` with `b` before `a`.
    #[error("the end of the span is before its start")]
    EndBeforeStart,
}

/// An instant in Unix seconds as RFC 3339, or the raw number when chrono cannot show it.
fn show_instant(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).map_or_else(
        || format!("{secs} s after 1970"),
        |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}
