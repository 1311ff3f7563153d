//! Contracts: organization × policy, with 24/7 cover and a validity period.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::contracts;
use super::{DbConn, Scope};

/// A contract row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = contracts)]
pub struct Contract {
    /// Id.
    pub id: i64,
    /// Customer.
    pub organization_id: i64,
    /// The tier.
    pub policy_id: i64,
    /// 24/7/365 on-call cover: never a start-up fee.
    pub oncall_24x7: bool,
    /// Start of validity (UTC).
    pub valid_from: NaiveDateTime,
    /// End of validity, exclusive; `None` open-ended.
    pub valid_to: Option<NaiveDateTime>,
    /// Notice period in months.
    pub notice_months: i32,
    /// Creation instant.
    pub created_at: NaiveDateTime,
}

/// A new contract.
#[derive(Debug, Insertable)]
#[diesel(table_name = contracts)]
pub struct NewContract {
    /// Customer.
    pub organization_id: i64,
    /// The tier.
    pub policy_id: i64,
    /// 24/7 cover.
    pub oncall_24x7: bool,
    /// Start of validity.
    pub valid_from: NaiveDateTime,
    /// End of validity.
    pub valid_to: Option<NaiveDateTime>,
    /// Notice period in months.
    pub notice_months: i32,
    /// Creation instant.
    pub created_at: NaiveDateTime,
}

/// Inserts and returns the new id.
pub fn insert(conn: &mut DbConn, new: &NewContract) -> QueryResult<i64> {
    crate::on_backend!(conn, c => diesel::insert_into(contracts::table)
        .values(new)
        .returning(contracts::id)
        .get_result(c))
}

/// One contract by id within `scope`.
pub fn find(conn: &mut DbConn, id: i64, scope: Scope) -> QueryResult<Option<Contract>> {
    let mut query =
        contracts::table.filter(contracts::id.eq(id)).select(Contract::as_select()).into_boxed();
    if let Scope::Organization(org) = scope {
        query = query.filter(contracts::organization_id.eq(org));
    }
    query.first(conn).optional()
}

/// The contract of `organization_id` in force at `at` (the most recently started one), with
/// the id of its policy's latest version, in one query: what a new ticket is filed under.
pub fn in_force_with_version(
    conn: &mut DbConn,
    organization_id: i64,
    at: NaiveDateTime,
) -> QueryResult<Option<(Contract, i64)>> {
    use super::schema::policy_versions;
    contracts::table
        .inner_join(policy_versions::table.on(policy_versions::policy_id.eq(contracts::policy_id)))
        .filter(contracts::organization_id.eq(organization_id))
        .filter(contracts::valid_from.le(at))
        .filter(contracts::valid_to.is_null().or(contracts::valid_to.gt(at)))
        .order((
            contracts::valid_from.desc(),
            contracts::id.desc(),
            policy_versions::version.desc(),
        ))
        .select((Contract::as_select(), policy_versions::id))
        .first(conn)
        .optional()
}

/// Every contract of `organization_id`, each with the id of its policy's latest version
/// (what [`in_force_with_version`] chooses among, for a caller that keeps them).
pub fn of_organization_with_versions(
    conn: &mut DbConn,
    organization_id: i64,
) -> QueryResult<Vec<(Contract, i64)>> {
    use super::schema::policy_versions;
    let rows: Vec<(Contract, i64, i32)> = contracts::table
        .inner_join(policy_versions::table.on(policy_versions::policy_id.eq(contracts::policy_id)))
        .filter(contracts::organization_id.eq(organization_id))
        .order((contracts::id.asc(), policy_versions::version.desc()))
        .select((Contract::as_select(), policy_versions::id, policy_versions::version))
        .load(conn)?;
    let mut latest: Vec<(Contract, i64)> = Vec::new();
    for (contract, version_id, _) in rows {
        if latest.last().is_none_or(|(c, _)| c.id != contract.id) {
            latest.push((contract, version_id));
        }
    }
    Ok(latest)
}

/// A page of contracts by id within `scope`.
pub fn list(
    conn: &mut DbConn,
    scope: Scope,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<Contract>> {
    let mut query = contracts::table
        .filter(contracts::id.gt(after_id))
        .order(contracts::id)
        .limit(limit)
        .select(Contract::as_select())
        .into_boxed();
    if let Scope::Organization(org) = scope {
        query = query.filter(contracts::organization_id.eq(org));
    }
    query.load(conn)
}
