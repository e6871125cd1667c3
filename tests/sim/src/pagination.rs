//! List pages as the real service serves them: `page_size`, an opaque
//! `page_token`, and `metadata.next` as an absolute URL on the same origin.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::errors::ApiError;

/// The page-size rules of one list endpoint.
#[derive(Debug, Clone, Copy)]
pub struct PageLimits {
    /// Used when the request names none.
    pub default: usize,
    /// The largest accepted; larger values fail validation with 400.
    pub max: usize,
}

/// Most lists: 10 by default, at most 100, as the specs say.
pub const STANDARD: PageLimits = PageLimits {
    default: 10,
    max: 100,
};
/// Role bindings: 1000 and 1000, as the current public documentation says.
pub const ROLE_BINDINGS: PageLimits = PageLimits {
    default: 1000,
    max: 1000,
};

/// A parsed page request.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    /// How many records to return.
    pub size: usize,
    /// Return records after this sequence number.
    pub after: Option<u64>,
}

/// Reads `page_size` and `page_token` from the query.
pub fn page_request(
    query: &[(String, String)],
    limits: PageLimits,
) -> Result<PageRequest, ApiError> {
    let mut request = PageRequest {
        size: limits.default,
        after: None,
    };
    for (name, value) in query {
        match name.as_str() {
            "page_size" => {
                let size: usize = value.parse().map_err(|_| {
                    ApiError::bad_parameter(
                        "page_size",
                        format!("page_size '{value}' is not an integer"),
                    )
                })?;
                if size == 0 || size > limits.max {
                    return Err(ApiError::bad_parameter(
                        "page_size",
                        format!("page_size must be between 1 and {}, got {size}", limits.max),
                    ));
                }
                request.size = size;
            }
            "page_token" => request.after = Some(decode_token(value)?),
            _ => {}
        }
    }
    Ok(request)
}

fn decode_token(token: &str) -> Result<u64, ApiError> {
    let invalid =
        || ApiError::bad_parameter("page_token", format!("page_token '{token}' is invalid"));
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix("after:")
        .and_then(|seq| seq.parse().ok())
        .ok_or_else(invalid)
}

fn encode_token(after: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("after:{after}"))
}

/// How `metadata.next` is written; faults bend it.
#[derive(Debug, Clone, Default)]
pub struct NextLinkStyle {
    /// Point `next` back at the page just served.
    pub loop_back: bool,
    /// Write `next` on this origin instead of the simulator's own.
    pub foreign_origin: Option<String>,
}

/// One page of a list response.
#[derive(Debug)]
pub struct Page {
    /// The records' JSON.
    pub data: Vec<Value>,
    /// The sequence number of the last record, when more follow.
    pub more_after: Option<u64>,
    /// How many records match in all.
    pub total_size: usize,
}

/// Renders the list envelope: `api_version`, `kind`, `metadata` and `data`.
pub fn envelope(
    api_version: &str,
    kind: &str,
    origin: &str,
    path: &str,
    query: &[(String, String)],
    page: Page,
    style: &NextLinkStyle,
) -> Value {
    let link = |origin: &str, token: Option<String>| {
        let mut url =
            url::Url::parse(&format!("{origin}{path}")).expect("origin and path form a URL");
        {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in query.iter().filter(|(name, _)| name != "page_token") {
                pairs.append_pair(name, value);
            }
            if let Some(token) = token {
                pairs.append_pair("page_token", &token);
            }
        }
        let mut url = url.to_string();
        if url.ends_with('?') {
            url.pop();
        }
        url
    };
    let mut metadata = json!({
        "first": link(origin, None),
        "total_size": page.total_size,
    });
    if let Some(after) = page.more_after {
        let next = if style.loop_back {
            let current = query
                .iter()
                .find(|(name, _)| name == "page_token")
                .map(|(_, v)| v.clone());
            link(origin, current)
        } else {
            link(
                style.foreign_origin.as_deref().unwrap_or(origin),
                Some(encode_token(after)),
            )
        };
        metadata["next"] = Value::String(next);
    }
    json!({
        "api_version": api_version,
        "kind": kind,
        "metadata": metadata,
        "data": page.data,
    })
}

/// Collects one page from `records` (already positioned after the token and
/// filtered), and counts `total_size`.
pub fn collect_page<'a, T: 'a>(
    records: impl Iterator<Item = (u64, &'a T)>,
    size: usize,
    total_size: usize,
    render: impl Fn(&T) -> Value,
) -> Page {
    let mut data = Vec::with_capacity(size.min(1000));
    let mut last = None;
    let mut more = false;
    for (seq, record) in records {
        if data.len() == size {
            more = true;
            break;
        }
        data.push(render(record));
        last = Some(seq);
    }
    Page {
        data,
        more_after: if more { last } else { None },
        total_size,
    }
}
