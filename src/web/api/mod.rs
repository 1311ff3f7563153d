//! JSON API handlers under `/api/v1`: extract, authorise, call the use case, answer.

pub mod admin;
pub mod oncall;
pub mod outbox;
pub mod reports;
pub mod tickets;

use serde::{Deserialize, Serialize};

use super::error::AppError;

/// Default page size.
pub const DEFAULT_LIMIT: i64 = 50;
/// Largest page size.
pub const MAX_LIMIT: i64 = 200;

/// Paging parameters of every list: `limit` (1–200, default 50) and the opaque `cursor`
/// from the previous page's `next_cursor`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Paging {
    /// Page size.
    pub limit: Option<i64>,
    /// Where to continue.
    pub cursor: Option<String>,
}

impl Paging {
    /// The page size, checked.
    pub fn limit(&self) -> Result<i64, AppError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(n) => Err(AppError::field("limit", format!("{n} is not within 1–{MAX_LIMIT}"))),
        }
    }

    /// The cursor as a number (an id or an offset), 0 at the start.
    pub fn position(&self) -> Result<i64, AppError> {
        match self.cursor.as_deref() {
            None | Some("") => Ok(0),
            Some(c) => c.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                AppError::field("cursor", format!("{c:?} is not a cursor from this API"))
            }),
        }
    }
}

/// One page of a list.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` at the end.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page whose next cursor is the last item's key, when the page was full.
    pub fn keyed(items: Vec<T>, limit: i64, key: impl Fn(&T) -> i64) -> Self {
        let next_cursor = if items.len() as i64 == limit {
            items.last().map(|t| key(t).to_string())
        } else {
            None
        };
        Self { items, next_cursor }
    }

    /// A page whose next cursor is an offset.
    pub fn offset(items: Vec<T>, offset: i64, limit: i64) -> Self {
        let next_cursor = (items.len() as i64 == limit).then(|| (offset + limit).to_string());
        Self { items, next_cursor }
    }
}
