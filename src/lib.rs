//! frist: an SLA and support-ticket tracker for IT service providers.
//!
//! The binary is a thin shell over this library so that tests boot exactly what `main` boots.

pub mod accounts;
pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod jobs;
pub mod notify;
pub mod reports;
pub mod sla;
pub mod tickets;
pub mod web;
