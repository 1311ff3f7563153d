//! Policies (SLA tiers), their clocks and targets, and the provider profile (DESIGN §4, §5).
//!
//! [`SlaConfig`] is the shape of the configuration's SLA part: the provider and the named
//! policies, as written in `config/default.toml`. [`SlaConfig::compile`] validates all of it
//! and compiles each calendar once.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::calendar::Calendar;
use super::error::FieldError;
use super::spec::CalendarSpec;
use super::target::Target;

/// How bad a ticket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Service down or unusable.
    Critical,
    /// Service degraded.
    Serious,
    /// Everything else; may have no targets.
    Normal,
}

/// The clocks a ticket runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// Until the first public reply of a technician.
    Response,
    /// Until a technician marks the fix as started.
    FixStart,
    /// Until the ticket is resolved (optional).
    Resolve,
}

impl Severity {
    /// All severities, worst first.
    pub const ALL: [Severity; 3] = [Severity::Critical, Severity::Serious, Severity::Normal];

    /// The name as written in configuration and the API.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Serious => "serious",
            Severity::Normal => "normal",
        }
    }
}

impl ClockKind {
    /// All clocks, in the order they are usually met.
    pub const ALL: [ClockKind; 3] = [ClockKind::Response, ClockKind::FixStart, ClockKind::Resolve];

    /// The name as written in configuration and the API.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ClockKind::Response => "response",
            ClockKind::FixStart => "fix_start",
            ClockKind::Resolve => "resolve",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ClockKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Targets of one severity; a missing clock does not run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockTargets {
    /// Time to the first qualified (public) answer.
    pub response: Option<Target>,
    /// Time until the fix has started.
    pub fix_start: Option<Target>,
    /// Time until resolution.
    pub resolve: Option<Target>,
}

impl ClockTargets {
    /// The target of one clock.
    #[must_use]
    pub fn get(&self, clock: ClockKind) -> Option<Target> {
        match clock {
            ClockKind::Response => self.response,
            ClockKind::FixStart => self.fix_start,
            ClockKind::Resolve => self.resolve,
        }
    }
}

/// Targets per severity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeverityTargets {
    /// Targets for critical tickets.
    #[serde(default)]
    pub critical: ClockTargets,
    /// Targets for serious tickets.
    #[serde(default)]
    pub serious: ClockTargets,
    /// Targets for normal tickets.
    #[serde(default)]
    pub normal: ClockTargets,
}

impl SeverityTargets {
    /// The targets of one severity.
    #[must_use]
    pub fn of(&self, severity: Severity) -> &ClockTargets {
        match severity {
            Severity::Critical => &self.critical,
            Severity::Serious => &self.serious,
            Severity::Normal => &self.normal,
        }
    }
}

/// When a running clock escalates, as percent of its target consumed (DESIGN §6). The breach
/// is always at 100 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Warn the assignee at this share of the target (1 to 99).
    #[serde(default = "default_warning")]
    pub warning_percent: u32,
    /// Escalate to managers at this share of the target (over 100).
    #[serde(default = "default_manager")]
    pub manager_percent: u32,
}

fn default_warning() -> u32 {
    75
}

fn default_manager() -> u32 {
    150
}

impl Default for Thresholds {
    fn default() -> Self {
        Self { warning_percent: default_warning(), manager_percent: default_manager() }
    }
}

/// How far an escalation has gone (DESIGN §6): each fires once per clock run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// The warning share of the target is used: tell the assignee.
    Warning,
    /// The deadline has passed: tell the assignee or the on-call technician.
    Breach,
    /// The manager share is used: tell the managers.
    Manager,
}

impl Level {
    /// All levels, in the order they fire.
    pub const ALL: [Level; 3] = [Level::Warning, Level::Breach, Level::Manager];

    /// The name as stored and shown.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Warning => "warning",
            Level::Breach => "breach",
            Level::Manager => "manager",
        }
    }

    /// The share of the target at which this level fires under `thresholds`.
    #[must_use]
    pub fn percent(self, thresholds: &Thresholds) -> u32 {
        match self {
            Level::Warning => thresholds.warning_percent,
            Level::Breach => 100,
            Level::Manager => thresholds.manager_percent,
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A policy as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    /// One line for people choosing a tier.
    #[serde(default)]
    pub description: String,
    /// The service window: the SLA clocks run only inside it.
    pub calendar: CalendarSpec,
    /// Targets per severity and clock.
    #[serde(default)]
    pub targets: SeverityTargets,
    /// Escalation thresholds.
    #[serde(default)]
    pub thresholds: Thresholds,
}

/// A validated policy with its compiled service window.
#[derive(Debug)]
pub struct Policy {
    /// The policy's name, e.g. `level-1`.
    pub name: String,
    /// The policy as written.
    pub spec: PolicySpec,
    /// The compiled service window.
    pub calendar: Calendar,
}

impl Policy {
    /// Validates a policy; errors name the field inside the policy.
    pub fn new(name: impl Into<String>, spec: PolicySpec) -> Result<Self, FieldError> {
        let thresholds = spec.thresholds;
        if !(1..100).contains(&thresholds.warning_percent) {
            return Err(FieldError::new(
                "thresholds.warning_percent",
                format!("{} must be between 1 and 99", thresholds.warning_percent),
            ));
        }
        if thresholds.manager_percent <= 100 {
            return Err(FieldError::new(
                "thresholds.manager_percent",
                format!("{} must be over 100", thresholds.manager_percent),
            ));
        }
        let calendar = Calendar::new(spec.calendar.clone()).map_err(|e| e.within("calendar"))?;
        Ok(Self { name: name.into(), spec, calendar })
    }

    /// The target of a clock for a severity, if that clock runs.
    #[must_use]
    pub fn target(&self, severity: Severity, clock: ClockKind) -> Option<Target> {
        self.spec.targets.of(severity).get(clock)
    }
}

/// An amount of money in minor units (øre, cents), excluding VAT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// Amount in minor units.
    pub minor: i64,
    /// ISO 4217 code.
    pub currency: String,
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        write!(f, "{} {sign}{}.{:02}", self.currency, abs / 100, abs % 100)
    }
}

/// The provider as written: office hours, fee, on-call phone, special rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSpec {
    /// Company name, shown to customers.
    pub name: String,
    /// Time zone of monthly reports.
    pub timezone: String,
    /// ISO 4217 currency of fees and prices.
    pub currency: String,
    /// Out-of-hours start-up fee in whole currency units, excluding VAT (seed 001: 5 000).
    pub startup_fee: i64,
    /// The on-call phone number shown out of hours.
    pub oncall_phone: String,
    /// Policy for organizations without a contract.
    pub basic_policy: String,
    /// Fix start for an outage of a service the provider owns (seed 004: 4 hours).
    pub owned_outage_fix_start: Target,
    /// Normal working hours of the office.
    pub office: CalendarSpec,
}

/// A validated provider profile.
#[derive(Debug)]
pub struct Provider {
    /// The profile as written.
    pub spec: ProviderSpec,
    /// Compiled office hours.
    pub office: Calendar,
    /// Report time zone.
    pub timezone: chrono_tz::Tz,
}

impl Provider {
    /// The start-up fee charged for on-call work out of hours.
    #[must_use]
    pub fn startup_fee(&self) -> Money {
        Money {
            minor: self.spec.startup_fee.saturating_mul(100),
            currency: self.spec.currency.clone(),
        }
    }
}

/// The SLA part of the configuration: provider and policies by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaConfig {
    /// The provider profile.
    pub provider: ProviderSpec,
    /// Policies by name.
    pub policies: BTreeMap<String, PolicySpec>,
}

/// The SLA configuration, validated and compiled.
#[derive(Debug)]
pub struct Sla {
    /// The provider.
    pub provider: Provider,
    /// Policies by name.
    pub policies: BTreeMap<String, Policy>,
}

impl Sla {
    /// A policy by name.
    #[must_use]
    pub fn policy(&self, name: &str) -> Option<&Policy> {
        self.policies.get(name)
    }

    /// The policy of organizations without a contract.
    #[must_use]
    pub fn basic_policy(&self) -> Option<&Policy> {
        self.policy(&self.provider.spec.basic_policy)
    }

    /// The fix-start target of a ticket: the policy's, or for an outage of a service the
    /// provider owns the provider's outage rule (seed 004) when that is a fixed time and the
    /// policy's is not a shorter one.
    #[must_use]
    pub fn fix_start_target(
        &self,
        policy: &Policy,
        severity: Severity,
        provider_owned_outage: bool,
    ) -> Option<Target> {
        let own = policy.target(severity, ClockKind::FixStart);
        if !provider_owned_outage {
            return own;
        }
        let rule = self.provider.spec.owned_outage_fix_start;
        match (own, rule) {
            (Some(Target::Minutes(own)), Target::Minutes(rule)) if own <= rule => {
                Some(Target::Minutes(own))
            }
            _ => Some(rule),
        }
    }
}

impl SlaConfig {
    /// Parses the TOML form; errors carry the path of the bad key.
    pub fn from_toml(text: &str) -> Result<Self, FieldError> {
        super::parse::from_toml(text)
    }

    /// Validates everything and compiles each calendar once.
    pub fn compile(&self) -> Result<Sla, FieldError> {
        let provider = &self.provider;
        let office =
            Calendar::new(provider.office.clone()).map_err(|e| e.within("provider.office"))?;
        let timezone = provider.timezone.parse().map_err(|_| {
            FieldError::new(
                "provider.timezone",
                format!("unknown time zone {:?}", provider.timezone),
            )
        })?;
        if provider.startup_fee < 0 {
            return Err(FieldError::new(
                "provider.startup_fee",
                format!("{} must not be negative", provider.startup_fee),
            ));
        }
        let mut policies = BTreeMap::new();
        for (name, spec) in &self.policies {
            let policy = Policy::new(name.clone(), spec.clone())
                .map_err(|e| e.within(&format!("policies.{name}")))?;
            policies.insert(name.clone(), policy);
        }
        if !policies.contains_key(&provider.basic_policy) {
            return Err(FieldError::new(
                "provider.basic_policy",
                format!("no policy named {:?}", provider.basic_policy),
            ));
        }
        Ok(Sla { provider: Provider { spec: provider.clone(), office, timezone }, policies })
    }
}
