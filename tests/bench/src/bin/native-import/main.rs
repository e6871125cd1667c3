//! `native-import`: the connector engine's full import outside the sandbox,
//! over a native HTTP client, writing NDJSON as `confluent-connector import
//! all` does. The benchmark runs it to compare the engine natively with the
//! component under the runner; it is not a way to run the connector.
//!
//! ```text
//! CONFLUENT_CLOUD_API_KEY=… CONFLUENT_CLOUD_API_SECRET=… native-import --base-url URL [--output FILE]
//! ```

mod ndjson;
mod transport;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use connector_engine::confluent::Confluent;
use connector_engine::{Config, ImportRequest, ObjectKind};

use ndjson::NdjsonSink;
use transport::NativeHttp;

/// Imports every kind natively, for the benchmark.
#[derive(Debug, Parser)]
#[command(name = "native-import")]
struct Args {
    /// The API's base URL (plain HTTP).
    #[arg(long)]
    base_url: String,
    /// Write the records here instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("native-import: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> anyhow::Result<()> {
    let env = |name: &str| std::env::var(name).with_context(|| format!("{name} is not set"));
    let key = env("CONFLUENT_CLOUD_API_KEY")?;
    let secret = env("CONFLUENT_CLOUD_API_SECRET")?;
    let config = Config::load(&Confluent, &args.base_url, &[])?;
    let transport = NativeHttp::new(&args.base_url, &key, &secret)?;
    let out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(File::create(path).with_context(|| format!("{}", path.display()))?),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut sink = NdjsonSink::new(BufWriter::new(out));
    let request = ImportRequest {
        kinds: ObjectKind::ALL.to_vec(),
        incremental: false,
    };
    // The engine's futures are not Send, so this thread runs them; hyper's
    // connections run on the runtime's workers, so that a request the engine
    // sends ahead leaves while this thread maps a page, as the runner's do.
    // (On one thread it would leave only once the page was done.)
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(connector_engine::import::import(
        &transport, &config, &request, None, &mut sink,
    ))?;
    sink.finish()?;
    Ok(())
}
