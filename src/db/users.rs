//! Users and their roles.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::users;

/// A user row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    /// Id.
    pub id: i64,
    /// The organization they belong to.
    pub organization_id: i64,
    /// Unique, lower-case.
    pub email: String,
    /// Display name.
    pub name: String,
    /// `customer`, `technician`, `manager` or `admin`.
    pub role: String,
    /// argon2id PHC string; `None` means no password sign-in.
    pub password_hash: Option<String>,
    /// Inactive users cannot sign in.
    pub active: bool,
    /// Creation instant.
    pub created_at: NaiveDateTime,
}

/// A new user.
#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    /// Organization.
    pub organization_id: i64,
    /// Lower-case e-mail.
    pub email: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Role name.
    pub role: &'a str,
    /// argon2id PHC string.
    pub password_hash: Option<&'a str>,
    /// Active from the start.
    pub active: bool,
    /// Creation instant.
    pub created_at: NaiveDateTime,
}

/// Inserts and returns the new id.
pub fn insert(conn: &mut DbConn, new: &NewUser<'_>) -> QueryResult<i64> {
    crate::on_backend!(conn, c => diesel::insert_into(users::table)
        .values(new)
        .returning(users::id)
        .get_result(c))
}

/// One user by id, optionally only within one organization.
pub fn find(conn: &mut DbConn, id: i64, within: Option<i64>) -> QueryResult<Option<User>> {
    let mut query = users::table.filter(users::id.eq(id)).select(User::as_select()).into_boxed();
    if let Some(org) = within {
        query = query.filter(users::organization_id.eq(org));
    }
    query.first(conn).optional()
}

/// One user by e-mail (case-insensitive).
pub fn find_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email.to_lowercase()))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// A page of users by id, optionally within one organization.
pub fn list(
    conn: &mut DbConn,
    within: Option<i64>,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<User>> {
    let mut query = users::table
        .filter(users::id.gt(after_id))
        .order(users::id)
        .limit(limit)
        .select(User::as_select())
        .into_boxed();
    if let Some(org) = within {
        query = query.filter(users::organization_id.eq(org));
    }
    query.load(conn)
}

/// Replaces the password hash.
pub fn set_password(conn: &mut DbConn, id: i64, hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id)).set(users::password_hash.eq(hash)).execute(conn)
}

/// Changes role and active flag.
pub fn update_role(conn: &mut DbConn, id: i64, role: &str, active: bool) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::role.eq(role), users::active.eq(active)))
        .execute(conn)
}

/// Active users with `role`, by id (e.g. the managers to escalate to).
pub fn active_with_role(conn: &mut DbConn, role: &str) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::role.eq(role))
        .filter(users::active.eq(true))
        .order(users::id)
        .select(User::as_select())
        .load(conn)
}

/// Names of the users with these ids.
pub fn names(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<(i64, String)>> {
    users::table.filter(users::id.eq_any(ids)).select((users::id, users::name)).load(conn)
}
