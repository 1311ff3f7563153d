//! Configuration, read once at start-up (12-factor: environment variables, plus an optional
//! TOML file for the provider and the policies).
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `FRIST_CONFIG` | path of a TOML file with `[provider]` and `[policies.*]` | the built-in `config/default.toml` |

use std::path::{Path, PathBuf};

use crate::sla::{FieldError, Sla, SlaConfig};

/// The SLA configuration shipped with frist (DESIGN §4): the seed tiers and the provider.
pub const DEFAULT_SLA_CONFIG: &str = include_str!("../config/default.toml");

/// Why the configuration could not be loaded; names the variable, file and key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file named by `FRIST_CONFIG` (or `--config`) could not be read.
    #[error("{variable}: cannot read {path}: {source}")]
    Read {
        /// Where the path came from.
        variable: &'static str,
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file's content is invalid.
    #[error("{origin}: {error}")]
    Invalid {
        /// The file, or "built-in configuration".
        origin: String,
        /// The bad key and why.
        error: FieldError,
    },
}

/// frist's configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `FRIST_CONFIG`: SLA configuration file; `None` means the built-in default.
    pub sla_config: Option<PathBuf>,
}

impl Config {
    /// Reads the configuration from the process environment.
    #[must_use]
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var_os(name).map(PathBuf::from))
    }

    /// Reads the configuration through `lookup`, so tests need not touch the environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<PathBuf>) -> Self {
        Self { sla_config: lookup("FRIST_CONFIG").filter(|p| !p.as_os_str().is_empty()) }
    }

    /// Loads and compiles the SLA configuration.
    pub fn load_sla(&self) -> Result<Sla, ConfigError> {
        match &self.sla_config {
            Some(path) => load_sla_file(path, "FRIST_CONFIG"),
            None => compile(DEFAULT_SLA_CONFIG, "built-in configuration"),
        }
    }
}

fn load_sla_file(path: &Path, variable: &'static str) -> Result<Sla, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        variable,
        path: path.to_owned(),
        source,
    })?;
    compile(&text, &path.display().to_string())
}

fn compile(text: &str, origin: &str) -> Result<Sla, ConfigError> {
    SlaConfig::from_toml(text)
        .and_then(|config| config.compile())
        .map_err(|error| ConfigError::Invalid { origin: origin.to_owned(), error })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::{ClockKind, Severity, Target};

    #[test]
    fn the_default_configuration_has_the_seed_tiers() {
        let sla = Config::default().load_sla();
        let sla = match sla {
            Ok(sla) => sla,
            Err(e) => panic!("{e}"),
        };
        let target = |policy: &str, severity, clock| {
            sla.policy(policy).and_then(|p| p.target(severity, clock))
        };
        assert_eq!(
            target("level-1", Severity::Critical, ClockKind::FixStart),
            Some(Target::Minutes(480))
        );
        assert_eq!(
            target("level-1", Severity::Serious, ClockKind::FixStart),
            Some(Target::Minutes(1440))
        );
        assert_eq!(
            target("level-2", Severity::Critical, ClockKind::FixStart),
            Some(Target::Minutes(360))
        );
        assert_eq!(
            target("level-2", Severity::Serious, ClockKind::FixStart),
            Some(Target::Minutes(720))
        );
        assert_eq!(
            target("level-3", Severity::Critical, ClockKind::Response),
            Some(Target::Minutes(60))
        );
        assert_eq!(
            target("level-3", Severity::Serious, ClockKind::FixStart),
            Some(Target::Minutes(360))
        );
        assert_eq!(target("level-3", Severity::Normal, ClockKind::Response), None);
        assert_eq!(
            target("basic", Severity::Normal, ClockKind::FixStart),
            Some(Target::BusinessDays(7))
        );
        assert_eq!(sla.provider.startup_fee().to_string(), "DKK 5000.00");
        assert_eq!(sla.basic_policy().map(|p| p.name.as_str()), Some("basic"));
    }

    #[test]
    fn a_bad_key_is_named_with_its_path() {
        let text = DEFAULT_SLA_CONFIG.replace(
            r#"critical = { response = "2h", fix_start = "8h" }"#,
            r#"critical = { response = "2x", fix_start = "8h" }"#,
        );
        let error = compile(&text, "test.toml").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            error.starts_with("test.toml: policies.level-1.targets.critical.response"),
            "{error}"
        );
        assert!(error.contains("\"2x\""), "{error}");
        let text =
            DEFAULT_SLA_CONFIG.replace(r#"mon = ["07:30-16:00"]"#, r#"mon = ["16:00-07:30"]"#);
        let error = compile(&text, "test.toml").err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            error,
            "test.toml: provider.office.hours.mon[0]: end 07:30 is before start 16:00"
        );
    }

    #[test]
    fn a_missing_file_names_the_variable() {
        let config = Config::from_lookup(|_| Some(PathBuf::from("/nonexistent/frist.toml")));
        let error = config.load_sla().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.starts_with("FRIST_CONFIG: cannot read /nonexistent/frist.toml"), "{error}");
    }
}
