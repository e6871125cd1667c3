//! Request bodies: the size limit and JSON-object parsing, with every
//! failure in the API's error shape.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde_json::{Map, Value};

use crate::errors::ApiError;

/// The largest request body accepted; a larger one gets 413.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// A request body that is a JSON object.
#[derive(Debug)]
pub struct JsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes =
            Bytes::from_request(request, state)
                .await
                .map_err(|rejection: BytesRejection| {
                    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        ApiError::body_too_large(MAX_BODY_BYTES)
                    } else {
                        ApiError::bad_body(rejection.body_text())
                    }
                })?;
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(ApiError::bad_body("the request body must be a JSON object")),
            Err(e) => Err(ApiError::bad_body(format!(
                "the request body is not valid JSON: {e}"
            ))),
        }
    }
}

/// The string field `name` of `object`.
pub fn string_field(
    object: &Map<String, Value>,
    name: &str,
    required: bool,
) -> Result<Option<String>, ApiError> {
    match object.get(name) {
        None | Some(Value::Null) if required => {
            Err(ApiError::bad_body(format!("'{name}' is required")))
        }
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(ApiError::bad_body(format!(
            "'{name}' must be a string, got {other}"
        ))),
    }
}
