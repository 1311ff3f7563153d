//! frist: an SLA and support-ticket tracker for IT service providers.
//!
//! The binary is a thin shell over this library so that tests boot exactly what `main` boots.

pub mod cli;
pub mod config;
pub mod sla;
