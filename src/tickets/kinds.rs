//! The ticket's enumerations as stored (text guarded by CHECK constraints) and as written in
//! the API.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and written name.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "unknown value {other:?} (expected one of: {})",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

text_enum! {
    /// What kind of problem.
    Category {
        /// Outage of a service the provider runs (seed 004: fix start within 4 business hours).
        Outage => "outage",
        /// Outage of a service the customer owns: ordinary support, prioritised.
        CustomerOutage => "customer_outage",
        /// Something works wrongly (seed 004: fix start within 7 working days on basic).
        FunctionalFault => "functional_fault",
        /// A question.
        Question => "question",
        /// Anything else.
        Other => "other",
    }
}

text_enum! {
    /// How the ticket came in.
    Channel {
        /// The customer portal.
        Portal => "portal",
        /// E-mail.
        Email => "email",
        /// A phone call logged by a technician.
        Phone => "phone",
        /// An integration over the API.
        Api => "api",
    }
}

text_enum! {
    /// Where the ticket is in its life.
    Status {
        /// Being worked on; clocks run.
        Open => "open",
        /// Waiting on the customer; clocks paused.
        WaitingOnCustomer => "waiting_on_customer",
        /// Fixed; the customer may reopen.
        Resolved => "resolved",
        /// Done for good.
        Closed => "closed",
    }
}

/// Parses a stored value, falling back to the first variant's error text on corruption.
pub fn parse_stored<T: FromStr<Err = String>>(
    column: &str,
    value: &str,
) -> Result<T, super::TicketError> {
    value.parse().map_err(|e: String| super::TicketError::invalid(column, e))
}
