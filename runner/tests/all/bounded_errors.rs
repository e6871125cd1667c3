//! A document's mistake ends the run as a config error naming the document,
//! however deep its expression nests; a server's over-long link ends it as an
//! invalid response on one short line.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

use crate::cli::run_cli;
use crate::support::*;

/// Runs `import accounts` with the seed's import document, `from` replaced by
/// `to`.
fn import_with_document_replacing(from: &str, to: &str) -> Output {
    let sim = simulator(small_org());
    let cache = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let document = import_document_replacing(from, to);
    std::fs::write(
        config.path().join(format!("{}.json", document.name)),
        document.json,
    )
    .unwrap();
    let config_arg = config.path().to_str().unwrap();
    run_cli(
        &sim,
        cache.path(),
        &["--config", config_arg, "import", "accounts"],
    )
}

/// The lines of stderr that start with `error:`.
fn error_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| line.starts_with("error:"))
        .map(str::to_string)
        .collect()
}

#[test]
fn cli_a_deeply_nested_expression_is_a_config_error_naming_the_document() {
    let deep = format!(
        "${{{}access_token{}}}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let output = import_with_document_replacing("${access_token}", &deep);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(Some(3), output.status.code(), "{stderr}");
    let errors = error_lines(&output);
    assert_eq!(1, errors.len(), "{stderr}");
    assert!(errors[0].contains("ImportAccountEntJSON"), "{}", errors[0]);
    assert!(errors[0].contains("deeper than 64 levels"), "{}", errors[0]);
}

#[test]
fn cli_a_document_url_that_does_not_parse_is_a_config_error_naming_it() {
    let output = import_with_document_replacing(
        "https://api.confluent.cloud/iam/v2/users",
        "http://[unclosed/iam/v2/users",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(Some(3), output.status.code(), "{stderr}");
    let errors = error_lines(&output);
    assert_eq!(1, errors.len(), "{stderr}");
    assert!(
        errors[0].contains("http://[unclosed/iam/v2/users"),
        "{}",
        errors[0]
    );
}

/// A server that answers every request with an empty list whose next link
/// is 5 MiB long; its base URL.
fn over_long_link_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let body = format!(
        r#"{{"data":[],"metadata":{{"next":"{url}/iam/v2/users?page_token={}"}}}}"#,
        "x".repeat(5 << 20)
    );
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buffer = [0; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

fn run_against(url: &str, cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_confluent-connector"))
        .args(["--base-url", url, "--component"])
        .arg(connector_path())
        .arg("--cache-dir")
        .arg(cache)
        .args(args)
        .env("CONFLUENT_CLOUD_API_KEY", "key")
        .env("CONFLUENT_CLOUD_API_SECRET", "secret")
        .output()
        .unwrap()
}

#[test]
fn cli_an_over_long_next_link_is_an_invalid_response_on_one_short_line() {
    let url = over_long_link_server();
    let cache = tempfile::tempdir().unwrap();
    let output = run_against(&url, cache.path(), &["import", "accounts"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.len() < 4096, "{} bytes of stderr", stderr.len());
    assert_eq!(Some(1), output.status.code(), "{stderr}");
    let errors = error_lines(&output);
    assert_eq!(1, errors.len(), "{stderr}");
    assert!(errors[0].contains("invalid response"), "{}", errors[0]);
    assert!(errors[0].contains("page_token=xxx"), "{}", errors[0]);
}
