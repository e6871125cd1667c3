//! `wasi:http/incoming-handler`: the connector as an HTTP service, for any
//! WASI 0.2 HTTP host (`wasmtime serve`, Node through jco, wasmCloud). Routes,
//! bodies and answers are the engine's [`service`]; this reads the request
//! and writes the answer, streaming an import's lines as they come.

use std::io::Write as _;
use std::pin::pin;

use connector_engine as engine;
use engine::confluent::Confluent;
use engine::import::events::EventQueue;
use engine::import::state::StateReader;

use engine::service::body::MAX_HEAD;
use engine::service::{self, CallBody, Documents, ImportHead, Refusal, Route, lines};
use wasip2::http::types::{
    Fields, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam,
};
use wasip2::io::streams::{InputStream, OutputStream, StreamError};

use crate::executor::{block_on, run_until};
use crate::host_settings;
use crate::transport::{self, WasiHttp};
use engine::client::credential::Credentialed;

/// The most read from a request body at a time.
const READ_SIZE: u64 = 64 << 10;

/// The HTTP entry point.
pub struct Service;

impl wasip2::exports::http::incoming_handler::Guest for Service {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let (status, body, challenge) = match answer(&request) {
            Ok(Answer::Json(json)) => (200, json, false),
            Ok(Answer::Import(import)) => return stream_import(*import, out),
            Ok(Answer::Unauthorized(refusal)) => (refusal.status, refusal.body(), true),
            Err(refusal) => (refusal.status, refusal.body(), false),
        };
        let response = respond(out, status, "application/json", challenge);
        if let Some((mut stream, body_out)) = response {
            let _ = send(&mut stream, &body);
            drop(stream);
            let _ = OutgoingBody::finish(body_out, None);
        }
    }
}

wasip2::http::proxy::export!(Service);

/// What a request is answered with.
enum Answer {
    /// One JSON document's text.
    Json(String),
    /// An import, ready to run and stream.
    Import(Box<Import>),
    /// A refusal of a caller without the service's token, which asks for
    /// one (`WWW-Authenticate: Bearer`).
    Unauthorized(Refusal),
}

/// An import whose request and previous state have been read.
struct Import {
    config: engine::Config,
    transport: Credentialed<WasiHttp>,
    request: engine::ImportRequest,
    previous: Option<engine::import::state::Snapshot>,
}

/// Reads `request` and does what it asks, short of running an import.
fn answer(request: &IncomingRequest) -> Result<Answer, Refusal> {
    // The host's settings: the service token, the base URL (never a
    // request's) and documents, which a request's own replace by name.
    let provided = host_settings::read()?;
    let authorization = request.headers().get("authorization").into_iter().next();
    match service::authorize(&provided, authorization.as_deref()) {
        Ok(()) => {}
        Err(refusal) if refusal.status == 401 => return Ok(Answer::Unauthorized(refusal)),
        // The host's own mistake (a token set empty) asks the caller for
        // nothing.
        Err(refusal) => return Err(refusal),
    }
    let method = method_name(&request.method());
    let target = request.path_with_query().unwrap_or_default();
    let path = target.split('?').next().unwrap_or_default();
    let route = service::route(&method, path)?;
    service::content_type(content_type(request).as_deref())?;
    let incoming = request.consume().map_err(|()| unreadable())?;
    let stream = incoming.stream().map_err(|()| unreadable())?;
    let base_url = provided.base_url(&Confluent);
    let load = |documents: Documents| {
        let documents = service::with_host_documents(&provided, &Confluent, documents)?;
        Ok::<_, Refusal>(crate::load_documents(base_url, documents.pairs())?)
    };
    Ok(match route {
        Route::Describe => {
            let body = CallBody::read(&read_all(&stream)?)?;
            let config = load(body.documents)?;
            Answer::Json(lines::descriptor_json(&engine::describe::describe(&config)).to_string())
        }
        Route::Check => {
            let body = CallBody::read(&read_all(&stream)?)?;
            let config = load(body.documents)?;
            let transport = transport::for_config(&config)?;
            let report = block_on(engine::target::test_connection(&transport, &config))?;
            Answer::Json(lines::report_json(&report).to_string())
        }
        Route::Provision(operation) => {
            let (documents, request) = service::body::provision_request(&read_all(&stream)?)?;
            let config = load(documents)?;
            let transport = transport::for_config(&config)?;
            let run = engine::provision::provision(&transport, &config, operation, &request);
            Answer::Json(lines::result_json(operation, &block_on(run)?).to_string())
        }
        Route::Import(kinds) => {
            let (head, rest) = read_head(&stream)?;
            let config = load(head.documents)?;
            // The state names the base URL as the config normalised it.
            let previous = read_state(&stream, config.base_url(), rest)?;
            let request = engine::ImportRequest {
                kinds,
                incremental: head.incremental,
            };
            Answer::Import(Box::new(Import {
                transport: transport::for_config(&config)?,
                config,
                request,
                previous,
            }))
        }
    })
}

/// Runs `import`, writing its lines to the response as they come, and last
/// its summary or its error.
fn stream_import(import: Import, out: ResponseOutparam) {
    let Some((mut stream, body)) = respond(out, 200, "application/x-ndjson", false) else {
        return;
    };
    let Import {
        config,
        transport,
        request,
        previous,
    } = import;
    let queue = EventQueue::default();
    let mut sink = queue.clone();
    let mut run = pin!(engine::import::import(
        &transport, &config, &request, previous, &mut sink
    ));
    loop {
        let ended = run_until(run.as_mut(), || !queue.is_empty());
        let mut text = String::new();
        while let Some(event) = queue.pop() {
            lines::write_event(&mut text, &event);
        }
        let over = ended.is_some();
        match ended {
            None => {}
            Some(Ok(summary)) => text.push_str(&lines::finished_line(&summary)),
            Some(Err(error)) => text.push_str(&lines::failed_line(error)),
        }
        // A client that went away ends the run: nobody is left to read it.
        // The stream goes before its body, whose child it is.
        if send(&mut stream, &text).is_err() {
            drop(stream);
            return;
        }
        if over {
            break;
        }
    }
    drop(stream);
    let _ = OutgoingBody::finish(body, None);
}

/// Writes `text` to `stream` and waits until it is flushed.
fn send(stream: &mut OutputStream, text: &str) -> std::io::Result<()> {
    stream.write_all(text.as_bytes())?;
    std::io::Write::flush(stream)
}

/// Sets the response's status and content type, with `WWW-Authenticate:
/// Bearer` when it is a `challenge`, and returns its body.
fn respond(
    out: ResponseOutparam,
    status: u16,
    content_type: &str,
    challenge: bool,
) -> Option<(OutputStream, OutgoingBody)> {
    let headers = Fields::new();
    let _ = headers.append("content-type", content_type.as_bytes());
    if challenge {
        let _ = headers.append("www-authenticate", b"Bearer");
    }
    let response = OutgoingResponse::new(headers);
    let _ = response.set_status_code(status);
    let body = response.body().ok()?;
    ResponseOutparam::set(out, Ok(response));
    let stream = body.write().ok()?;
    Some((stream, body))
}

/// A request body, whole, up to the service's limit.
fn read_all(stream: &InputStream) -> Result<Vec<u8>, Refusal> {
    let mut body = Vec::new();
    while let Some(chunk) = read_chunk(stream)? {
        body.extend_from_slice(&chunk);
        if body.len() > service::body::MAX_HEAD {
            return Err(Refusal {
                status: 413,
                message: format!("the request is over {} bytes", service::body::MAX_HEAD),
            });
        }
    }
    Ok(body)
}

/// An import's head, and the bytes of the state read with it.
fn read_head(stream: &InputStream) -> Result<(ImportHead, Vec<u8>), Refusal> {
    let mut body = Vec::new();
    loop {
        let chunk = read_chunk(stream)?;
        let piece = chunk.as_deref().unwrap_or_default();
        body.extend_from_slice(piece);
        // The head can only have become whole with a closing brace (or at
        // the end, or in too many bytes): only then is it parsed again.
        let may_be_whole = piece.contains(&b'}') || chunk.is_none() || body.len() > MAX_HEAD;
        if may_be_whole && let Some((head, taken)) = ImportHead::read(&body)? {
            return Ok((head, body.split_off(taken)));
        }
        if chunk.is_none() {
            let head = if body.iter().all(u8::is_ascii_whitespace) {
                ImportHead::default()
            } else {
                return Err(Refusal::bad_request(
                    "the request's JSON ends before it is whole",
                ));
            };
            return Ok((head, Vec::new()));
        }
    }
}

/// The previous state that follows an import's head, if any: `first` and
/// then the rest of the body, fed to the state reader as it comes.
fn read_state(
    stream: &InputStream,
    base_url: &str,
    first: Vec<u8>,
) -> Result<Option<engine::import::state::Snapshot>, Refusal> {
    let mut reader: Option<StateReader> = None;
    let mut chunk = Some(first);
    while let Some(piece) = chunk {
        let piece = match &reader {
            Some(_) => &piece[..],
            None => piece.trim_ascii_start(),
        };
        if !piece.is_empty() {
            let reader = reader.get_or_insert_with(|| StateReader::new(base_url));
            reader.feed(piece).map_err(Refusal::from)?;
        }
        chunk = read_chunk(stream)?;
    }
    Ok(reader.map(StateReader::finish).transpose()?)
}

/// The next piece of a request body, or `None` at its end.
fn read_chunk(stream: &InputStream) -> Result<Option<Vec<u8>>, Refusal> {
    match stream.blocking_read(READ_SIZE) {
        Ok(chunk) => Ok(Some(chunk)),
        Err(StreamError::Closed) => Ok(None),
        Err(StreamError::LastOperationFailed(_)) => Err(unreadable()),
    }
}

/// The request's `Content-Type`, if it has one.
fn content_type(request: &IncomingRequest) -> Option<String> {
    let values = request.headers().get("content-type");
    let first = values.into_iter().next()?;
    Some(String::from_utf8_lossy(&first).into_owned())
}

fn unreadable() -> Refusal {
    Refusal::bad_request("the request body could not be read")
}

fn method_name(method: &Method) -> String {
    match method {
        Method::Get => "GET".to_string(),
        Method::Head => "HEAD".to_string(),
        Method::Post => "POST".to_string(),
        Method::Put => "PUT".to_string(),
        Method::Delete => "DELETE".to_string(),
        Method::Connect => "CONNECT".to_string(),
        Method::Options => "OPTIONS".to_string(),
        Method::Trace => "TRACE".to_string(),
        Method::Patch => "PATCH".to_string(),
        Method::Other(other) => other.clone(),
    }
}
