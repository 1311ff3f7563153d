//! Targets: how much business time a clock has, written `"2h"`, `"90m"`, `"1h30m"` or `"7bd"`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An amount of business time to add to a start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// Business minutes (open time).
    Minutes(i64),
    /// Business days: the close of the N-th business date after the start's date.
    BusinessDays(i64),
}

/// The largest amount accepted in a written target: 10^9 minutes or days is far past any
/// calendar's supported range, and keeps the arithmetic free of overflow.
const MAX_AMOUNT: i64 = 1_000_000_000;

impl FromStr for Target {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("invalid duration {text:?} (expected e.g. 2h, 90m, 1h30m or 7bd)");
        let trimmed = text.trim();
        if let Some(days) = trimmed.strip_suffix("bd") {
            let days = parse_amount(days).ok_or_else(bad)?;
            if days == 0 {
                return Err(format!("invalid duration {text:?}: business days must be at least 1"));
            }
            return Ok(Target::BusinessDays(days));
        }
        let (hours, rest) = match trimmed.split_once('h') {
            Some((hours, rest)) => (parse_amount(hours).ok_or_else(bad)?, rest),
            None => (0, trimmed),
        };
        let minutes = match rest {
            "" if trimmed.ends_with('h') => 0,
            _ => parse_amount(rest.strip_suffix('m').ok_or_else(bad)?).ok_or_else(bad)?,
        };
        let total = hours
            .checked_mul(60)
            .and_then(|h| h.checked_add(minutes))
            .filter(|&m| m <= MAX_AMOUNT)
            .ok_or_else(bad)?;
        Ok(Target::Minutes(total))
    }
}

/// A non-negative decimal amount of at most [`MAX_AMOUNT`], digits only.
fn parse_amount(digits: &str) -> Option<i64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 10 {
        return None;
    }
    digits.parse().ok().filter(|&n| n <= MAX_AMOUNT)
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Target::BusinessDays(days) => write!(f, "{days}bd"),
            Target::Minutes(minutes) if minutes % 60 == 0 => write!(f, "{}h", minutes / 60),
            Target::Minutes(minutes) if minutes > 60 => {
                write!(f, "{}h{}m", minutes / 60, minutes % 60)
            }
            Target::Minutes(minutes) => write!(f, "{minutes}m"),
        }
    }
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_written_forms() {
        assert_eq!("2h".parse(), Ok(Target::Minutes(120)));
        assert_eq!("90m".parse(), Ok(Target::Minutes(90)));
        assert_eq!("1h30m".parse(), Ok(Target::Minutes(90)));
        assert_eq!("0m".parse(), Ok(Target::Minutes(0)));
        assert_eq!("7bd".parse(), Ok(Target::BusinessDays(7)));
    }

    #[test]
    fn rejects_anything_else_quoting_it() {
        for bad in ["", "h", "2", "2x", "-2h", "2 h", "1.5h", "0bd", "h30m", "2hm", "99999999999m"]
        {
            let err = bad.parse::<Target>().err().unwrap_or_default();
            assert!(err.contains(&format!("{bad:?}")), "{bad}: {err}");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in ["2h", "90m", "1h30m", "7bd", "45m"] {
            let target: Target = text.parse().unwrap_or(Target::Minutes(-1));
            let shown = target.to_string();
            assert_eq!(shown.parse(), Ok(target), "{text} shown as {shown}");
        }
    }
}
