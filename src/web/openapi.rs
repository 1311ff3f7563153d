//! The OpenAPI document, generated from the route table and the request/response types.

use actix_web::HttpResponse;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref,
    Required, ResponseBuilder,
};

use super::api::{admin, oncall, outbox, reports, tickets};
use super::auth;
use super::routes::{Access, ROUTES};

/// Builds the document.
#[must_use]
pub fn build() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for route in ROUTES {
        let mut operation =
            OperationBuilder::new().summary(Some(route.summary)).tag(tag(route.path)).response(
                "default",
                ResponseBuilder::new()
                    .description("JSON; errors are {\"error\": {status, field?, message}}"),
            );
        if route.access != Access::Public {
            operation = operation.description(Some(format!("Access: {:?}", route.access)));
        }
        for name in parameters(route.path) {
            operation = operation.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True),
            );
        }
        if let Some(body) = route.body {
            operation = operation.request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content(
                        "application/json",
                        ContentBuilder::new().schema(Some(Ref::from_schema_name(body))).build(),
                    )
                    .build(),
            ));
        }
        let method = match route.method {
            "POST" => HttpMethod::Post,
            "PUT" => HttpMethod::Put,
            "DELETE" => HttpMethod::Delete,
            "PATCH" => HttpMethod::Patch,
            _ => HttpMethod::Get,
        };
        paths = paths.path(route.path, PathItem::new(method, operation.build()));
    }
    let components = ComponentsBuilder::new()
        .schema_from::<auth::SignIn>()
        .schema_from::<auth::NewApiToken>()
        .schema_from::<crate::tickets::create::NewTicketRequest>()
        .schema_from::<tickets::PreviewRequest>()
        .schema_from::<tickets::ActionBody>()
        .schema_from::<admin::NewOrganizationRequest>()
        .schema_from::<admin::NewUserRequest>()
        .schema_from::<admin::NewContractRequest>()
        .schema_from::<admin::NewPolicyRequest>()
        .schema_from::<admin::PolicyVersionRequest>()
        .schema_from::<admin::NewCalendarRequest>()
        .schema_from::<admin::CalendarUpdateRequest>()
        .schema_from::<oncall::ShiftBody>()
        .schema_from::<outbox::WebhookBody>()
        .schema_from::<reports::CloseRequest>()
        .schema_from::<crate::reports::causes::SetCause>()
        .schema_from::<crate::reports::causes::Cause>()
        .security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        )
        .build();
    OpenApiBuilder::new()
        .info(InfoBuilder::new().title("frist").version(env!("CARGO_PKG_VERSION")).build())
        .paths(paths.build())
        .components(Some(components))
        .build()
}

fn tag(path: &str) -> String {
    path.trim_start_matches("/api/v1/")
        .split('/')
        .next()
        .unwrap_or("service")
        .trim_start_matches('/')
        .to_owned()
}

/// The `{name}` parameters of a path (also within a segment, as in `{id}.csv`).
#[must_use]
pub fn parameters(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|s| {
            let start = s.find('{')? + 1;
            let end = start + s[start..].find('}')?;
            Some(&s[start..end])
        })
        .collect()
}

/// `GET /api/v1/openapi.json`.
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(build())
}
