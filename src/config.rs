//! Configuration, read once at start-up (12-factor: environment variables, plus an optional
//! TOML file for the provider and the policies).
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `FRIST_CONFIG` | path of a TOML file with `[provider]` and `[policies.*]` | the built-in `config/default.toml` |
//! | `DATABASE_URL` | `sqlite://PATH` or `postgres://…` | SQLite file `frist.db` in the working directory |
//! | `FRIST_BIND` | address to listen on | `127.0.0.1:8080` |
//! | `FRIST_POOL_SIZE` | database connections | 16 (PostgreSQL), 8 (SQLite) |
//! | `FRIST_DB_TIMEOUT_SECS` | wait for a connection before answering 503 | 3 |
//! | `FRIST_SECURE_COOKIES` | `auto`, `always` or `never` | `auto` |
//! | `FRIST_SESSION_HOURS` | session lifetime | 12 |
//! | `FRIST_WORKERS` | HTTP worker threads (0: one per core) | 0 |
//! | `FRIST_JOBS` | run the escalation sweep and outbox delivery in this process: `on`, `off` | `on` |
//! | `FRIST_SMTP_URL` | SMTP server, e.g. `smtp://localhost:1025`, `smtp://user:pass@host:587?tls=required`, `smtps://host` | unset: e-mails wait in the outbox |
//! | `FRIST_MAIL_FROM` | sender address of e-mails | `frist <frist@localhost>` |
//! | `FRIST_EMAIL_TEMPLATES` | directory whose `{name}.{subject,txt,html}.hbs` files replace the built-in e-mail templates | unset |
//! | `FRIST_WEBHOOK_ALLOW_PRIVATE` | let webhooks reach loopback, private and link-local addresses: `true`, `false` | `false` |
//! | `FRIST_OUTBOX_MAX_ATTEMPTS` | failed attempts before a message is parked for an admin | 10 |
//! | `FRIST_OUTBOX_BACKOFF_SECS` | wait after the first failure; doubles each time, at most an hour | 30 |
//! | `FRIST_OUTBOX_LEASE_SECS` | how long a worker holds a message it is sending (a crashed worker's claim lapses) | 60 |
//! | `FRIST_REPORT_HOUR` | local hour (provider time zone, 0–23) from which the monthly report e-mail goes out on the 1st; never before the close at 03:00 | 6 |
//! | `FRIST_PUBLIC_URL` | the address people reach frist at, for links in e-mails | `http://localhost:8080` |

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
    /// An environment variable has a value frist cannot use.
    #[error("{variable}: {message}")]
    Variable {
        /// The variable.
        variable: &'static str,
        /// What is wrong.
        message: String,
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

/// When to mark the session cookie `Secure`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SecureCookies {
    /// When the request came over HTTPS (including `X-Forwarded-Proto` from a proxy).
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never (plain-HTTP development).
    Never,
}

/// frist's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `FRIST_CONFIG`: SLA configuration file; `None` means the built-in default.
    pub sla_config: Option<PathBuf>,
    /// `DATABASE_URL`.
    pub database_url: Option<String>,
    /// `FRIST_BIND`.
    pub bind: String,
    /// `FRIST_POOL_SIZE`; `None` picks by backend.
    pub pool_size: Option<u32>,
    /// `FRIST_DB_TIMEOUT_SECS`.
    pub db_timeout_secs: u64,
    /// `FRIST_SECURE_COOKIES`.
    pub secure_cookies: SecureCookies,
    /// `FRIST_SESSION_HOURS`.
    pub session_hours: i64,
    /// `FRIST_WORKERS`.
    pub workers: usize,
    /// `FRIST_JOBS`.
    pub jobs: bool,
    /// `FRIST_SMTP_URL`.
    pub smtp_url: Option<String>,
    /// `FRIST_MAIL_FROM`.
    pub mail_from: String,
    /// `FRIST_EMAIL_TEMPLATES`.
    pub email_templates: Option<PathBuf>,
    /// `FRIST_WEBHOOK_ALLOW_PRIVATE`.
    pub webhook_allow_private: bool,
    /// `FRIST_OUTBOX_MAX_ATTEMPTS`.
    pub outbox_max_attempts: i32,
    /// `FRIST_OUTBOX_BACKOFF_SECS`.
    pub outbox_backoff_secs: i64,
    /// `FRIST_OUTBOX_LEASE_SECS`.
    pub outbox_lease_secs: i64,
    /// `FRIST_REPORT_HOUR`.
    pub report_hour: u32,
    /// `FRIST_PUBLIC_URL`, without a trailing `/`.
    pub public_url: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            sla_config: None,
            database_url: None,
            bind: "127.0.0.1:8080".to_owned(),
            pool_size: None,
            db_timeout_secs: 3,
            secure_cookies: SecureCookies::Auto,
            session_hours: 12,
            workers: 0,
            jobs: true,
            smtp_url: None,
            mail_from: "frist <frist@localhost>".to_owned(),
            email_templates: None,
            webhook_allow_private: false,
            outbox_max_attempts: 10,
            outbox_backoff_secs: 30,
            outbox_lease_secs: 60,
            report_hour: 6,
            public_url: "http://localhost:8080".to_owned(),
        }
    }
}

fn switch(
    variable: &'static str,
    value: Option<String>,
    default: bool,
) -> Result<bool, ConfigError> {
    match value.as_deref().map(str::trim) {
        None => Ok(default),
        Some("on" | "true" | "1" | "yes") => Ok(true),
        Some("off" | "false" | "0" | "no") => Ok(false),
        Some(other) => Err(ConfigError::Variable {
            variable,
            message: format!("{other:?}: use on/off or true/false"),
        }),
    }
}

fn number<T: std::str::FromStr>(
    variable: &'static str,
    value: Option<String>,
    default: T,
    valid: impl Fn(&T) -> bool,
) -> Result<T, ConfigError> {
    match value {
        None => Ok(default),
        Some(text) => text.trim().parse().ok().filter(|v| valid(v)).ok_or_else(|| {
            ConfigError::Variable { variable, message: format!("{text:?} is not a valid value") }
        }),
    }
}

/// An `http(s)://host…` address without its trailing `/`: links are built by appending
/// `/reports/…` to it.
fn public_url(text: &str) -> Result<String, ConfigError> {
    let url = text.trim().trim_end_matches('/');
    let host = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match host {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(url.to_owned()),
        _ => Err(ConfigError::Variable {
            variable: "FRIST_PUBLIC_URL",
            message: format!("{text:?}: use http://host[:port] or https://host[:port]"),
        }),
    }
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests need not touch the environment.
    /// Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let defaults = Self::default();
        let secure_cookies = match get("FRIST_SECURE_COOKIES").as_deref() {
            None | Some("auto") => SecureCookies::Auto,
            Some("always") => SecureCookies::Always,
            Some("never") => SecureCookies::Never,
            Some(other) => {
                return Err(ConfigError::Variable {
                    variable: "FRIST_SECURE_COOKIES",
                    message: format!("{other:?}: use auto, always or never"),
                });
            }
        };
        Ok(Self {
            sla_config: get("FRIST_CONFIG").map(PathBuf::from),
            database_url: get("DATABASE_URL"),
            bind: get("FRIST_BIND").unwrap_or(defaults.bind),
            pool_size: match get("FRIST_POOL_SIZE") {
                None => None,
                value => {
                    Some(number("FRIST_POOL_SIZE", value, 0, |n: &u32| (1..=512).contains(n))?)
                }
            },
            db_timeout_secs: number(
                "FRIST_DB_TIMEOUT_SECS",
                get("FRIST_DB_TIMEOUT_SECS"),
                3,
                |n: &u64| (1..=60).contains(n),
            )?,
            secure_cookies,
            session_hours: number(
                "FRIST_SESSION_HOURS",
                get("FRIST_SESSION_HOURS"),
                12,
                |n: &i64| (1..=24 * 90).contains(n),
            )?,
            workers: number("FRIST_WORKERS", get("FRIST_WORKERS"), 0, |n: &usize| *n <= 256)?,
            jobs: switch("FRIST_JOBS", get("FRIST_JOBS"), defaults.jobs)?,
            smtp_url: get("FRIST_SMTP_URL"),
            mail_from: get("FRIST_MAIL_FROM").unwrap_or(defaults.mail_from),
            email_templates: get("FRIST_EMAIL_TEMPLATES").map(PathBuf::from),
            webhook_allow_private: switch(
                "FRIST_WEBHOOK_ALLOW_PRIVATE",
                get("FRIST_WEBHOOK_ALLOW_PRIVATE"),
                defaults.webhook_allow_private,
            )?,
            outbox_max_attempts: number(
                "FRIST_OUTBOX_MAX_ATTEMPTS",
                get("FRIST_OUTBOX_MAX_ATTEMPTS"),
                defaults.outbox_max_attempts,
                |n: &i32| (1..=100).contains(n),
            )?,
            outbox_backoff_secs: number(
                "FRIST_OUTBOX_BACKOFF_SECS",
                get("FRIST_OUTBOX_BACKOFF_SECS"),
                defaults.outbox_backoff_secs,
                |n: &i64| (1..=3600).contains(n),
            )?,
            outbox_lease_secs: number(
                "FRIST_OUTBOX_LEASE_SECS",
                get("FRIST_OUTBOX_LEASE_SECS"),
                defaults.outbox_lease_secs,
                |n: &i64| (1..=3600).contains(n),
            )?,
            report_hour: number(
                "FRIST_REPORT_HOUR",
                get("FRIST_REPORT_HOUR"),
                defaults.report_hour,
                |n: &u32| *n <= 23,
            )?,
            public_url: match get("FRIST_PUBLIC_URL") {
                None => defaults.public_url,
                Some(url) => public_url(&url)?,
            },
        })
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
        let config = Config {
            sla_config: Some(PathBuf::from("/nonexistent/frist.toml")),
            ..Config::default()
        };
        let error = config.load_sla().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.starts_with("FRIST_CONFIG: cannot read /nonexistent/frist.toml"), "{error}");
    }

    #[test]
    fn variables_are_read_and_bad_ones_named() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
        };
        let config = Config::from_lookup(env(&[
            ("DATABASE_URL", "postgres://h/db"),
            ("FRIST_POOL_SIZE", "4"),
        ]));
        assert_eq!(
            config.as_ref().ok().and_then(|c| c.database_url.clone()).as_deref(),
            Some("postgres://h/db")
        );
        assert_eq!(config.as_ref().ok().and_then(|c| c.pool_size), Some(4));
        let error = Config::from_lookup(env(&[("FRIST_DB_TIMEOUT_SECS", "soon")]))
            .err()
            .map(|e| e.to_string());
        assert_eq!(error.as_deref(), Some("FRIST_DB_TIMEOUT_SECS: \"soon\" is not a valid value"));
        let error = Config::from_lookup(env(&[("FRIST_SECURE_COOKIES", "maybe")]))
            .err()
            .map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.starts_with("FRIST_SECURE_COOKIES:")));
    }

    #[test]
    fn report_hour_and_public_url() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
        };
        let defaults = Config::from_lookup(env(&[])).ok();
        assert_eq!(defaults.as_ref().map(|c| c.report_hour), Some(6));
        assert_eq!(defaults.as_ref().map(|c| c.public_url.as_str()), Some("http://localhost:8080"));
        let config = Config::from_lookup(env(&[
            ("FRIST_REPORT_HOUR", "0"),
            ("FRIST_PUBLIC_URL", "https://frist.example/"),
        ]))
        .ok();
        assert_eq!(config.as_ref().map(|c| c.report_hour), Some(0));
        assert_eq!(config.as_ref().map(|c| c.public_url.as_str()), Some("https://frist.example"));
        for bad in ["24", "-1", "six"] {
            let error = Config::from_lookup(move |name: &str| {
                (name == "FRIST_REPORT_HOUR").then(|| bad.to_owned())
            })
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
            assert!(error.starts_with("FRIST_REPORT_HOUR:"), "{error}");
        }
        let error = Config::from_lookup(env(&[("FRIST_PUBLIC_URL", "frist.example")]))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.starts_with("FRIST_PUBLIC_URL:"), "{error}");
    }
}
