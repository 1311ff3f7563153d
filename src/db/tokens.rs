//! Session and API tokens, stored only as SHA-256 hashes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{auth_tokens, users};
use super::users::User;

/// A new token row.
#[derive(Debug, Insertable)]
#[diesel(table_name = auth_tokens)]
pub struct NewToken<'a> {
    /// Owner.
    pub user_id: i64,
    /// `session` or `api`.
    pub kind: &'a str,
    /// Hex SHA-256 of the secret.
    pub token_hash: &'a str,
    /// Label (API tokens) or user agent (sessions).
    pub name: &'a str,
    /// Creation instant.
    pub created_at: NaiveDateTime,
    /// Expiry; `None` never expires.
    pub expires_at: Option<NaiveDateTime>,
}

/// Inserts and returns the new id.
pub fn insert(conn: &mut DbConn, new: &NewToken<'_>) -> QueryResult<i64> {
    crate::on_backend!(conn, c => diesel::insert_into(auth_tokens::table)
        .values(new)
        .returning(auth_tokens::id)
        .get_result(c))
}

/// The active user holding a live token with this hash at `now`.
pub fn user_for(
    conn: &mut DbConn,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(i64, String, User)>> {
    auth_tokens::table
        .inner_join(users::table)
        .filter(auth_tokens::token_hash.eq(token_hash))
        .filter(auth_tokens::revoked_at.is_null())
        .filter(auth_tokens::expires_at.is_null().or(auth_tokens::expires_at.gt(now)))
        .filter(users::active.eq(true))
        .select((auth_tokens::id, auth_tokens::kind, User::as_select()))
        .first(conn)
        .optional()
}

/// The holder of a token with this hash that has not been revoked, with its expiry, whether
/// or not it has expired or its user is active (the caller decides at its `now`).
pub fn holder(
    conn: &mut DbConn,
    token_hash: &str,
) -> QueryResult<Option<(Option<NaiveDateTime>, User)>> {
    auth_tokens::table
        .inner_join(users::table)
        .filter(auth_tokens::token_hash.eq(token_hash))
        .filter(auth_tokens::revoked_at.is_null())
        .select((auth_tokens::expires_at, User::as_select()))
        .first(conn)
        .optional()
}

/// Revokes one token by hash.
pub fn revoke(conn: &mut DbConn, token_hash: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(auth_tokens::table.filter(auth_tokens::token_hash.eq(token_hash)))
        .set(auth_tokens::revoked_at.eq(now))
        .execute(conn)
}
