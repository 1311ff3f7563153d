//! Organizations: customer companies and the provider itself.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::organizations;

/// An organization row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, serde::Serialize)]
#[diesel(table_name = organizations)]
pub struct Organization {
    /// Id.
    pub id: i64,
    /// Unique display name.
    pub name: String,
    /// IANA zone its people read times in.
    pub timezone: String,
    /// `true` for the provider's own organization (staff belong to it).
    pub is_provider: bool,
    /// When it was created (UTC).
    pub created_at: NaiveDateTime,
}

/// A new organization.
#[derive(Debug, Insertable)]
#[diesel(table_name = organizations)]
pub struct NewOrganization<'a> {
    /// Unique display name.
    pub name: &'a str,
    /// IANA zone.
    pub timezone: &'a str,
    /// The provider's own organization.
    pub is_provider: bool,
    /// Creation instant.
    pub created_at: NaiveDateTime,
}

/// Inserts and returns the new id.
pub fn insert(conn: &mut DbConn, new: &NewOrganization<'_>) -> QueryResult<i64> {
    crate::on_backend!(conn, c => diesel::insert_into(organizations::table)
        .values(new)
        .returning(organizations::id)
        .get_result(c))
}

/// One organization by id.
pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<Organization>> {
    organizations::table.find(id).select(Organization::as_select()).first(conn).optional()
}

/// One organization by its unique name.
pub fn find_by_name(conn: &mut DbConn, name: &str) -> QueryResult<Option<Organization>> {
    organizations::table
        .filter(organizations::name.eq(name))
        .select(Organization::as_select())
        .first(conn)
        .optional()
}

/// The provider's own organization, if set up.
pub fn provider(conn: &mut DbConn) -> QueryResult<Option<Organization>> {
    organizations::table
        .filter(organizations::is_provider.eq(true))
        .order(organizations::id)
        .select(Organization::as_select())
        .first(conn)
        .optional()
}

/// A page of organizations, by id; `only` restricts to one (a customer's own).
pub fn list(
    conn: &mut DbConn,
    only: Option<i64>,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<Organization>> {
    let mut query = organizations::table
        .filter(organizations::id.gt(after_id))
        .order(organizations::id)
        .limit(limit)
        .select(Organization::as_select())
        .into_boxed();
    if let Some(id) = only {
        query = query.filter(organizations::id.eq(id));
    }
    query.load(conn)
}

/// An organization and, if they belong to it, one of its users, in one query (a receipt
/// needs both).
pub fn with_member(
    conn: &mut DbConn,
    id: i64,
    user_id: i64,
) -> QueryResult<Option<(Organization, Option<super::users::User>)>> {
    use super::schema::users;
    organizations::table
        .filter(organizations::id.eq(id))
        .left_join(
            users::table
                .on(users::id.eq(user_id).and(users::organization_id.eq(organizations::id))),
        )
        .select((Organization::as_select(), Option::<super::users::User>::as_select()))
        .first(conn)
        .optional()
}

/// Names of the organizations with these ids.
pub fn names(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<(i64, String)>> {
    organizations::table
        .filter(organizations::id.eq_any(ids))
        .select((organizations::id, organizations::name))
        .load(conn)
}
