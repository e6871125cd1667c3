//! List pages as the real service serves them: `page_size`, an opaque
//! `page_token`, and `metadata.next` as an absolute URL on the same origin.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use serde::Serialize;
use serde_json::value::{RawValue, to_raw_value};
use sha2::Sha256;

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

/// Signs and opens page tokens. A token names the last record served, masked
/// so it reads as noise, and carries an HMAC tag over that position and the
/// list it came from: its path, its page size and its filter values. A token
/// presented to any other list, page size or filter, or to another simulator,
/// fails to open.
#[derive(Debug)]
pub struct PageTokens {
    key: [u8; 32],
}

/// The longest `page_token` the specs accept.
const MAX_TOKEN_LEN: usize = 255;
/// The bytes of the tag kept in a token.
const TAG_LEN: usize = 16;

impl Default for PageTokens {
    fn default() -> Self {
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self { key }
    }
}

impl PageTokens {
    fn mac(&self, domain: &[u8], list: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(domain);
        mac.update(list);
        mac
    }

    fn mask(&self, list: &[u8]) -> u64 {
        let digest = self.mac(b"mask", list).finalize().into_bytes();
        u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
    }

    /// The token for the page after sequence number `after` of `request`'s list.
    pub fn issue(&self, request: &PageRequest, after: u64) -> String {
        let mut mac = self.mac(b"tag", &request.list);
        mac.update(&after.to_be_bytes());
        let tag = mac.finalize().into_bytes();
        let mut token = (after ^ self.mask(&request.list)).to_be_bytes().to_vec();
        token.extend_from_slice(&tag[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(token)
    }

    /// The position `token` names, if it was issued for `list`.
    fn open(&self, list: &[u8], token: &str) -> Option<u64> {
        if token.len() > MAX_TOKEN_LEN {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        let (masked, tag) = bytes.split_at_checked(8)?;
        let after = u64::from_be_bytes(masked.try_into().ok()?) ^ self.mask(list);
        let mut mac = self.mac(b"tag", list);
        mac.update(&after.to_be_bytes());
        (tag.len() == TAG_LEN && mac.verify_truncated_left(tag).is_ok()).then_some(after)
    }
}

type HmacSha256 = Hmac<Sha256>;

/// A parsed page request.
#[derive(Debug, Clone)]
pub struct PageRequest {
    /// How many records to return.
    pub size: usize,
    /// Return records after this sequence number.
    pub after: Option<u64>,
    /// What a token for this list is bound to: path, page size, filters.
    list: Vec<u8>,
}

/// Reads `page_size` and `page_token` from the query of a request to the
/// list at `path`, whose filters are the query parameters named `filters`.
pub fn page_request(
    query: &[(String, String)],
    limits: PageLimits,
    tokens: &PageTokens,
    path: &str,
    filters: &[&str],
) -> Result<PageRequest, ApiError> {
    let mut size = limits.default;
    if let Some((_, value)) = query.iter().rev().find(|(name, _)| name == "page_size") {
        size = value.parse().map_err(|_| {
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
    }
    let mut filter_values: Vec<&(String, String)> = query
        .iter()
        .filter(|(name, _)| filters.contains(&name.as_str()))
        .collect();
    filter_values.sort();
    let mut list = format!("{path}\0{size}\0").into_bytes();
    for (name, value) in filter_values {
        list.extend_from_slice(format!("{name}={value}\0").as_bytes());
    }
    let after = match query.iter().rev().find(|(name, _)| name == "page_token") {
        Some((_, token)) => Some(tokens.open(&list, token).ok_or_else(|| {
            ApiError::bad_parameter(
                "page_token",
                format!(
                    "page_token '{token}' is invalid, or was issued for another list, page size or filter"
                ),
            )
        })?),
        None => None,
    };
    Ok(PageRequest { size, after, list })
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
    /// The records' JSON text.
    pub data: Vec<Box<RawValue>>,
    /// The token for the next page, when more records follow.
    pub next_token: Option<String>,
    /// How many records match in all.
    pub total_size: usize,
}

/// A list response: `api_version`, `kind`, `metadata` and `data`.
#[derive(Debug, Serialize)]
pub struct Envelope<'a> {
    api_version: &'a str,
    kind: &'a str,
    metadata: ListMetadata,
    data: Vec<Box<RawValue>>,
}

/// A list response's `metadata`.
#[derive(Debug, Serialize)]
struct ListMetadata {
    first: String,
    total_size: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

/// Renders the list envelope around `page`.
pub fn envelope<'a>(
    api_version: &'a str,
    kind: &'a str,
    origin: &str,
    path: &str,
    query: &[(String, String)],
    page: Page,
    style: &NextLinkStyle,
) -> Envelope<'a> {
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
    let next = page.next_token.map(|token| {
        if style.loop_back {
            let current = query
                .iter()
                .find(|(name, _)| name == "page_token")
                .map(|(_, v)| v.clone());
            link(origin, current)
        } else {
            link(
                style.foreign_origin.as_deref().unwrap_or(origin),
                Some(token),
            )
        }
    });
    Envelope {
        api_version,
        kind,
        metadata: ListMetadata {
            first: link(origin, None),
            total_size: page.total_size,
            next,
        },
        data: page.data,
    }
}

/// Collects one page of `request` from `records` (already positioned after
/// the token and filtered), and counts `total_size`.
pub fn collect_page<'a, T: 'a, J: Serialize>(
    records: impl Iterator<Item = (u64, &'a T)>,
    request: &PageRequest,
    tokens: &PageTokens,
    total_size: usize,
    render: impl Fn(&'a T) -> J,
) -> Page {
    let mut data = Vec::with_capacity(request.size.min(1000));
    let mut last = None;
    let mut more = false;
    for (seq, record) in records {
        if data.len() == request.size {
            more = true;
            break;
        }
        data.push(to_raw_value(&render(record)).expect("a record serializes"));
        last = Some(seq);
    }
    Page {
        data,
        next_token: last
            .filter(|_| more)
            .map(|after| tokens.issue(request, after)),
        total_size,
    }
}
