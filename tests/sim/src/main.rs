//! `confluent-sim`: runs the simulator until interrupted.

use std::io::Write as _;
use std::net::SocketAddr;

use clap::Parser;
use confluent_sim::faults::Latency;
use confluent_sim::{CrnMatching, Faults, SeedSpec, SimConfig, Simulator};

/// A local Confluent Cloud management-API simulator.
#[derive(Debug, Parser)]
#[command(name = "confluent-sim", version)]
struct Args {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// The accepted API key; one is generated (and printed on stderr) if unset.
    #[arg(long)]
    api_key: Option<String>,
    /// The accepted API secret; one is generated if unset.
    #[arg(long)]
    api_secret: Option<String>,
    /// Users to seed.
    #[arg(long, default_value_t = SeedSpec::default().users)]
    users: usize,
    /// Service accounts to seed.
    #[arg(long, default_value_t = SeedSpec::default().service_accounts)]
    service_accounts: usize,
    /// Environments to seed.
    #[arg(long, default_value_t = SeedSpec::default().environments)]
    environments: usize,
    /// Role bindings to seed.
    #[arg(long, default_value_t = SeedSpec::default().role_bindings)]
    role_bindings: usize,
    /// Random seed; the same seed gives the same data.
    #[arg(long, default_value_t = SeedSpec::default().seed)]
    seed: u64,
    /// Also seed an environment and a service account bound once at every
    /// scope: organization, environment, cluster, topic, topic prefix,
    /// Schema Registry and ksqlDB.
    #[arg(long)]
    every_scope: bool,
    /// How `crn_pattern` selects role bindings: `exact` (the scope itself;
    /// a trailing `/*` adds the nested scopes) or `partial` (any binding
    /// whose CRN contains the pattern).
    #[arg(long, default_value_t = CrnMatching::default())]
    crn_matching: CrnMatching,
    /// Latency per request, `N` or `MIN-MAX` milliseconds.
    #[arg(long)]
    latency_ms: Option<Latency>,
    /// Requests per second allowed per API key.
    #[arg(long)]
    rate_limit: Option<u32>,
    /// Fraction of requests answered 500, 502 or 503.
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Those errors carry a proxy's HTML page instead of the JSON error shape.
    #[arg(long)]
    html_errors: bool,
    /// Fraction of responses reset in the middle of the body.
    #[arg(long, default_value_t = 0.0)]
    reset_rate: f64,
    /// Fraction of responses with a truncated body.
    #[arg(long, default_value_t = 0.0)]
    truncate_rate: f64,
    /// Fraction of responses whose body is not JSON.
    #[arg(long, default_value_t = 0.0)]
    not_json_rate: f64,
    /// Make every `metadata.next` link point back at the page it came from.
    #[arg(long)]
    loop_next: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let api_key = match args.api_key {
        Some(key) => key,
        None => {
            let key: String = (0..16).map(|_| fastrand::uppercase()).collect();
            eprintln!("generated API key: {key}");
            key
        }
    };
    let api_secret = match args.api_secret {
        Some(secret) => secret,
        None => {
            let secret: String = (0..40).map(|_| fastrand::alphanumeric()).collect();
            eprintln!("generated API secret: {secret}");
            secret
        }
    };
    let simulator = Simulator::start(SimConfig {
        listen: args.listen,
        api_key,
        api_secret,
        seed: SeedSpec {
            users: args.users,
            service_accounts: args.service_accounts,
            environments: args.environments,
            role_bindings: args.role_bindings,
            seed: args.seed,
        },
        faults: Faults {
            latency_ms: args.latency_ms,
            rate_limit: args.rate_limit,
            error_rate: args.error_rate,
            html_errors: args.html_errors,
            reset_rate: args.reset_rate,
            truncate_rate: args.truncate_rate,
            not_json_rate: args.not_json_rate,
            loop_next: args.loop_next,
            ..Faults::default()
        },
        crn_matching: args.crn_matching,
        every_scope: args.every_scope,
    })?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {}", simulator.url())?;
    stdout.flush()?;
    drop(stdout);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(tokio::signal::ctrl_c())?;
    simulator.stop();
    Ok(())
}
