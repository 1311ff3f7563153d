//! Who is asking: roles, password hashing (argon2id) and bearer secrets (sessions and API
//! tokens, stored only as SHA-256 hashes).

pub mod password;
pub mod secret;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::db::Scope;

/// A user's role (DESIGN §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sees only their organization's tickets.
    Customer,
    /// Works tickets of every organization.
    Technician,
    /// Technician rights plus contracts and reports.
    Manager,
    /// Everything, including configuration and users.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Customer, Role::Technician, Role::Manager, Role::Admin];

    /// The name as stored.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Technician => "technician",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    /// Provider staff (everyone but customers).
    #[must_use]
    pub fn is_staff(self) -> bool {
        self != Role::Customer
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?} (customer, technician, manager, admin)"))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signed-in user a request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// User id.
    pub user_id: i64,
    /// Their organization.
    pub organization_id: i64,
    /// Their role.
    pub role: Role,
}

impl Actor {
    /// The rows this actor may read: all for staff, their own organization for customers.
    #[must_use]
    pub fn scope(&self) -> Scope {
        if self.role.is_staff() { Scope::All } else { Scope::Organization(self.organization_id) }
    }

    /// Provider staff.
    #[must_use]
    pub fn is_staff(&self) -> bool {
        self.role.is_staff()
    }

    /// At least manager.
    #[must_use]
    pub fn is_manager(&self) -> bool {
        matches!(self.role, Role::Manager | Role::Admin)
    }

    /// Admin.
    #[must_use]
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}
