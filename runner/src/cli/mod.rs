//! The command line: global flags, subcommands, and exit codes.

mod check;
mod describe;
mod import;
mod output;
mod progress;
mod provision;
mod provision_json;
mod serve;
mod tenants;

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, CommandFactory as _, Parser, Subcommand};
use connector_runner::bindings::types::ConnectorError;
use connector_runner::credentials::CredentialsError;
use connector_runner::documents::ConfigDirError;
use connector_runner::files::{HostFileError, create_output};
use connector_runner::grants::{self, PathPrefix};
use connector_runner::limits::{MAX_MEMORY_BYTES, MAX_OPERATION_TIMEOUT};
use connector_runner::runtime::LoadError;
use connector_runner::state::StateFileError;
use connector_runner::{
    ConnectorHost, ConnectorRuntime, Credentials, HostSettings, Limits, Origin, RunError,
};
use output::Format;
use provision_json::RequestError;

/// Import and provision Confluent Cloud identities through a sandboxed
/// WebAssembly connector.
#[derive(Debug, Parser)]
#[command(name = "confluent-connector", version)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// The base URL when `--base-url` names none: Confluent Cloud's.
const DEFAULT_BASE_URL: &str = "https://api.confluent.cloud";

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The connector component; by default the one `make build` produced.
    #[arg(long, global = true, value_name = "PATH")]
    component: Option<PathBuf>,
    /// The Confluent Cloud API's base URL; its origin is granted and gets the credentials.
    /// [default: https://api.confluent.cloud]
    #[arg(long, global = true, value_name = "URL")]
    base_url: Option<String>,
    /// Another origin the connector may reach (without credentials); repeatable.
    #[arg(long = "allow-host", global = true, value_name = "ORIGIN")]
    allow_host_args: Vec<String>,
    /// Another path prefix on the base URL's origin that receives the
    /// credentials, beyond /iam/ and /org/ (for documents that call other
    /// Confluent APIs, such as /cmk/v2/); repeatable.
    #[arg(long = "allow-path", global = true, value_name = "PATH")]
    allow_path_args: Vec<String>,
    /// `--allow-host`, parsed by [`Cli::parse_checked`].
    #[arg(skip)]
    allow_hosts: Vec<Origin>,
    /// `--allow-path`, parsed by [`Cli::parse_checked`].
    #[arg(skip)]
    allow_paths: Vec<PathPrefix>,
    /// A folder of Saviynt-style JSON documents (ImportAccountEntJSON.json, …)
    /// that replace the built-in defaults.
    #[arg(long, global = true, value_name = "DIR")]
    config: Option<PathBuf>,
    /// A JSON file {"api_key", "api_secret"}; by default CONFLUENT_CLOUD_API_KEY
    /// and CONFLUENT_CLOUD_API_SECRET are read.
    #[arg(long, global = true, value_name = "FILE")]
    credentials: Option<PathBuf>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value = "ndjson")]
    format: Format,
    /// Write output here instead of stdout.
    #[arg(long, global = true, value_name = "FILE")]
    output: Option<PathBuf>,
    /// More logging: -v for info, -vv for debug.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Deadline for the whole operation, in seconds (at most a week).
    #[arg(long, global = true, value_name = "SECS", allow_negative_numbers = true,
          value_parser = clap::value_parser!(u64).range(1..=MAX_OPERATION_TIMEOUT.as_secs()))]
    timeout: Option<u64>,
    /// The guest's memory cap, in MiB (at most 4096).
    #[arg(long, global = true, value_name = "MIB", allow_negative_numbers = true,
          value_parser = clap::value_parser!(u64).range(1..=MAX_MEMORY_BYTES >> 20))]
    memory_mb: Option<u64>,
    /// Where compiled components are cached.
    #[arg(long, global = true, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Compile the component every time instead of using the cache.
    #[arg(long, global = true)]
    no_cache: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show the connector's name, version, operations and attributes.
    Describe,
    /// Test the connection and the credentials.
    Check,
    /// Import accounts, entitlements or access.
    Import(import::ImportArgs),
    /// Create, update or remove accounts, and add or remove access.
    Provision(provision::ProvisionArgs),
    /// Serve the connector's HTTP entry point (/v1/describe, /v1/check,
    /// /v1/import/{kind}, /v1/provision/{operation}), with the credentials
    /// injected here as for every other command.
    Serve(serve::ServeArgs),
}

impl Cli {
    /// Parses the command line, and then the grant flags. A grant that does
    /// not parse is a usage error in our own words, which mask any password:
    /// a value parser's error would quote the raw value.
    pub fn parse_checked() -> Self {
        let mut cli = Self::parse();
        let global = &mut cli.global;
        let parsed = grants::parse_extra(&global.allow_host_args, &global.allow_path_args);
        match parsed {
            Ok((origins, paths)) => {
                global.allow_hosts = origins;
                global.allow_paths = paths;
            }
            Err(error) => Self::command()
                .error(clap::error::ErrorKind::ValueValidation, error)
                .exit(),
        }
        if let Command::Import(import) = &cli.command
            && import.has_tenants()
            && let Some(flag) = cli.global.per_tenant_flag()
        {
            let message = format!(
                "{flag} cannot be used with --tenants: each tenant names its own in the tenants file"
            );
            Self::command()
                .error(clap::error::ErrorKind::ArgumentConflict, message)
                .exit()
        }
        cli
    }
}

/// Sets up logging to stderr: warnings and the guest's log by default.
pub fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn,guest=info",
        1 => "info",
        _ => "debug,cranelift=info,wasmtime=info",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CONFLUENT_CONNECTOR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

/// Runs the command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Describe => describe::run(&cli.global).await,
        Command::Check => check::run(&cli.global).await,
        Command::Import(args) => import::run(&cli.global, args).await,
        Command::Provision(args) => provision::run(&cli.global, args).await,
        Command::Serve(args) => serve::run(&cli.global, args).await,
    }
}

impl GlobalArgs {
    /// The limits, with the flags' overrides (clap has checked their range).
    fn limits(&self) -> anyhow::Result<Limits> {
        let mut limits = Limits::default();
        if let Some(secs) = self.timeout {
            limits.operation_timeout = Duration::from_secs(secs);
        }
        if let Some(mib) = self.memory_mb {
            limits.memory_bytes = mib
                .checked_mul(1 << 20)
                .and_then(|bytes| usize::try_from(bytes).ok())
                .context("--memory-mb is too large for this machine")?;
        }
        Ok(limits)
    }

    /// The first flag given that a tenants file sets per tenant instead.
    fn per_tenant_flag(&self) -> Option<&'static str> {
        let given = [
            ("--base-url", self.base_url.is_some()),
            ("--credentials", self.credentials.is_some()),
            ("--config", self.config.is_some()),
            ("--allow-host", !self.allow_host_args.is_empty()),
            ("--allow-path", !self.allow_path_args.is_empty()),
            ("--output", self.output.is_some()),
        ];
        given
            .into_iter()
            .find(|(_, given)| *given)
            .map(|(flag, _)| flag)
    }

    /// The host, set up from the flags. `needs_credentials` is false for
    /// commands that make no request.
    fn host(&self, needs_credentials: bool) -> anyhow::Result<ConnectorHost> {
        let credentials = match (&self.credentials, needs_credentials) {
            (Some(path), _) => Some(Credentials::from_file(path)?),
            (None, true) => Some(Credentials::from_env()?),
            (None, false) => None,
        };
        let documents = match &self.config {
            Some(dir) => connector_runner::documents::read_config_dir(dir)?,
            None => Vec::new(),
        };
        let settings = HostSettings {
            base_url: (self.base_url.as_deref())
                .unwrap_or(DEFAULT_BASE_URL)
                .to_string(),
            extra_grants: self.allow_hosts.clone(),
            extra_credential_paths: self.allow_paths.clone(),
            credentials,
            documents,
            limits: self.limits()?,
        };
        Ok(ConnectorHost::new(self.runtime()?, settings)?)
    }

    /// The component, loaded (through the cache unless `--no-cache`).
    fn runtime(&self) -> anyhow::Result<Arc<ConnectorRuntime>> {
        let component = match &self.component {
            Some(path) => path.clone(),
            None => default_component()?,
        };
        let cache = (!self.no_cache)
            .then(|| connector_runner::cache::chosen_dir(self.cache_dir.as_deref()))
            .flatten();
        Ok(Arc::new(ConnectorRuntime::load(
            &component,
            cache.as_deref(),
        )?))
    }

    /// Where output goes.
    fn output(&self) -> anyhow::Result<Box<dyn std::io::Write + Send>> {
        Ok(match &self.output {
            Some(path) => Box::new(std::io::BufWriter::new(create_output(path)?)),
            // Each batch is flushed as it is written.
            None => Box::new(std::io::BufWriter::new(std::io::stdout())),
        })
    }
}

/// The component `make build` writes, found next to this executable's
/// target folder. Never one found from the current folder, where another
/// user could have left one.
fn default_component() -> anyhow::Result<PathBuf> {
    const RELATIVE: &str = "wasm32-wasip2/release/confluent_connector.wasm";
    let beside_exe = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(|target| target.join(RELATIVE)));
    beside_exe.filter(|path| path.is_file()).with_context(|| {
        "no connector component beside this executable; run `make build` or pass --component PATH"
    })
}

/// Exit codes: 2 usage (clap), 3 configuration (including credentials, the
/// base URL, the limits, the config folder and its documents, an input
/// file, a component that is missing, corrupt or of another world, the
/// state file and a provisioning request file), 4 authentication or permission, 5 transient (retry later),
/// 6 a threshold stopped the import, 1 anything else.
pub fn exit_code(error: &anyhow::Error) -> ExitCode {
    const CONFIG: u8 = 3;
    const AUTH: u8 = 4;
    const TRANSIENT: u8 = 5;
    const THRESHOLD: u8 = 6;
    let is_config = |cause: &(dyn std::error::Error + 'static)| {
        cause.is::<CredentialsError>()
            || cause.is::<StateFileError>()
            || cause.is::<RequestError>()
            || cause.is::<HostFileError>()
            || cause.is::<tenants::TenantsFileError>()
            || cause.is::<ConfigDirError>()
            || cause
                .downcast_ref::<LoadError>()
                .is_some_and(LoadError::blames_the_component)
    };
    if error.chain().any(is_config) {
        return ExitCode::from(CONFIG);
    }
    let Some(run_error) = error.downcast_ref::<RunError>() else {
        return ExitCode::FAILURE;
    };
    ExitCode::from(match run_error {
        RunError::EgressDenied(_) | RunError::SecretInInput(_) | RunError::Settings(_) => CONFIG,
        RunError::DeadlineExceeded(_) => TRANSIENT,
        RunError::Connector(error) => match error {
            ConnectorError::Config(_)
            | ConnectorError::EgressDenied(_)
            | ConnectorError::InvalidState(_) => CONFIG,
            ConnectorError::ThresholdExceeded(_) => THRESHOLD,
            ConnectorError::AuthFailed(_) | ConnectorError::Forbidden(_) => AUTH,
            ConnectorError::Transient(_) | ConnectorError::RateLimited(_) => TRANSIENT,
            _ => 1,
        },
        _ => 1,
    })
}

/// Whether the reader of our output went away (`| head`); that is not an error.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
