//! A document's mistake ends the run as a config error naming the document,
//! however deep its expression nests; a server's over-long link ends it as an
//! invalid response on one short line.

use std::process::Output;

use crate::cli::{error_lines, run_cli, run_cli_at};
use crate::support::*;

/// Runs `import accounts` with the seed's import document, `from` replaced by
/// `to`.
fn import_with_document_replacing(from: &str, to: &str) -> Output {
    let sim = simulator(small_org());
    let cache = tempfile::tempdir().unwrap();
    let config = config_folder(&[import_document_replacing(from, to)]);
    let config_arg = config.path().to_str().unwrap();
    run_cli(
        &sim,
        cache.path(),
        &["--config", config_arg, "import", "accounts"],
    )
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

#[test]
fn cli_an_over_long_next_link_is_an_invalid_response_on_one_short_line() {
    // Every page is empty, and its next link is 5 MiB long.
    let padding = "x".repeat(5 << 20);
    let url = answering_server("200 OK", move |head| {
        let host = head
            .lines()
            .find_map(|line| line.strip_prefix("host: "))
            .unwrap_or_default();
        format!(
            r#"{{"data":[],"metadata":{{"next":"http://{host}/iam/v2/users?page_token={padding}"}}}}"#
        )
    });
    let cache = tempfile::tempdir().unwrap();
    let output = run_cli_at(
        &url,
        ("key", "secret"),
        cache.path(),
        &["import", "accounts"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.len() < 4096, "{} bytes of stderr", stderr.len());
    assert_eq!(Some(1), output.status.code(), "{stderr}");
    let errors = error_lines(&output);
    assert_eq!(1, errors.len(), "{stderr}");
    assert!(errors[0].contains("invalid response"), "{}", errors[0]);
    assert!(errors[0].contains("page_token=xxx"), "{}", errors[0]);
}
