//! Policies and their immutable versions: a ticket keeps the version in force when it was
//! filed; editing a policy adds a version.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{policies, policy_versions};

/// A policy row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = policies)]
pub struct Policy {
    /// Id.
    pub id: i64,
    /// Unique name, e.g. `level-2`.
    pub name: String,
    /// Creation instant.
    pub created_at: NaiveDateTime,
}

/// A policy version row; `spec` is the engine's `PolicySpec` as JSON.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = policy_versions)]
pub struct PolicyVersion {
    /// Id.
    pub id: i64,
    /// The policy.
    pub policy_id: i64,
    /// 1, 2, …
    pub version: i32,
    /// `PolicySpec` JSON.
    pub spec: String,
    /// Creation instant.
    pub created_at: NaiveDateTime,
    /// Who made it (`None` for the shipped defaults).
    pub created_by: Option<i64>,
}

/// A new version.
#[derive(Debug, Insertable)]
#[diesel(table_name = policy_versions)]
pub struct NewPolicyVersion<'a> {
    /// The policy.
    pub policy_id: i64,
    /// Next number.
    pub version: i32,
    /// `PolicySpec` JSON.
    pub spec: &'a str,
    /// Creation instant.
    pub created_at: NaiveDateTime,
    /// Author.
    pub created_by: Option<i64>,
}

/// Inserts a policy and returns its id.
pub fn insert_policy(conn: &mut DbConn, name: &str, now: NaiveDateTime) -> QueryResult<i64> {
    crate::on_backend!(conn, c => diesel::insert_into(policies::table)
        .values((policies::name.eq(name), policies::created_at.eq(now)))
        .returning(policies::id)
        .get_result(c))
}

/// Inserts a version and returns its id.
pub fn insert_version(conn: &mut DbConn, new: &NewPolicyVersion<'_>) -> QueryResult<i64> {
    crate::on_backend!(conn, c => diesel::insert_into(policy_versions::table)
        .values(new)
        .returning(policy_versions::id)
        .get_result(c))
}

/// One policy by id.
pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<Policy>> {
    policies::table.find(id).select(Policy::as_select()).first(conn).optional()
}

/// One policy by name.
pub fn find_by_name(conn: &mut DbConn, name: &str) -> QueryResult<Option<Policy>> {
    policies::table
        .filter(policies::name.eq(name))
        .select(Policy::as_select())
        .first(conn)
        .optional()
}

/// A page of policies by id.
pub fn list(conn: &mut DbConn, after_id: i64, limit: i64) -> QueryResult<Vec<Policy>> {
    policies::table
        .filter(policies::id.gt(after_id))
        .order(policies::id)
        .limit(limit)
        .select(Policy::as_select())
        .load(conn)
}

/// The newest version of a policy.
pub fn latest_version(conn: &mut DbConn, policy_id: i64) -> QueryResult<Option<PolicyVersion>> {
    policy_versions::table
        .filter(policy_versions::policy_id.eq(policy_id))
        .order(policy_versions::version.desc())
        .select(PolicyVersion::as_select())
        .first(conn)
        .optional()
}

/// The id of a policy's latest version (what a new ticket is filed under).
pub fn latest_version_id(conn: &mut DbConn, policy_id: i64) -> QueryResult<Option<i64>> {
    policy_versions::table
        .filter(policy_versions::policy_id.eq(policy_id))
        .order(policy_versions::version.desc())
        .select(policy_versions::id)
        .first(conn)
        .optional()
}

/// One version by id.
pub fn find_version(conn: &mut DbConn, id: i64) -> QueryResult<Option<PolicyVersion>> {
    policy_versions::table.find(id).select(PolicyVersion::as_select()).first(conn).optional()
}

/// All versions of a policy, oldest first.
pub fn versions(conn: &mut DbConn, policy_id: i64) -> QueryResult<Vec<PolicyVersion>> {
    policy_versions::table
        .filter(policy_versions::policy_id.eq(policy_id))
        .order(policy_versions::version)
        .select(PolicyVersion::as_select())
        .load(conn)
}
