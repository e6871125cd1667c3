//! Rendering a call from its templates and bindings, and the view of a
//! call a dry run shows.

use serde_json::Value;

use crate::client::{HttpRequest, MAX_REQUEST_BODY};
use crate::dialect::documents::Config;
use crate::dialect::provision_doc::{BodyTemplate, ContentType, ProvisionCall};
use crate::dialect::request_headers;
use crate::dialect::template::{Bindings, UrlError, json_escape};
use crate::error::ConnectorError;
use crate::provision::RenderedCall;

/// `call` rendered from `bindings`, ready to send.
pub(crate) fn render(
    config: &Config,
    call: &ProvisionCall,
    bindings: &Bindings,
) -> Result<HttpRequest, ConnectorError> {
    let error =
        |field: &str, e: String| ConnectorError::Config(format!("{}.{field}: {e}", call.place));
    let url = call.url.render_url(bindings).map_err(|e| match e {
        UrlError::NotASegment {
            message,
            from_response: true,
        } => ConnectorError::InvalidResponse(format!(
            "{}.url: {message}; a value the target answered cannot fill a path segment",
            call.place
        )),
        other => error("url", other.to_string()),
    })?;
    let url = config.resolve_url(&url);
    let mut headers = Vec::new();
    for (name, template) in &call.headers {
        let value = template
            .render(bindings, str::to_string)
            .and_then(|value| request_headers::check_value(&value).map(|()| value))
            .map_err(|e| error(&format!("httpHeaders.{name}"), e))?;
        headers.push((name.clone(), value));
    }
    request_headers::check_size(request_headers::size_of(&headers))
        .map_err(|e| error("httpHeaders", e))?;
    let body = match &call.body {
        None => None,
        Some(BodyTemplate::Text(template)) => {
            let encode = match call.content_type {
                ContentType::Json => json_escape,
                ContentType::Form => form_encode,
            };
            let body = template
                .render(bindings, encode)
                .map_err(|e| error("httpParams", e))?;
            if call.content_type == ContentType::Json {
                serde_json::from_str::<Value>(&body).map_err(|e| {
                    error("httpParams", format!("the rendered body is not JSON ({e}); a value was substituted outside a JSON string"))
                })?;
            }
            Some(body)
        }
        Some(BodyTemplate::Fields(fields)) => {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            for (name, template) in fields {
                let value = template
                    .render(bindings, str::to_string)
                    .map_err(|e| error(&format!("httpParams.{name}"), e))?;
                form.append_pair(name, &value);
            }
            Some(form.finish())
        }
    };
    let size = body.as_ref().map_or(0, String::len);
    if size > MAX_REQUEST_BODY {
        return Err(error(
            "httpParams",
            format!("the rendered body is {size} bytes; the host sends at most {MAX_REQUEST_BODY}"),
        ));
    }
    if body.is_some()
        && !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".into(), call.content_type.mime().into()));
    }
    Ok(HttpRequest {
        method: call.method.clone(),
        url,
        headers,
        body: body.map(String::into_bytes),
    })
}

fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A dry run's view of a request: no `Authorization`.
pub fn rendered_call(request: &HttpRequest) -> RenderedCall {
    RenderedCall {
        method: request.method.clone(),
        url: request.url.clone(),
        headers: request
            .headers
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("authorization"))
            .cloned()
            .collect(),
        body: request
            .body
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned()),
    }
}
