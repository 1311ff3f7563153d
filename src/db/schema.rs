//! Table definitions shared by both backends (written by hand to match `migrations/`;
//! every row struct selects all of its table's columns, so a drift fails the test suite on
//! both migrated databases).

#![allow(missing_docs)]

diesel::table! {
    organizations (id) {
        id -> BigInt,
        name -> Text,
        timezone -> Text,
        is_provider -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        organization_id -> BigInt,
        email -> Text,
        name -> Text,
        role -> Text,
        password_hash -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    auth_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        token_hash -> Text,
        name -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    calendars (id) {
        id -> BigInt,
        name -> Text,
        spec -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    policies (id) {
        id -> BigInt,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    policy_versions (id) {
        id -> BigInt,
        policy_id -> BigInt,
        version -> Integer,
        spec -> Text,
        created_at -> Timestamp,
        created_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    contracts (id) {
        id -> BigInt,
        organization_id -> BigInt,
        policy_id -> BigInt,
        oncall_24x7 -> Bool,
        valid_from -> Timestamp,
        valid_to -> Nullable<Timestamp>,
        notice_months -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tickets (id) {
        id -> BigInt,
        number -> Text,
        organization_id -> BigInt,
        reporter_id -> BigInt,
        assignee_id -> Nullable<BigInt>,
        contract_id -> Nullable<BigInt>,
        policy_version_id -> BigInt,
        title -> Text,
        description -> Text,
        severity -> Text,
        category -> Text,
        channel -> Text,
        status -> Text,
        reported_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        out_of_hours -> Bool,
        oncall_now -> Bool,
        fee_minor -> Nullable<BigInt>,
        fee_currency -> Nullable<Text>,
        fee_accepted_by -> Nullable<BigInt>,
        fee_accepted_at -> Nullable<Timestamp>,
        response_due_at -> Nullable<Timestamp>,
        response_met_at -> Nullable<Timestamp>,
        fix_start_due_at -> Nullable<Timestamp>,
        fix_start_met_at -> Nullable<Timestamp>,
        resolve_due_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        reopened_at -> Nullable<Timestamp>,
        next_due_at -> Nullable<Timestamp>,
        next_escalation_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ticket_events (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        kind -> Text,
        public -> Bool,
        body -> Nullable<Text>,
        data -> Nullable<Text>,
    }
}

diesel::table! {
    pauses (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        started_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
        started_by -> Nullable<BigInt>,
        ended_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    escalations (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        clock -> Text,
        level -> Text,
        clock_started_at -> Timestamp,
        due_at -> Timestamp,
        fired_at -> Timestamp,
    }
}

diesel::table! {
    oncall_shifts (id) {
        id -> BigInt,
        user_id -> BigInt,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        note -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        url -> Text,
        secret -> Text,
        description -> Text,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        event_id -> Text,
        channel -> Text,
        topic -> Text,
        ticket_id -> Nullable<BigInt>,
        webhook_id -> Nullable<BigInt>,
        recipient -> Text,
        subject -> Text,
        body -> Text,
        html -> Nullable<Text>,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        delivered_at -> Nullable<Timestamp>,
        parked_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        attachments -> Nullable<Text>,
    }
}

diesel::table! {
    met_clocks (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        clock -> Text,
        started_at -> Timestamp,
        due_at -> Timestamp,
        met_at -> Timestamp,
        decided_at -> Timestamp,
        used_secs -> BigInt,
        paused_secs -> BigInt,
    }
}

diesel::table! {
    report_versions (id) {
        id -> BigInt,
        month -> Text,
        version -> Integer,
        computed_at -> Timestamp,
        computed_by -> Nullable<BigInt>,
        reason -> Text,
    }
}

diesel::table! {
    report_rows (id) {
        id -> BigInt,
        report_id -> BigInt,
        organization_id -> BigInt,
        ticket_id -> BigInt,
        ticket_number -> Text,
        title -> Text,
        clock -> Text,
        severity -> Text,
        category -> Text,
        policy_name -> Text,
        policy_version -> Integer,
        policy_version_id -> BigInt,
        target -> Text,
        target_secs -> BigInt,
        started_at -> Timestamp,
        due_at -> Nullable<Timestamp>,
        met_at -> Nullable<Timestamp>,
        outcome -> Text,
        decided_at -> Nullable<Timestamp>,
        used_secs -> BigInt,
        paused_secs -> BigInt,
        overrun_secs -> BigInt,
        explanation -> Text,
        pauses -> Text,
        escalations -> Text,
        fee_minor -> Nullable<BigInt>,
        fee_currency -> Nullable<Text>,
    }
}

diesel::table! {
    report_organizations (id) {
        id -> BigInt,
        report_id -> BigInt,
        organization_id -> BigInt,
        organization_name -> Text,
        figures -> Text,
        csv_sha256 -> Text,
    }
}

diesel::table! {
    breach_causes (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        clock -> Text,
        started_at -> Timestamp,
        cause -> Text,
        note -> Text,
        set_by -> Nullable<BigInt>,
        set_at -> Timestamp,
    }
}

diesel::table! {
    report_recipients (user_id) {
        user_id -> BigInt,
        added_at -> Timestamp,
    }
}

diesel::table! {
    report_mails (id) {
        id -> BigInt,
        organization_id -> BigInt,
        month -> Text,
        version -> Integer,
        queued_at -> Timestamp,
    }
}

diesel::table! {
    reference_epoch (id) {
        id -> Integer,
        epoch -> BigInt,
    }
}

diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(auth_tokens -> users (user_id));
diesel::joinable!(policy_versions -> policies (policy_id));
diesel::joinable!(contracts -> organizations (organization_id));
diesel::joinable!(contracts -> policies (policy_id));
diesel::joinable!(tickets -> organizations (organization_id));
diesel::joinable!(tickets -> policy_versions (policy_version_id));
diesel::joinable!(ticket_events -> tickets (ticket_id));
diesel::joinable!(pauses -> tickets (ticket_id));
diesel::joinable!(escalations -> tickets (ticket_id));
diesel::joinable!(oncall_shifts -> users (user_id));
diesel::joinable!(outbox -> tickets (ticket_id));
diesel::joinable!(outbox -> webhooks (webhook_id));
diesel::joinable!(met_clocks -> tickets (ticket_id));
diesel::joinable!(report_rows -> report_versions (report_id));
diesel::joinable!(report_organizations -> report_versions (report_id));
diesel::joinable!(breach_causes -> tickets (ticket_id));
diesel::joinable!(report_recipients -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    users,
    auth_tokens,
    calendars,
    policies,
    policy_versions,
    contracts,
    tickets,
    ticket_events,
    pauses,
    escalations,
    oncall_shifts,
    webhooks,
    outbox,
    reference_epoch,
    met_clocks,
    report_versions,
    report_rows,
    report_organizations,
    breach_causes,
    report_recipients,
    report_mails,
);
