//! `confluent-connector`: import and provision Confluent Cloud identities
//! through the sandboxed connector component.

mod cli;

use std::process::ExitCode;

use connector_runner::text::escape_controls;

fn main() -> ExitCode {
    let args = cli::Cli::parse_checked();
    cli::init_logging(args.global.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if cli::is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            // The chain quotes the target's and the guest's words: one
            // escaped line, so they cannot forge another.
            eprintln!("error: {}", escape_controls(&format!("{error:#}")));
            cli::exit_code(&error)
        }
    }
}
