//! The stylesheet and scripts, embedded in the binary.

use actix_web::{HttpResponse, web};

use super::render::PageError;

const ASSETS: &[(&str, &str, &str)] = &[
    ("app.css", "text/css; charset=utf-8", include_str!("../../../static/css/app.css")),
    ("desk.js", "text/javascript; charset=utf-8", include_str!("../../../static/js/desk.js")),
    ("new.js", "text/javascript; charset=utf-8", include_str!("../../../static/js/new.js")),
];

/// `GET /static/{file}`.
pub async fn serve(path: web::Path<String>) -> Result<HttpResponse, PageError> {
    let name = path.into_inner();
    let (_, kind, text) =
        ASSETS.iter().find(|(n, _, _)| *n == name).ok_or_else(|| PageError::not_found("file"))?;
    Ok(HttpResponse::Ok()
        .content_type(*kind)
        .insert_header(("Cache-Control", "public, max-age=300"))
        .body(*text))
}
