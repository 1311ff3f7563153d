//! Organizations, users, tokens, contracts, policies (with versions) and calendars: the
//! administrative use cases behind the API and the CLI. One transaction each; errors name
//! the field.

pub mod oncall;
pub mod webhooks;

use chrono::{DateTime, Utc};

use crate::auth::{Role, password, secret};
use crate::db::{self, DbConn};
use crate::sla::{CalendarSpec, Policy, PolicySpec, Sla};
use crate::tickets::{TicketError, transaction};

/// Longest organization, user, policy or calendar name.
pub const MAX_NAME: usize = 200;

fn name_field(field: &str, value: &str) -> Result<String, TicketError> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.chars().count() > MAX_NAME {
        return Err(TicketError::invalid(field, format!("must be 1–{MAX_NAME} characters")));
    }
    Ok(trimmed.to_owned())
}

/// Creates an organization; returns its id.
pub fn add_organization(
    conn: &mut DbConn,
    name: &str,
    timezone: &str,
    is_provider: bool,
    now: DateTime<Utc>,
) -> Result<i64, TicketError> {
    let name = name_field("name", name)?;
    if timezone.parse::<chrono_tz::Tz>().is_err() {
        return Err(TicketError::invalid("timezone", format!("unknown time zone {timezone:?}")));
    }
    transaction(conn, |conn| {
        if db::organizations::find_by_name(conn, &name)?.is_some() {
            return Err(TicketError::invalid(
                "name",
                format!("an organization named {name:?} exists"),
            ));
        }
        Ok(db::organizations::insert(
            conn,
            &db::organizations::NewOrganization {
                name: &name,
                timezone,
                is_provider,
                created_at: db::to_db(now),
            },
        )?)
    })
}

/// A new user's details.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// Organization.
    pub organization_id: i64,
    /// E-mail (stored lower-case).
    pub email: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Role.
    pub role: Role,
    /// Password; `None` leaves password sign-in off (API tokens only).
    pub password: Option<&'a str>,
}

/// Creates a user; staff must belong to the provider's organization, customers to a
/// customer organization. Returns the id.
pub fn add_user(
    conn: &mut DbConn,
    new: &NewUser<'_>,
    now: DateTime<Utc>,
) -> Result<i64, TicketError> {
    let email = new.email.trim().to_lowercase();
    if email.len() > 254 || !looks_like_email(&email) {
        return Err(TicketError::invalid(
            "email",
            format!("{:?} is not an e-mail address", new.email),
        ));
    }
    let name = name_field("name", new.name)?;
    let hash = match new.password {
        Some(p) => {
            if let Some(why) = password::weakness(p) {
                return Err(TicketError::invalid("password", why));
            }
            Some(password::hash(p).map_err(|e| TicketError::invalid("password", e.to_string()))?)
        }
        None => None,
    };
    transaction(conn, |conn| {
        let org = db::organizations::find(conn, new.organization_id)?.ok_or_else(|| {
            TicketError::invalid(
                "organization_id",
                format!("no organization {}", new.organization_id),
            )
        })?;
        if org.is_provider != new.role.is_staff() {
            return Err(TicketError::invalid(
                "role",
                if org.is_provider {
                    "the provider's organization holds staff, not customers"
                } else {
                    "staff belong to the provider's organization"
                },
            ));
        }
        if db::users::find_by_email(conn, &email)?.is_some() {
            return Err(TicketError::invalid("email", format!("{email} is already registered")));
        }
        Ok(db::users::insert(
            conn,
            &db::users::NewUser {
                organization_id: org.id,
                email: &email,
                name: &name,
                role: new.role.as_str(),
                password_hash: hash.as_deref(),
                active: true,
                created_at: db::to_db(now),
            },
        )?)
    })
}

fn looks_like_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Issues an API token for `user_id`; returns its id and the secret (shown once).
pub fn issue_api_token(
    conn: &mut DbConn,
    user_id: i64,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(i64, String), TicketError> {
    let (token, hash) = secret::generate();
    let id = db::tokens::insert(
        conn,
        &db::tokens::NewToken {
            user_id,
            kind: "api",
            token_hash: &hash,
            name,
            created_at: db::to_db(now),
            expires_at: None,
        },
    )?;
    Ok((id, token))
}

/// A new contract.
#[derive(Debug, Clone)]
pub struct NewContract {
    /// Customer organization.
    pub organization_id: i64,
    /// Policy.
    pub policy_id: i64,
    /// 24/7 on-call cover.
    pub oncall_24x7: bool,
    /// Start of validity.
    pub valid_from: DateTime<Utc>,
    /// End of validity (exclusive).
    pub valid_to: Option<DateTime<Utc>>,
    /// Notice in months.
    pub notice_months: i32,
}

/// Creates a contract; returns its id.
pub fn add_contract(
    conn: &mut DbConn,
    new: &NewContract,
    now: DateTime<Utc>,
) -> Result<i64, TicketError> {
    if new.valid_to.is_some_and(|to| to <= new.valid_from) {
        return Err(TicketError::invalid("valid_to", "must be after valid_from"));
    }
    if !(0..=60).contains(&new.notice_months) {
        return Err(TicketError::invalid("notice_months", "must be 0–60"));
    }
    transaction(conn, |conn| {
        match db::organizations::find(conn, new.organization_id)? {
            Some(org) if !org.is_provider => {}
            Some(_) => {
                return Err(TicketError::invalid(
                    "organization_id",
                    "must be a customer organization",
                ));
            }
            None => {
                return Err(TicketError::invalid(
                    "organization_id",
                    format!("no organization {}", new.organization_id),
                ));
            }
        }
        if db::policies::find(conn, new.policy_id)?.is_none() {
            return Err(TicketError::invalid("policy_id", format!("no policy {}", new.policy_id)));
        }
        Ok(db::contracts::insert(
            conn,
            &db::contracts::NewContract {
                organization_id: new.organization_id,
                policy_id: new.policy_id,
                oncall_24x7: new.oncall_24x7,
                valid_from: db::to_db(new.valid_from),
                valid_to: new.valid_to.map(db::to_db),
                notice_months: new.notice_months,
                created_at: db::to_db(now),
            },
        )?)
    })
}

/// Validates a policy spec and returns it as stored JSON.
fn policy_json(name: &str, spec: &PolicySpec) -> Result<String, TicketError> {
    Policy::new(name, spec.clone()).map_err(|e| TicketError::Invalid(e.within("spec")))?;
    serde_json::to_string(spec).map_err(|e| TicketError::invalid("spec", e.to_string()))
}

/// Creates a policy with its first version; returns the policy id.
pub fn add_policy(
    conn: &mut DbConn,
    name: &str,
    spec: &PolicySpec,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64, TicketError> {
    let name = name_field("name", name)?;
    let json = policy_json(&name, spec)?;
    transaction(conn, |conn| {
        if db::policies::find_by_name(conn, &name)?.is_some() {
            return Err(TicketError::invalid("name", format!("a policy named {name:?} exists")));
        }
        let id = db::policies::insert_policy(conn, &name, db::to_db(now))?;
        db::policies::insert_version(
            conn,
            &db::policies::NewPolicyVersion {
                policy_id: id,
                version: 1,
                spec: &json,
                created_at: db::to_db(now),
                created_by: by,
            },
        )?;
        Ok(id)
    })
}

/// Adds a version to a policy (an edit); tickets filed before keep theirs. Returns the
/// version id.
pub fn add_policy_version(
    conn: &mut DbConn,
    policy_id: i64,
    spec: &PolicySpec,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64, TicketError> {
    transaction(conn, |conn| {
        let policy = db::policies::find(conn, policy_id)?.ok_or(TicketError::NotFound("policy"))?;
        let json = policy_json(&policy.name, spec)?;
        let next = db::policies::latest_version(conn, policy_id)?.map_or(1, |v| v.version + 1);
        Ok(db::policies::insert_version(
            conn,
            &db::policies::NewPolicyVersion {
                policy_id,
                version: next,
                spec: &json,
                created_at: db::to_db(now),
                created_by: by,
            },
        )?)
    })
}

/// Makes sure the provider's organization and the configured policies exist (as version 1
/// when new). Idempotent; run on every start.
pub fn bootstrap(conn: &mut DbConn, sla: &Sla, now: DateTime<Utc>) -> Result<(), TicketError> {
    transaction(conn, |conn| {
        if db::organizations::provider(conn)?.is_none() {
            let provider = &sla.provider.spec;
            add_organization(conn, &provider.name, &provider.timezone, true, now)?;
        }
        for (name, policy) in &sla.policies {
            if db::policies::find_by_name(conn, name)?.is_none() {
                add_policy(conn, name, &policy.spec, None, now)?;
            }
        }
        Ok(())
    })
}

/// Creates a named calendar; returns its id.
pub fn add_calendar(
    conn: &mut DbConn,
    name: &str,
    spec: &CalendarSpec,
    now: DateTime<Utc>,
) -> Result<i64, TicketError> {
    let name = name_field("name", name)?;
    let json = calendar_json(spec)?;
    transaction(conn, |conn| {
        if db::calendars::find_by_name(conn, &name)?.is_some() {
            return Err(TicketError::invalid("name", format!("a calendar named {name:?} exists")));
        }
        Ok(db::calendars::insert(conn, &name, &json, db::to_db(now))?)
    })
}

/// Replaces a calendar's spec.
pub fn update_calendar(
    conn: &mut DbConn,
    id: i64,
    spec: &CalendarSpec,
    now: DateTime<Utc>,
) -> Result<(), TicketError> {
    let json = calendar_json(spec)?;
    transaction(conn, |conn| {
        if db::calendars::update(conn, id, &json, db::to_db(now))? == 0 {
            return Err(TicketError::NotFound("calendar"));
        }
        Ok(())
    })
}

fn calendar_json(spec: &CalendarSpec) -> Result<String, TicketError> {
    crate::sla::Calendar::new(spec.clone()).map_err(|e| TicketError::Invalid(e.within("spec")))?;
    serde_json::to_string(spec).map_err(|e| TicketError::invalid("spec", e.to_string()))
}

/// Changes a user's role and whether they may sign in; staff roles stay in the provider's
/// organization and the customer role outside it. An admin cannot take their own admin
/// role or access away (someone must be able to administer).
pub fn set_role(
    conn: &mut DbConn,
    user_id: i64,
    role: Role,
    active: bool,
    by: i64,
) -> Result<(), TicketError> {
    transaction(conn, |conn| {
        let user = db::users::find(conn, user_id, None)?.ok_or(TicketError::NotFound("user"))?;
        let org = db::organizations::find(conn, user.organization_id)?
            .ok_or(TicketError::NotFound("organization"))?;
        if org.is_provider != role.is_staff() {
            return Err(TicketError::invalid(
                "role",
                if org.is_provider {
                    "the provider's people are technicians, managers or admins"
                } else {
                    "a customer organization's people are customers"
                },
            ));
        }
        if user_id == by && (role != Role::Admin || !active) {
            return Err(TicketError::invalid("role", "you cannot remove your own admin access"));
        }
        db::users::update_role(conn, user_id, role.as_str(), active)?;
        Ok(())
    })
}
