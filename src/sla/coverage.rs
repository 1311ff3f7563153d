//! Out of hours and the start-up fee (DESIGN §5).
//!
//! A ticket is *covered* when it is filed inside its contract's service window, or the
//! contract has 24/7 on-call. Otherwise it is out of hours and the filer chooses: wait for the
//! next opening (no fee; the clocks start counting then anyway), or call out the on-call
//! technician now and pay the provider's start-up fee.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::calendar::Calendar;
use super::error::TimeError;
use super::policy::Money;

/// Why a filing instant is covered or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// Inside the service window.
    InsideServiceWindow,
    /// Outside it, but the contract has 24/7 on-call.
    OnCall24x7,
    /// Outside the service window without 24/7 cover.
    OutOfHours,
}

/// What an out-of-hours filer chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutOfHoursChoice {
    /// Wait for the next opening; no fee.
    Wait,
    /// Call out the on-call technician now; the start-up fee applies.
    OncallNow,
}

/// The coverage decision for a filing instant, with what it would cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeeQuote {
    /// Covered or not, and why.
    pub coverage: Coverage,
    /// When the service window next opens (the filing instant itself when open).
    pub next_opening: DateTime<Utc>,
    /// The fee if the filer calls out the on-call technician; `None` when covered.
    pub oncall_fee: Option<Money>,
}

impl FeeQuote {
    /// Whether the ticket is out of hours.
    #[must_use]
    pub fn out_of_hours(&self) -> bool {
        self.coverage == Coverage::OutOfHours
    }

    /// The fee owed for a choice: only out of hours, and only for on-call now.
    #[must_use]
    pub fn fee_for(&self, choice: OutOfHoursChoice) -> Option<Money> {
        match choice {
            OutOfHoursChoice::OncallNow => self.oncall_fee.clone(),
            OutOfHoursChoice::Wait => None,
        }
    }
}

/// Decides coverage for a ticket filed at `filed_at` under a service window.
pub fn quote(
    service_window: &Calendar,
    oncall_24x7: bool,
    filed_at: DateTime<Utc>,
    startup_fee: &Money,
) -> Result<FeeQuote, TimeError> {
    let next_opening = service_window.next_open(filed_at)?;
    let coverage = if service_window.is_open(filed_at)? {
        Coverage::InsideServiceWindow
    } else if oncall_24x7 {
        Coverage::OnCall24x7
    } else {
        Coverage::OutOfHours
    };
    let oncall_fee = (coverage == Coverage::OutOfHours).then(|| startup_fee.clone());
    Ok(FeeQuote { coverage, next_opening, oncall_fee })
}
