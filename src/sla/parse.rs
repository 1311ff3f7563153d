//! Reading the domain's written forms (calendars, policies) from JSON and TOML text, with
//! errors that name the field by its path.

use serde::de::DeserializeOwned;

use super::error::FieldError;

/// Deserializes JSON text; an error names the field path and leaves out serde's line/column.
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, FieldError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        let message = message.split(" at line ").next().unwrap_or_default();
        at_path(path, message)
    })
}

/// Deserializes TOML text; an error names the key path.
pub fn from_toml<T: DeserializeOwned>(text: &str) -> Result<T, FieldError> {
    let deserializer =
        toml::Deserializer::parse(text).map_err(|e| FieldError::new("", e.message()))?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        at_path(path, e.into_inner().message())
    })
}

/// serde_path_to_error writes the top level as `.`; a field error leaves it empty.
fn at_path(path: String, message: &str) -> FieldError {
    FieldError::new(if path == "." { String::new() } else { path }, message)
}
