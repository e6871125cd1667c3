//! `serve`: the component's HTTP entry point on a local address, each
//! request under the host's grants, credential injection and limits.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use http_body_util::BodyExt as _;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use tokio::net::TcpListener;
use wasmtime_wasi_http::io::TokioIo;

use super::GlobalArgs;
use connector_runner::RunError;
use connector_runner::files::read_text_capped;
use connector_runner::serve::error_response;
use connector_runner::text::escape_controls;

/// Requests served at once; more wait for a turn.
const MAX_IN_FLIGHT: usize = 16;

/// What `serve` takes.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    addr: SocketAddr,
    /// Serve only requests with `Authorization: Bearer` and the token this
    /// file holds (its first line).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
}

/// The largest token file read.
const MAX_TOKEN_FILE_BYTES: u64 = 4096;

/// The token `path` holds: its first line, which must not be empty.
fn read_token(path: &Path) -> anyhow::Result<String> {
    let text = read_text_capped(path, "token file", MAX_TOKEN_FILE_BYTES)?;
    let token = text.lines().next().unwrap_or_default().trim();
    if token.is_empty() {
        anyhow::bail!("the token file '{}' holds no token", path.display());
    }
    Ok(token.to_string())
}

pub async fn run(global: &GlobalArgs, args: &ServeArgs) -> anyhow::Result<()> {
    let mut host = global.host(true)?;
    if let Some(path) = &args.token_file {
        host.require_service_token(&read_token(path)?);
    }
    let host = Arc::new(host);
    let listener = TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("while binding {}", args.addr))?;
    let address = listener.local_addr()?;
    eprintln!("serving on http://{address}/");
    if !address.ip().is_loopback() && args.token_file.is_none() {
        tracing::warn!(
            "{address} is reachable from other machines, and anyone who reaches it can provision with the credentials; --token-file makes callers present a token"
        );
    }
    // Each request is a store that may take the whole memory cap: a few at
    // once, the others wait for a turn.
    let turns = Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT));
    loop {
        let client = match listener.accept().await {
            Ok((client, _)) => client,
            Err(error) => {
                // Out of descriptors, say: this client is refused, not the next.
                tracing::warn!("a connection could not be accepted: {error}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let (host, turns) = (host.clone(), turns.clone());
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let (host, turns) = (host.clone(), turns.clone());
                async move {
                    let turn = turns.acquire_owned().await.expect("never closed");
                    let response = host.serve_http(request).await.unwrap_or_else(|error| {
                        let status = match error {
                            RunError::DeadlineExceeded(_) => 504,
                            RunError::SecretInInput(_) => 400,
                            _ => 502,
                        };
                        let text = error.to_string();
                        let message = escape_controls(&text);
                        tracing::warn!("{message}");
                        error_response(status, &message)
                    });
                    // The turn ends with the body, which the guest writes on.
                    let response = response.map(|body| {
                        body.map_frame(move |frame| {
                            let _held = &turn;
                            frame
                        })
                        .boxed_unsync()
                    });
                    Ok::<_, std::convert::Infallible>(response)
                }
            });
            let served = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(client), service)
                .await;
            if let Err(error) = served {
                tracing::debug!("a client's connection ended: {error}");
            }
        });
    }
}
