//! Text from the target reaches people through tables, CSV files, the
//! summary and errors: it cannot steer a terminal, forge a line or start a
//! spreadsheet formula there, while NDJSON keeps it exact.

use std::process::Output;

use confluent_sim::{SeedSpec, Simulator};

use crate::cli::{error_lines, run_cli, run_cli_at};
use crate::support::*;

/// A name that opens with a formula and holds a colour change, a bell and a
/// line break.
const FORMULA_NAME: &str =
    "=HYPERLINK(\"http://evil.example\",\"\x1b[31mclick\x07\nerror: forged\")";
/// A name that opens with a colour change.
const COLOURED_NAME: &str = "\x1b[31mred\x07\nforged line\u{202e}";

fn tiny_org() -> SeedSpec {
    SeedSpec {
        users: 4,
        service_accounts: 2,
        environments: 1,
        role_bindings: 2,
        seed: 11,
    }
}

/// A simulator whose first two users carry the hostile names; their ids.
fn hostile_simulator() -> (Simulator, [String; 2]) {
    let sim = simulator(tiny_org());
    let ids = sim.with_store(|store| {
        let ids: Vec<String> = store.users.iter().take(2).map(|u| u.id.clone()).collect();
        store.users.get_mut(&ids[0]).unwrap().full_name = FORMULA_NAME.into();
        store.users.get_mut(&ids[1]).unwrap().full_name = COLOURED_NAME.into();
        [ids[0].clone(), ids[1].clone()]
    });
    (sim, ids)
}

fn succeeded(output: Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Whether `text` holds a character that steers a terminal (line breaks
/// between lines aside).
fn has_terminal_controls(text: &str) -> bool {
    text.chars()
        .any(|c| c != '\n' && connector_runner::text::needs_escaping(c))
}

#[test]
fn cli_csv_escapes_control_characters_and_quotes_formulas() {
    let (sim, [formula_id, coloured_id]) = hostile_simulator();
    let cache = tempfile::tempdir().unwrap();
    let csv = succeeded(run_cli(
        &sim,
        cache.path(),
        &["import", "accounts", "--format", "csv"],
    ));
    assert!(!has_terminal_controls(&csv), "{csv:?}");
    assert_eq!(1 + 4 + 2, csv.lines().count(), "{csv}");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let name_of = |id: &str| {
        let row = rows.iter().find(|r| &r[column("accountID")] == id).unwrap();
        row[column("name")].to_string()
    };
    assert_eq!(
        "'=HYPERLINK(\"http://evil.example\",\"\\u{1b}[31mclick\\u{7}\\nerror: forged\")",
        name_of(&formula_id)
    );
    assert_eq!(
        "\\u{1b}[31mred\\u{7}\\nforged line\\u{202e}",
        name_of(&coloured_id)
    );
}

#[test]
fn cli_table_escapes_control_characters() {
    let (sim, [_, coloured_id]) = hostile_simulator();
    let cache = tempfile::tempdir().unwrap();
    let table = succeeded(run_cli(
        &sim,
        cache.path(),
        &["import", "accounts", "--format", "table"],
    ));
    assert!(!has_terminal_controls(&table), "{table:?}");
    assert_eq!(1 + 4 + 2, table.lines().count(), "{table}");
    let row = table.lines().find(|l| l.contains(&coloured_id)).unwrap();
    assert!(row.contains("\\u{1b}[31mr…"), "{row}");
}

#[test]
fn cli_ndjson_keeps_the_exact_values() {
    let (sim, [formula_id, coloured_id]) = hostile_simulator();
    let cache = tempfile::tempdir().unwrap();
    let ndjson = succeeded(run_cli(&sim, cache.path(), &["import", "accounts"]));
    assert!(!ndjson.contains('\x1b') && !ndjson.contains('\x07'));
    let lines: Vec<serde_json::Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(4 + 2, lines.len());
    let name_of = |id: &str| {
        let line = lines.iter().find(|l| l["accountID"] == id).unwrap();
        line["name"].as_str().unwrap().to_string()
    };
    assert_eq!(FORMULA_NAME, name_of(&formula_id));
    assert_eq!(COLOURED_NAME, name_of(&coloured_id));
}

#[test]
fn cli_lists_orphans_with_bidi_overrides_escaped() {
    let sim = simulator(tiny_org());
    let cache = tempfile::tempdir().unwrap();
    add_org_binding(&sim, "rb-ghost", "User:u-\u{202e}tsohg");
    let output = run_cli(&sim, cache.path(), &["import", "all", "-v"]);
    assert!(output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!has_terminal_controls(&stderr), "{stderr:?}");
    assert!(
        stderr.contains(r#""accountID":"u-\u202etsohg""#),
        "{stderr}"
    );
}

#[test]
fn cli_prints_an_error_detail_with_a_line_break_as_one_escaped_line() {
    // A target whose 400 carries a `detail` with a line break and a colour
    // change.
    let url = answering_server("400 Bad Request", |_| {
        r#"{"errors":[{"status":"400","detail":"bad request\nerror: forged line \u001b[31m"}]}"#
            .to_string()
    });
    let cache = tempfile::tempdir().unwrap();
    let output = run_cli_at(&url, ("key", "secret"), cache.path(), &["check"]);
    assert_eq!(Some(3), output.status.code());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!has_terminal_controls(&stderr), "{stderr:?}");
    let errors = error_lines(&output);
    assert_eq!(1, errors.len(), "{stderr}");
    assert!(
        errors[0].contains(r"bad request\nerror: forged line \u{1b}[31m"),
        "{stderr}"
    );
}

#[test]
fn cli_prints_a_host_error_naming_a_path_with_a_line_break_as_one_line() {
    let sim = simulator(tiny_org());
    let cache = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let output_path = folder.path().join("missing\nerror: forged\x1b[2J/out.csv");
    let output = run_cli(
        &sim,
        cache.path(),
        &[
            "import",
            "accounts",
            "--output",
            output_path.to_str().unwrap(),
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!has_terminal_controls(&stderr), "{stderr:?}");
    let errors = error_lines(&output);
    assert_eq!(1, errors.len(), "{stderr}");
    assert!(
        errors[0].contains(r"missing\nerror: forged\u{1b}[2J"),
        "{stderr}"
    );
}
