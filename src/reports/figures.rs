//! The figures of a month, added up from its clock rows and its tickets: per clock, per
//! severity, per policy, per organization and overall. The arithmetic (compliance,
//! percentiles) is [`crate::sla::report`]'s.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sla::ClockKind;
use crate::sla::report::{Outcome, compliance, percentile_cont};

use super::live::{Activity, CLOCKS, ClockRow};

/// Outcomes of one group of clock rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    /// Met on time.
    pub met: u64,
    /// Breached.
    pub breached: u64,
    /// Pending at the month's end.
    pub pending: u64,
    /// Met / (met + breached), percent; `None` when nothing was decided.
    pub compliance: Option<f64>,
    /// Median business seconds to the met instant, over the decided rows met in the month.
    pub p50_secs: Option<f64>,
    /// 90th percentile of the same.
    pub p90_secs: Option<f64>,
    /// Business seconds paused, over the decided rows.
    pub paused_secs: i64,
}

impl Tally {
    /// The tally of `rows`.
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a ClockRow>) -> Self {
        let mut tally = Tally::default();
        let mut durations = Vec::new();
        for row in rows {
            match row.outcome {
                Outcome::Met => tally.met += 1,
                Outcome::Breached => tally.breached += 1,
                Outcome::Pending => tally.pending += 1,
            }
            if row.outcome != Outcome::Pending {
                tally.paused_secs += row.paused_secs;
                if row.met_at.is_some() {
                    #[allow(clippy::cast_precision_loss)]
                    durations.push(row.used_secs as f64);
                }
            }
        }
        durations.sort_by(f64::total_cmp);
        tally.compliance = compliance(tally.met, tally.breached);
        tally.p50_secs = percentile_cont(&durations, 0.5);
        tally.p90_secs = percentile_cont(&durations, 0.9);
        tally
    }

    /// Adds counts (percentiles do not add up: they are dropped).
    pub fn add(&mut self, other: &Tally) {
        self.met += other.met;
        self.breached += other.breached;
        self.pending += other.pending;
        self.paused_secs += other.paused_secs;
        self.compliance = compliance(self.met, self.breached);
        self.p50_secs = None;
        self.p90_secs = None;
    }
}

/// The tally of one clock within a group (a severity, a policy).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// The group: a severity, or `policy vN`.
    pub key: String,
    /// The clock.
    pub clock: ClockKind,
    /// Its tally.
    pub tally: Tally,
}

/// Everything a month says about one organization (or, added up, all of them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Organization (0 for the total).
    pub organization_id: i64,
    /// Its name.
    pub organization_name: String,
    /// Response clock.
    pub response: Tally,
    /// Fix-start clock.
    pub fix_start: Tally,
    /// Per severity and clock.
    pub by_severity: Vec<Group>,
    /// Per policy version and clock.
    pub by_policy: Vec<Group>,
    /// Tickets filed in the month.
    pub filed: u64,
    /// Filed per severity.
    pub filed_by_severity: BTreeMap<String, u64>,
    /// Filed per category.
    pub filed_by_category: BTreeMap<String, u64>,
    /// Filed outside cover.
    pub out_of_hours: u64,
    /// Of those, chose to wait for the next opening.
    pub waited: u64,
    /// Of those, accepted the start-up fee.
    pub accepted_fee: u64,
    /// Sum of the start-up fees, minor units.
    pub fees_minor: i64,
    /// Their currency (the provider's).
    pub currency: String,
    /// Tickets reopened in the month.
    pub reopened: u64,
}

impl Figures {
    /// An organization's figures from its rows and activity.
    #[must_use]
    pub fn of(
        organization_id: i64,
        organization_name: &str,
        rows: &[&ClockRow],
        activity: &Activity,
        currency: &str,
    ) -> Self {
        let of_clock =
            |clock: ClockKind| Tally::of(rows.iter().copied().filter(|r| r.clock == clock));
        let mut figures = Figures {
            organization_id,
            organization_name: organization_name.to_owned(),
            response: of_clock(ClockKind::Response),
            fix_start: of_clock(ClockKind::FixStart),
            by_severity: groups(rows, |r| r.severity.clone()),
            by_policy: groups(rows, |r| format!("{} v{}", r.policy_name, r.policy_version)),
            currency: currency.to_owned(),
            ..Figures::default()
        };
        for t in activity.filed_by(organization_id) {
            figures.filed += 1;
            *figures.filed_by_severity.entry(t.severity.clone()).or_default() += 1;
            *figures.filed_by_category.entry(t.category.clone()).or_default() += 1;
            if t.out_of_hours {
                figures.out_of_hours += 1;
                if t.oncall_now {
                    figures.accepted_fee += 1;
                } else {
                    figures.waited += 1;
                }
            }
            if t.oncall_now {
                figures.fees_minor += t.fee_minor.unwrap_or_default();
                if let Some(currency) = &t.fee_currency {
                    figures.currency.clone_from(currency);
                }
            }
        }
        figures.reopened = activity.reopened_by(organization_id);
        figures
    }

    /// Breached clocks.
    #[must_use]
    pub fn breaches(&self) -> u64 {
        self.response.breached + self.fix_start.breached
    }

    /// Pending clocks.
    #[must_use]
    pub fn pending(&self) -> u64 {
        self.response.pending + self.fix_start.pending
    }

    /// Business seconds paused over the decided clocks.
    #[must_use]
    pub fn paused_secs(&self) -> i64 {
        self.response.paused_secs + self.fix_start.paused_secs
    }

    /// The counts of several organizations added up (no percentiles).
    #[must_use]
    pub fn total(all: &[Figures], currency: &str) -> Figures {
        let mut total = Figures {
            organization_name: "All customers".to_owned(),
            currency: currency.to_owned(),
            ..Figures::default()
        };
        for f in all {
            total.response.add(&f.response);
            total.fix_start.add(&f.fix_start);
            total.filed += f.filed;
            total.out_of_hours += f.out_of_hours;
            total.waited += f.waited;
            total.accepted_fee += f.accepted_fee;
            total.fees_minor += f.fees_minor;
            total.reopened += f.reopened;
            for (k, v) in &f.filed_by_severity {
                *total.filed_by_severity.entry(k.clone()).or_default() += v;
            }
            for (k, v) in &f.filed_by_category {
                *total.filed_by_category.entry(k.clone()).or_default() += v;
            }
        }
        total
    }
}

fn groups(rows: &[&ClockRow], key: impl Fn(&ClockRow) -> String) -> Vec<Group> {
    let mut by: BTreeMap<(String, ClockKind), Vec<&ClockRow>> = BTreeMap::new();
    for row in rows {
        by.entry((key(row), row.clock)).or_default().push(row);
    }
    let mut out: Vec<Group> = by
        .into_iter()
        .map(|((key, clock), rows)| Group { key, clock, tally: Tally::of(rows) })
        .collect();
    out.sort_by_key(|g| {
        (severity_rank(&g.key), g.key.clone(), CLOCKS.iter().position(|c| *c == g.clock))
    });
    out
}

/// Critical first, then serious, normal, anything else by name.
fn severity_rank(key: &str) -> u8 {
    match key {
        "critical" => 0,
        "serious" => 1,
        "normal" => 2,
        _ => 3,
    }
}
