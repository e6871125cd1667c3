//! Error responses, in the specs' `Failure` shape and the role-binding 403
//! shape, and the HTML page a proxy answers with.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An API error, rendered as `{"errors":[{"id","status","code","title","detail"}]}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: String,
    parameter: Option<&'static str>,
    location: Option<String>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, title: &'static str, detail: String) -> Self {
        Self {
            status,
            code,
            title,
            detail,
            parameter: None,
            location: None,
        }
    }

    /// 400 for a bad query parameter.
    pub fn bad_parameter(parameter: &'static str, detail: impl Into<String>) -> Self {
        Self {
            parameter: Some(parameter),
            ..Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                "Invalid Parameter",
                detail.into(),
            )
        }
    }

    /// 400 for a bad request body.
    pub fn bad_body(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "Invalid Input",
            detail.into(),
        )
    }

    /// 401, with the `WWW-Authenticate` header the real service sends.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "user_unauthenticated",
            "Authentication Required",
            "Valid authentication credentials must be provided".to_string(),
        )
    }

    /// 404 for an unknown id.
    pub fn not_found(kind: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Not Found",
            format!("{kind} '{id}' was not found"),
        )
    }

    /// 409 for a clash with the existing resource at `location` (an
    /// absolute URL), which the `Location` header names, as the specs say.
    pub fn conflict(detail: impl Into<String>, location: String) -> Self {
        Self {
            location: Some(location),
            ..Self::new(
                StatusCode::CONFLICT,
                "resource_already_exists",
                "Resource Already Exists",
                detail.into(),
            )
        }
    }

    /// 404 for a path the API does not have.
    pub fn unknown_path(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Not Found",
            format!("No resource is found at '{path}'"),
        )
    }

    /// 405 for a method the path does not take.
    pub fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Method Not Allowed",
            format!("'{path}' does not support {method}"),
        )
    }

    /// 413 for a request body over `limit` bytes.
    pub fn body_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "Payload Too Large",
            format!("The request body is larger than {limit} bytes"),
        )
    }

    /// 414 for a request target over `limit` bytes.
    pub fn uri_too_long(limit: usize) -> Self {
        Self::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            "URI Too Long",
            format!("The request URI is longer than {limit} bytes"),
        )
    }

    /// 429, before the rate-limit headers are added.
    pub fn rate_limited() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Too Many Requests",
            "Rate limit exceeded; retry after the window resets".to_string(),
        )
    }

    /// An injected server error.
    pub fn server_error(status: StatusCode) -> Self {
        Self::new(
            status,
            "internal_error",
            "Internal Server Error",
            "Simulated failure".to_string(),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({
            "id": uuid::Uuid::new_v4().to_string(),
            "status": self.status.as_u16().to_string(),
            "code": self.code,
            "title": self.title,
            "detail": self.detail,
        });
        if let Some(parameter) = self.parameter {
            error["source"] = json!({ "parameter": parameter });
        }
        let mut response = (self.status, axum::Json(json!({ "errors": [error] }))).into_response();
        if let Some(location) = self.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(
                    "Basic error=\"invalid_key\", error_description=\"The API Key is invalid\"",
                ),
            );
        }
        response
    }
}

/// The 403 the real service gives for an unknown or deleted role binding.
pub fn role_binding_forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        axum::Json(json!({
            "error_code": 40301,
            "message": "Either unauthorized to access role binding or role binding does not exist",
        })),
    )
        .into_response()
}

/// The HTML error page a proxy or load balancer in front of the API sends
/// for `status`.
pub fn proxy_error_html(status: StatusCode) -> String {
    let reason = status.canonical_reason().unwrap_or("Error");
    let code = status.as_u16();
    format!(
        "<html><head><title>{code} {reason}</title></head><body><center><h1>{code} {reason}</h1></center></body></html>"
    )
}

/// That page as a response with `status`.
pub fn proxy_error_page(status: StatusCode) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/html"))],
        proxy_error_html(status),
    )
        .into_response()
}
