//! Webhook endpoints: where events are posted, each with its own signing secret.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::webhooks;

/// A webhook endpoint row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = webhooks)]
pub struct Webhook {
    /// Id.
    pub id: i64,
    /// Target URL.
    pub url: String,
    /// Signing secret (HMAC-SHA256 over the body).
    pub secret: String,
    /// What it is for.
    pub description: String,
    /// Inactive endpoints get nothing new.
    pub active: bool,
    /// Creation instant.
    pub created_at: NaiveDateTime,
}

/// A new or changed endpoint.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = webhooks)]
pub struct WebhookForm<'a> {
    /// Target URL.
    pub url: &'a str,
    /// Signing secret.
    pub secret: &'a str,
    /// Description.
    pub description: &'a str,
    /// Active.
    pub active: bool,
}

/// Inserts and returns the new id.
pub fn insert(conn: &mut DbConn, form: &WebhookForm<'_>, at: NaiveDateTime) -> QueryResult<i64> {
    crate::on_backend!(conn, c => diesel::insert_into(webhooks::table)
        .values((form, webhooks::created_at.eq(at)))
        .returning(webhooks::id)
        .get_result(c))
}

/// Changes an endpoint; returns the rows changed.
pub fn update(conn: &mut DbConn, id: i64, form: &WebhookForm<'_>) -> QueryResult<usize> {
    diesel::update(webhooks::table.find(id)).set(form).execute(conn)
}

/// One endpoint.
pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<Webhook>> {
    webhooks::table.find(id).select(Webhook::as_select()).first(conn).optional()
}

/// A page of endpoints by id.
pub fn list(conn: &mut DbConn, after_id: i64, limit: i64) -> QueryResult<Vec<Webhook>> {
    webhooks::table
        .filter(webhooks::id.gt(after_id))
        .order(webhooks::id)
        .limit(limit)
        .select(Webhook::as_select())
        .load(conn)
}

/// Every active endpoint (each event goes to all of them).
pub fn active(conn: &mut DbConn) -> QueryResult<Vec<Webhook>> {
    webhooks::table
        .filter(webhooks::active.eq(true))
        .order(webhooks::id)
        .select(Webhook::as_select())
        .load(conn)
}
