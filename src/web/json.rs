//! A JSON body extractor whose errors name the field: `serde_path_to_error` gives the path
//! of the bad value; missing and unknown fields are named from serde's message. Bodies are
//! capped; a larger one is refused before it is parsed.

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use super::error::AppError;

/// Largest accepted JSON body.
pub const MAX_BODY: usize = 64 * 1024;

/// A JSON body of type `T`. Extraction never fails on its own: the handler calls
/// [`Json::into_inner`] after its auth extractor has run, so a bad body can never answer
/// before "not signed in" or "not allowed" does.
#[derive(Debug)]
pub struct Json<T>(Result<T, AppError>);

impl<T> Json<T> {
    /// The parsed body, or the error naming the field.
    pub fn into_inner(self) -> Result<T, AppError> {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = AppError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json =
            req.headers().get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|v| {
                v.trim_start().to_ascii_lowercase().starts_with("application/json")
            });
        let bytes = Bytes::from_request(req, payload);
        Box::pin(async move { Ok(Json(read(is_json, bytes).await)) })
    }
}

async fn read<T: DeserializeOwned>(
    is_json: bool,
    bytes: impl std::future::Future<Output = Result<Bytes, actix_web::Error>>,
) -> Result<T, AppError> {
    if !is_json {
        return Err(AppError {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            field: Some("content-type".into()),
            message: "send application/json".into(),
        });
    }
    let bytes = bytes.await.map_err(|e| AppError {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        field: Some("body".into()),
        message: format!("body refused: {e} (at most {MAX_BODY} bytes)"),
    })?;
    parse(&bytes)
}

/// Parses `bytes` as `T`, naming the field on error.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = inner.to_string();
        if inner.is_syntax() || inner.is_eof() {
            return AppError {
                status: StatusCode::BAD_REQUEST,
                field: Some("body".into()),
                message: format!("invalid JSON: {message}"),
            };
        }
        let named = quoted_field(&message);
        let field = match (path.as_str(), named) {
            (".", Some(name)) => name.to_owned(),
            (".", None) => "body".to_owned(),
            (path, Some(name))
                if message.starts_with("unknown field") || message.starts_with("missing field") =>
            {
                // serde_path_to_error includes an unknown key in the path, not a missing one.
                if path == name || path.ends_with(&format!(".{name}")) {
                    path.to_owned()
                } else {
                    format!("{path}.{name}")
                }
            }
            (parent, _) => parent.to_owned(),
        };
        let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
        AppError::field(field, message)
    })
}

/// The name in serde's "unknown field `x`" / "missing field `x`".
fn quoted_field(message: &str) -> Option<&str> {
    if !(message.starts_with("unknown field") || message.starts_with("missing field")) {
        return None;
    }
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(&message[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        title: String,
        inner: Option<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        count: u32,
    }

    fn field_of(body: &str) -> Option<String> {
        parse::<Sample>(body.as_bytes()).err().and_then(|e| e.field)
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(field_of(r#"{"inner": null}"#).as_deref(), Some("title"));
        assert_eq!(
            field_of(r#"{"title": "x", "organization_id": 2}"#).as_deref(),
            Some("organization_id")
        );
        assert_eq!(field_of(r#"{"title": 5}"#).as_deref(), Some("title"));
        assert_eq!(
            field_of(r#"{"title": "x", "inner": {"count": -1}}"#).as_deref(),
            Some("inner.count")
        );
        assert_eq!(
            field_of(r#"{"title": "x", "inner": {"other": 1}}"#).as_deref(),
            Some("inner.other")
        );
        assert_eq!(field_of(r#"{"title": "#).as_deref(), Some("body"));
    }
}
