//! Bad input, everywhere the runner takes it: documents, flags, the
//! component, credentials, the state file and the HTTP entry point. Each case
//! runs the real CLI (or `serve`) and must end with the documented exit code
//! (or HTTP status) and a message that names what is wrong and where; an
//! unknown key or a credentials file others can read gets a warning and the
//! run goes on. No case may panic or print a backtrace, and none may print
//! the secret. Each test prints its cases and their outcomes as a table
//! (`--nocapture` shows it).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use confluent_sim::Simulator;
use host_tests::{Running, free_address, wait_for};

use crate::support::*;

/// What stderr never holds, whatever the input.
const PANIC_MARKERS: [&str; 3] = ["panicked at", "RUST_BACKTRACE", "stack backtrace"];

/// The credential a case's CLI finds in its environment.
#[derive(Debug, Clone, Copy)]
enum Env {
    /// The simulator's key and secret.
    Credentials,
    /// Neither variable.
    Nothing,
    /// Only the key.
    KeyOnly,
}

/// How a case runs the CLI: the flags after `--base-url` and `--cache-dir`,
/// the component (`None`: the one `make build` wrote) and the environment.
struct Invocation {
    args: Vec<OsString>,
    component: Option<PathBuf>,
    env: Env,
}

impl Invocation {
    /// The CLI with `args`, the built component and the credentials.
    fn new<S: Into<OsString> + Clone>(args: &[S]) -> Self {
        Self {
            args: args.iter().cloned().map(Into::into).collect(),
            component: None,
            env: Env::Credentials,
        }
    }

    fn component(mut self, path: &Path) -> Self {
        self.component = Some(path.to_path_buf());
        self
    }

    fn env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }

    /// Runs it against `sim`, caching compiled components in `cache`.
    fn run(&self, sim: &Simulator, cache: &Path) -> Output {
        let component = self.component.clone().unwrap_or_else(connector_path);
        let mut command = Command::new(env!("CARGO_BIN_EXE_confluent-connector"));
        command
            .args(["--base-url", sim.url(), "--cache-dir"])
            .arg(cache)
            .arg("--component")
            .arg(component)
            .args(&self.args)
            .env_remove("CONFLUENT_CLOUD_API_KEY")
            .env_remove("CONFLUENT_CLOUD_API_SECRET")
            .env_remove("RUST_BACKTRACE")
            .env_remove("CONFLUENT_CONNECTOR_LOG")
            .stdin(Stdio::null());
        match self.env {
            Env::Credentials => {
                command.env("CONFLUENT_CLOUD_API_KEY", sim.api_key());
                command.env("CONFLUENT_CLOUD_API_SECRET", sim.api_secret());
            }
            Env::KeyOnly => {
                command.env("CONFLUENT_CLOUD_API_KEY", sim.api_key());
            }
            Env::Nothing => {}
        }
        command.output().expect("the CLI runs")
    }
}

/// One bad input and what it must get.
struct Case {
    /// What is wrong with the input.
    what: String,
    /// How the CLI is run on it.
    run: Invocation,
    /// The exit code the README documents for it.
    code: i32,
    /// What stderr must hold: the problem, and where it is (the document
    /// and JSON path, the file, the flag).
    says: Vec<String>,
}

fn case(what: impl Into<String>, run: Invocation, code: i32, says: &[&str]) -> Case {
    Case {
        what: what.into(),
        run,
        code,
        says: says.iter().map(|s| s.to_string()).collect(),
    }
}

/// The outcomes of a test's cases, printed as a table.
struct Table {
    title: &'static str,
    rows: Vec<(String, String, String)>,
}

impl Table {
    fn new(title: &'static str) -> Self {
        Self {
            title,
            rows: Vec::new(),
        }
    }

    fn row(&mut self, what: &str, outcome: String, line: &str) {
        self.rows
            .push((what.to_string(), outcome, shorten(line, 150)));
    }

    fn print(&self) {
        let width = self.rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        let mut text = format!("\n{}\n", self.title);
        for (what, outcome, line) in &self.rows {
            text.push_str(&format!("  {what:<width$}  {outcome:<9}  {line}\n"));
        }
        println!("{text}");
    }
}

/// At most `chars` characters of `line`.
fn shorten(line: &str, chars: usize) -> String {
    match line.char_indices().nth(chars) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_string(),
    }
}

/// The line of `stderr` that says what happened: the error, else the first
/// warning, else the first line.
fn telling_line(stderr: &str) -> &str {
    let lines = || stderr.lines().map(str::trim);
    lines()
        .find(|l| l.starts_with("error:"))
        .or_else(|| lines().find(|l| l.contains("warning") || l.contains("WARN")))
        .or_else(|| lines().next())
        .unwrap_or_default()
}

/// Checks what every output must be: no panic, no backtrace, no secret.
fn assert_clean(what: &str, text: &str, secret: &str) {
    for marker in PANIC_MARKERS {
        assert!(!text.contains(marker), "{what}: '{marker}' in\n{text}");
    }
    assert!(!text.contains(secret), "{what}: the secret in\n{text}");
}

/// Runs each case against `sim` and checks its exit code and message.
fn run_cases(title: &'static str, sim: &Simulator, cases: Vec<Case>) {
    let cache = tempfile::tempdir().unwrap();
    let mut table = Table::new(title);
    for case in cases {
        let output = case.run.run(sim, cache.path());
        let stderr = String::from_utf8_lossy(&output.stderr);
        let what = &case.what;
        assert_clean(what, &stderr, sim.api_secret());
        assert_clean(
            what,
            &String::from_utf8_lossy(&output.stdout),
            sim.api_secret(),
        );
        assert_eq!(
            Some(case.code),
            output.status.code(),
            "{what}: exit code; stderr:\n{stderr}"
        );
        for needle in &case.says {
            assert!(
                stderr.contains(needle.as_str()),
                "{what}: no '{needle}' in\n{stderr}"
            );
        }
        let outcome = format!("exit {}", case.code);
        table.row(what, outcome, telling_line(&stderr));
    }
    table.print();
}

/// A folder holding `files` (name, bytes).
fn folder(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    dir
}

fn text(path: &Path) -> String {
    path.to_str().unwrap().to_string()
}

/// `import accounts` with the config folder `dir`.
fn import_with(dir: &tempfile::TempDir) -> Invocation {
    Invocation::new(&[
        "--config".to_string(),
        text(dir.path()),
        "import".into(),
        "accounts".into(),
    ])
}

/// A dry-run `create-account` with a config folder `dir`.
fn dry_run_with(dir: &tempfile::TempDir) -> Invocation {
    Invocation::new(&[
        "--config".to_string(),
        text(dir.path()),
        "provision".into(),
        "create-account".into(),
        "--attr".into(),
        "username=svc".into(),
        "--attr".into(),
        "customproperty4=a service".into(),
        "--dry-run".into(),
    ])
}

/// The seed's import document with `from` replaced by `to`, as its text.
fn import_json(from: &str, to: &str) -> Vec<u8> {
    import_document_replacing(from, to).json.into_bytes()
}

/// The seed's create-account document with `from` replaced by `to`.
fn create_account_json(from: &str, to: &str) -> Vec<u8> {
    let seed = include_str!("../../../connector/engine/defaults/CreateAccountJSON.json");
    assert!(seed.contains(from), "the seed document has no '{from}'");
    seed.replace(from, to).into_bytes()
}

#[test]
fn malformed_documents_and_wrong_types_name_the_document_and_the_json_path() {
    let sim = simulator(small_org());
    const IMPORT: &str = "ImportAccountEntJSON.json";
    let not_json = folder(&[(IMPORT, b"{ not json")]);
    let trailing_comma = folder(&[(IMPORT, br#"{"accountParams": {},}"#)]);
    let empty = folder(&[(IMPORT, b"")]);
    let not_text = folder(&[(IMPORT, b"{\"a\": \"\xff\"}")]);
    let unknown_name = folder(&[("ImportJSON.json", b"{}")]);
    let create_not_json = folder(&[("CreateAccountJSON.json", b"[1, 2,")]);
    let list_field = folder(&[(
        IMPORT,
        &import_json(r#""listField": "data""#, r#""listField": 7"#),
    )]);
    let mapping = folder(&[(
        IMPORT,
        &import_json(r#""accountID": "id~#~char""#, r#""accountID": ["id"]"#),
    )]);
    let header = folder(&[(
        IMPORT,
        &import_json(r#""Accept": "application/json""#, r#""Accept": {"v": 1}"#),
    )]);
    let method = folder(&[(
        "CreateAccountJSON.json",
        &create_account_json(r#""httpMethod": "POST""#, r#""httpMethod": 42"#),
    )]);
    let statuses = folder(&[(
        "CreateAccountJSON.json",
        &create_account_json("200,", r#""two hundred","#),
    )]);
    let missing_folder = tempfile::tempdir().unwrap().path().join("gone");
    let cases = vec![
        case(
            "a document that is not JSON",
            import_with(&not_json),
            3,
            &[
                "config error: ImportAccountEntJSON: not valid JSON",
                "line 1 column 3",
            ],
        ),
        case(
            "a document with a trailing comma",
            import_with(&trailing_comma),
            3,
            &["ImportAccountEntJSON: not valid JSON: trailing comma at line 1 column 22"],
        ),
        case(
            "an empty document",
            import_with(&empty),
            3,
            &["ImportAccountEntJSON: not valid JSON: EOF while parsing"],
        ),
        case(
            "a document that is not UTF-8",
            import_with(&not_text),
            3,
            &[&format!(
                "'{}' is not UTF-8 text",
                text(&not_text.path().join(IMPORT))
            )],
        ),
        case(
            "an unknown document name",
            import_with(&unknown_name),
            3,
            &["config error: unknown document 'ImportJSON'; expected one of"],
        ),
        case(
            "a provisioning document cut short",
            dry_run_with(&create_not_json),
            3,
            &[
                "config error: CreateAccountJSON: not valid JSON: EOF while parsing a value at line 1 column 6",
            ],
        ),
        case(
            "a number where listField's text goes",
            import_with(&list_field),
            3,
            &[
                "ImportAccountEntJSON: at accountParams.call.call1.listField: invalid type: integer `7`, expected a string",
            ],
        ),
        case(
            "a list in colsToPropsMap",
            import_with(&mapping),
            3,
            &[
                "ImportAccountEntJSON: at accountParams.call.call1.colsToPropsMap.accountID: invalid type: sequence",
            ],
        ),
        case(
            "an object as a header value",
            import_with(&header),
            3,
            &[
                "ImportAccountEntJSON: at accountParams.call.call1.http.httpHeaders.Accept: invalid type: map",
            ],
        ),
        case(
            "a number as the HTTP method",
            dry_run_with(&method),
            3,
            &["CreateAccountJSON: at call[0].httpMethod: invalid type: integer `42`"],
        ),
        case(
            "text among the success statuses",
            dry_run_with(&statuses),
            3,
            &[
                "CreateAccountJSON: at call[0] (call1).successResponses: statusCode holds \"two hundred\"",
            ],
        ),
        case(
            "a config folder that does not exist",
            Invocation::new(&[
                "--config".to_string(),
                text(&missing_folder),
                "describe".into(),
            ]),
            3,
            &[
                &format!("the config folder '{}'", text(&missing_folder)),
                "No such file",
            ],
        ),
    ];
    run_cases("malformed documents and wrong types", &sim, cases);
    assert!(
        sim.requests().is_empty(),
        "no bad document reached the target"
    );
}

#[test]
fn an_unknown_key_is_a_warning_naming_its_path_and_the_run_goes_on() {
    let sim = simulator(small_org());
    let import = folder(&[(
        "ImportAccountEntJSON.json",
        &import_json(
            r#""listField": "data""#,
            r#""listFeild": "x", "listField": "data""#,
        ),
    )]);
    let top = folder(&[(
        "ImportAccountEntJSON.json",
        &import_json(
            r#""accountParams": {"#,
            r#""acountParams": 1, "accountParams": {"#,
        ),
    )]);
    let create = folder(&[(
        "CreateAccountJSON.json",
        &create_account_json(r#""name": "call1","#, r#""name": "call1", "retries": 3,"#),
    )]);
    let cases = vec![
        case(
            "a misspelt key in an import call",
            import_with(&import),
            0,
            &[
                "warning: ImportAccountEntJSON: unknown key at accountParams.call.call1.listFeild is ignored",
            ],
        ),
        case(
            "a misspelt top-level key",
            import_with(&top),
            0,
            &["warning: ImportAccountEntJSON: unknown key at acountParams is ignored"],
        ),
        case(
            "an unknown key in a provisioning call",
            dry_run_with(&create),
            0,
            &["warning: CreateAccountJSON: unknown key at call.0.retries is ignored"],
        ),
    ];
    run_cases("unknown keys", &sim, cases);
}

#[test]
fn a_bad_template_names_the_document_the_place_and_the_position() {
    let sim = simulator(small_org());
    let url = "https://api.confluent.cloud/iam/v2/users";
    let unclosed = folder(&[(
        "ImportAccountEntJSON.json",
        &import_json(url, &format!("{url}?owner=${{account.id")),
    )]);
    let header = folder(&[(
        "ImportAccountEntJSON.json",
        &import_json(
            r#""Authorization": "${access_token}""#,
            r#""Authorization": "${}""#,
        ),
    )]);
    let method = folder(&[(
        "CreateAccountJSON.json",
        &create_account_json("${user.username}", "${user.username.shout()}"),
    )]);
    let quote = folder(&[(
        "CreateAccountJSON.json",
        &create_account_json("${user.customproperty4}", "${user.customproperty4 + 'x}"),
    )]);
    let ternary = folder(&[(
        "CreateAccountJSON.json",
        &create_account_json("${user.username}", "${user.username == 'a' ? 'b'}"),
    )]);
    let cases = vec![
        case(
            "an unclosed ${ in an import URL",
            import_with(&unclosed),
            3,
            &[
                "ImportAccountEntJSON: at accountParams.call.call1.http.url",
                "position",
            ],
        ),
        case(
            "an empty ${} in a header",
            import_with(&header),
            3,
            &["ImportAccountEntJSON: at accountParams.call.call1.http.httpHeaders.Authorization"],
        ),
        case(
            "a method the language lacks",
            dry_run_with(&method),
            3,
            &[
                "CreateAccountJSON: at call[0] (call1).httpParams",
                "'shout' is not a method here",
            ],
        ),
        case(
            "an unterminated quote",
            dry_run_with(&quote),
            3,
            &[
                "CreateAccountJSON: at call[0] (call1).httpParams",
                "position",
            ],
        ),
        case(
            "a ternary without its else",
            dry_run_with(&ternary),
            3,
            &[
                "CreateAccountJSON: at call[0] (call1).httpParams",
                "position",
            ],
        ),
    ];
    run_cases("bad templates", &sim, cases);
    assert!(
        sim.requests().is_empty(),
        "no bad template reached the target"
    );
}

#[test]
fn a_bad_flag_is_a_usage_error_naming_the_flag() {
    let sim = simulator(small_org());
    let args = |args: &[&str]| Invocation::new(args);
    let cases = vec![
        case(
            "an unknown flag",
            args(&["import", "accounts", "--frmat", "csv"]),
            2,
            &["unexpected argument '--frmat'", "--format"],
        ),
        case(
            "an unknown format",
            args(&["--format", "xml", "describe"]),
            2,
            &[
                "invalid value 'xml' for '--format <FORMAT>'",
                "ndjson, json, csv, table",
            ],
        ),
        case(
            "a timeout that is not a number",
            args(&["--timeout", "ten", "describe"]),
            2,
            &["invalid value 'ten' for '--timeout <SECS>'"],
        ),
        case(
            "a negative memory cap",
            args(&["--memory-mb", "-3", "describe"]),
            2,
            &["--memory-mb"],
        ),
        case(
            "a memory cap out of range",
            args(&["--memory-mb", "0", "describe"]),
            2,
            &[
                "invalid value '0' for '--memory-mb <MIB>'",
                "is not in 1..=4096",
            ],
        ),
        case(
            "an unknown command",
            args(&["export"]),
            2,
            &["unrecognized subcommand 'export'"],
        ),
        case(
            "an unknown kind to import",
            args(&["import", "users"]),
            2,
            &["invalid value 'users' for '<WHAT>'"],
        ),
        case(
            "an unknown provisioning operation",
            args(&["provision", "delete-everything"]),
            2,
            &["invalid value 'delete-everything' for '<OPERATION>'"],
        ),
        case(
            "an attribute without '='",
            args(&[
                "provision",
                "create-account",
                "--attr",
                "username",
                "--dry-run",
            ]),
            2,
            &["invalid value 'username' for '--attr <NAME=VALUE>': 'username' is not NAME=VALUE"],
        ),
        case(
            "--incremental without --state",
            args(&["import", "all", "--incremental"]),
            2,
            &["--state <FILE>"],
        ),
        case(
            "an address that does not parse",
            args(&["serve", "--addr", "localhost"]),
            2,
            &["invalid value 'localhost' for '--addr <ADDR>'"],
        ),
        case(
            "an --allow-host that is not an origin",
            args(&["--allow-host", "ftp://h:1", "describe"]),
            2,
            &["ftp://h:1"],
        ),
    ];
    run_cases("bad CLI arguments", &sim, cases);
}

/// A core WebAssembly module with nothing in it: wasm, but not a component.
const CORE_MODULE: &[u8] = b"\0asm\x01\0\0\0";

/// An empty component: a valid component of a world that exports nothing.
const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0";

/// A component of another world: it imports an instance `other:world/api`,
/// which no host here provides. In the binary format: the preamble; a type
/// section (7) with one empty instance type (`0x42`, no declarations); an
/// import section (10) importing it (`0x05`, type 0) under a plain name
/// (`0x00`, then its length and bytes).
const OTHER_WORLD_COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0\
    \x07\x03\x01\x42\x00\
    \x0a\x14\x01\x00\x0fother:world/api\x05\x00";

#[test]
fn a_missing_corrupt_or_foreign_component_is_a_config_error_naming_the_file() {
    let sim = simulator(small_org());
    let real = std::fs::read(connector_path()).unwrap();
    let random: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let dir = folder(&[
        ("random.wasm", &random),
        ("truncated.wasm", &real[..real.len() / 2]),
        ("core.wasm", CORE_MODULE),
        ("empty.wasm", EMPTY_COMPONENT),
        ("other-world.wasm", OTHER_WORLD_COMPONENT),
        ("empty-file.wasm", &[]),
    ]);
    let path = |name: &str| dir.path().join(name);
    let with = |name: &str| Invocation::new(&["describe"]).component(&path(name));
    let says = |name: &str, what: &'static str| -> Vec<String> {
        vec![
            format!("the component '{}'", text(&path(name))),
            what.to_string(),
        ]
    };
    let cases = [
        (
            "a component path that does not exist",
            "missing.wasm",
            "No such file or directory",
        ),
        ("a file of random bytes", "random.wasm", "does not compile"),
        (
            "the component cut in half",
            "truncated.wasm",
            "does not compile",
        ),
        (
            "a core module, not a component",
            "core.wasm",
            "does not compile",
        ),
        ("an empty file", "empty-file.wasm", "does not compile"),
        (
            "a component exporting nothing",
            "empty.wasm",
            "does not implement the identity-connector world",
        ),
        (
            "a component importing another world's interface",
            "other-world.wasm",
            "does not implement the identity-connector world",
        ),
    ];
    let cases = cases
        .into_iter()
        .map(|(what, name, problem)| {
            let says = says(name, problem);
            let says: Vec<&str> = says.iter().map(String::as_str).collect();
            case(what, with(name), 3, &says)
        })
        .collect();
    run_cases("the component", &sim, cases);
    assert!(sim.requests().is_empty());
}

#[test]
fn credentials_that_are_missing_malformed_or_open_to_others_are_named() {
    use std::os::unix::fs::PermissionsExt as _;
    let sim = simulator(small_org());
    let good = serde_json::json!({"api_key": sim.api_key(), "api_secret": sim.api_secret()});
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, content: &str, mode: u32| {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    };
    let open = file("open.json", &good.to_string(), 0o644);
    let group = file("group.json", &good.to_string(), 0o640);
    let private = file("private.json", &good.to_string(), 0o600);
    let comma = file("comma.json", &format!("{},", good), 0o600);
    let no_secret = file("no-secret.json", r#"{"api_key": "K"}"#, 0o600);
    let secret_number = file(
        "number.json",
        &format!(r#"{{"api_key": "{}", "api_secret": 12345}}"#, sim.api_key()),
        0o600,
    );
    let missing = dir.path().join("missing.json");
    let check_with =
        |path: &Path| Invocation::new(&["--credentials".to_string(), text(path), "check".into()]);
    let chmod = |path: &Path| format!("chmod 600 '{}'", text(path));
    let cases = vec![
        case(
            "a credentials file others can read (0644)",
            check_with(&open),
            0,
            &[
                &format!(
                    "the credentials file '{}' can be read or written by its group or by others (mode 0644)",
                    text(&open)
                ),
                &chmod(&open),
            ],
        ),
        case(
            "a credentials file its group can read (0640)",
            check_with(&group),
            0,
            &["(mode 0640)", &chmod(&group)],
        ),
        case(
            "a credentials file that does not exist",
            check_with(&missing),
            3,
            &[
                &format!("credentials file: cannot use '{}'", text(&missing)),
                "No such file",
            ],
        ),
        case(
            "a credentials file with a trailing comma",
            check_with(&comma),
            3,
            &[
                &format!("credentials file '{}'", text(&comma)),
                "it does not parse at line 1",
            ],
        ),
        case(
            "a credentials file without api_secret",
            check_with(&no_secret),
            3,
            &[
                &format!("credentials file '{}'", text(&no_secret)),
                "api_secret is missing",
            ],
        ),
        case(
            "a secret that is a number",
            check_with(&secret_number),
            3,
            &["api_secret is not text"],
        ),
        case(
            "no credential at all",
            Invocation::new(&["check"]).env(Env::Nothing),
            3,
            &[
                "no credentials: CONFLUENT_CLOUD_API_KEY and CONFLUENT_CLOUD_API_SECRET are not set or are empty",
            ],
        ),
        case(
            "a key without its secret",
            Invocation::new(&["import", "accounts"]).env(Env::KeyOnly),
            3,
            &[
                "no credentials: CONFLUENT_CLOUD_API_SECRET is not set",
                "--credentials FILE",
            ],
        ),
    ];
    run_cases("credentials", &sim, cases);
    // A private file draws no warning.
    let cache = tempfile::tempdir().unwrap();
    let quiet = check_with(&private).run(&sim, cache.path());
    let stderr = String::from_utf8_lossy(&quiet.stderr);
    assert!(quiet.status.success(), "{stderr}");
    assert!(!stderr.contains("WARN"), "{stderr}");
}

/// A state file's bytes, or where a link points.
#[derive(Debug, PartialEq, Eq)]
enum Kept {
    File(Vec<u8>),
    Link(PathBuf),
}

fn kept(path: &Path) -> Kept {
    match std::fs::read_link(path) {
        Ok(target) => Kept::Link(target),
        Err(_) => Kept::File(std::fs::read(path).unwrap()),
    }
}

#[test]
fn a_bad_state_file_is_refused_left_as_it_is_and_suspends_nothing() {
    let sim = simulator(small_org());
    let other = simulator(small_org());
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let import = |sim: &Simulator, state: &Path| {
        Invocation::new(&[
            "import".to_string(),
            "all".into(),
            "--quiet".into(),
            "--state".into(),
            text(state),
        ])
        .run(sim, cache.path())
    };
    // A good state of this simulator, and one written for another.
    let good = dir.path().join("good.state");
    assert!(import(&sim, &good).status.success());
    let foreign = dir.path().join("foreign.state");
    assert!(import(&other, &foreign).status.success());
    let good_text = std::fs::read(&good).unwrap();
    // Every account goes, so a state taken for an empty start would suspend them.
    sim.with_store(|store| {
        let ids: Vec<String> = store.users.iter().map(|u| u.id.clone()).collect();
        for id in ids {
            store.users.remove(&id);
        }
    });

    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let garbage = write("garbage.state", b"garbage\n");
    let binary = write("binary.state", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff");
    let truncated = write("truncated.state", &good_text[..good_text.len() / 2]);
    let no_end = write(
        "no-end.state",
        &good_text[..good_text.len() - b"#end\n".len()],
    );
    let old_format = write("old.state", br#"{"format":1,"accounts":{}}"#);
    let link = dir.path().join("link.state");
    std::os::unix::fs::symlink(&good, &link).unwrap();
    let dangling = dir.path().join("dangling.state");
    std::os::unix::fs::symlink(dir.path().join("nowhere.state"), &dangling).unwrap();
    let a_folder = dir.path().join("folder.state");
    std::fs::create_dir(&a_folder).unwrap();

    let shown = |path: &Path| format!("'{}'", text(path));
    let cases: Vec<(&str, &Path, Vec<String>)> = vec![
        (
            "a state of garbage",
            &garbage,
            vec![
                shown(&garbage),
                "invalid state: the state is corrupt at line 1".into(),
            ],
        ),
        (
            "a state that is not text",
            &binary,
            vec![shown(&binary), "is corrupt (it is not UTF-8 text)".into()],
        ),
        (
            "a state of another base URL",
            &foreign,
            vec![format!(
                "invalid state: the state belongs to {}",
                other.url()
            )],
        ),
        (
            "a state cut off half way",
            &truncated,
            vec!["invalid state".into()],
        ),
        (
            "a state without its #end",
            &no_end,
            vec![shown(&no_end), "it is cut short".into()],
        ),
        (
            "a state of the earlier format",
            &old_format,
            vec!["invalid state".into()],
        ),
        (
            "a link to a good state",
            &link,
            vec![
                shown(&link),
                "is a symbolic link".into(),
                "give the file's own path".into(),
            ],
        ),
        (
            "a link to nothing",
            &dangling,
            vec![shown(&dangling), "is a symbolic link".into()],
        ),
        (
            "a folder",
            &a_folder,
            vec![shown(&a_folder), "is not a regular file (a folder)".into()],
        ),
    ];
    let mut table = Table::new("the state file");
    for (what, path, says) in cases {
        let before = match what {
            "a folder" => Kept::File(Vec::new()),
            _ => kept(path),
        };
        let good_before = std::fs::read(&good).unwrap();
        let files_before = std::fs::read_dir(dir.path()).unwrap().count();
        let output = import(&sim, path);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_clean(what, &stderr, sim.api_secret());
        assert_eq!(Some(3), output.status.code(), "{what}: {stderr}");
        for needle in &says {
            assert!(
                stderr.contains(needle.as_str()),
                "{what}: no '{needle}' in\n{stderr}"
            );
        }
        assert!(!stdout.contains("\"suspended\""), "{what}: {stdout}");
        assert!(
            !stdout.contains("\"inactive\"") && !stdout.contains("\"removed\""),
            "{what}"
        );
        if what != "a folder" {
            assert_eq!(before, kept(path), "{what}: the state file changed");
        }
        assert_eq!(
            good_before,
            std::fs::read(&good).unwrap(),
            "{what}: a link's target changed"
        );
        assert_eq!(
            files_before,
            std::fs::read_dir(dir.path()).unwrap().count(),
            "{what}: a file was left or removed beside the state"
        );
        table.row(what, "exit 3".into(), telling_line(&stderr));
    }
    table.print();
}

/// Sends one raw HTTP/1.1 request to `address` (any method, any content
/// type) and returns the status and the body.
fn request(
    address: std::net::SocketAddr,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> (u16, String) {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    if let Some(content_type) = content_type {
        head.push_str(&format!("content-type: {content_type}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let response = String::from_utf8(response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    (
        status,
        if chunked {
            dechunk(body)
        } else {
            body.to_string()
        },
    )
}

/// A chunked body's content.
fn dechunk(mut body: &str) -> String {
    let mut content = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        content.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    content
}

#[test]
fn bad_requests_to_the_http_entry_point_get_a_json_error_naming_the_problem() {
    let sim = simulator(small_org());
    let cache = tempfile::tempdir().unwrap();
    let log = tempfile::NamedTempFile::new().unwrap();
    let address = free_address();
    let mut child = Command::new(env!("CARGO_BIN_EXE_confluent-connector"))
        .args(["--base-url", sim.url(), "--component"])
        .arg(connector_path())
        .arg("--cache-dir")
        .arg(cache.path())
        .args(["serve", "--addr", &address.to_string()])
        .env("CONFLUENT_CLOUD_API_KEY", sim.api_key())
        .env("CONFLUENT_CLOUD_API_SECRET", sim.api_secret())
        .env_remove("RUST_BACKTRACE")
        .stdout(Stdio::null())
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();
    wait_for(address, &mut child);
    let served = Running(child);

    let over = vec![b' '; (4 << 20) + 1];
    let mut over_head = b"{\"documents\": {}, \"x\": \"".to_vec();
    over_head.resize((4 << 20) + 1, b'a');
    let deep_type = serde_json::json!({"documents": {"ImportAccountEntJSON":
        String::from_utf8(import_json(r#""listField": "data""#, r#""listField": 7"#)).unwrap()}})
    .to_string();
    let json = Some("application/json");
    type HttpCase<'a> = (
        &'a str,
        &'a str,
        &'a str,
        Option<&'a str>,
        Vec<u8>,
        u16,
        &'a [&'a str],
    );
    let cases: Vec<HttpCase> = vec![
        (
            "a body over 4 MiB",
            "POST",
            "/v1/check",
            json,
            over.clone(),
            413,
            &["over 4194304 bytes"],
        ),
        (
            "an import head over 4 MiB",
            "POST",
            "/v1/import/accounts",
            json,
            over_head,
            413,
            &["over 4194304 bytes before the state"],
        ),
        (
            "a body that is not JSON",
            "POST",
            "/v1/check",
            json,
            b"{not json".to_vec(),
            400,
            &["the request is not JSON: key must be a string at line 1 column 2"],
        ),
        (
            "a provisioning body with a trailing comma",
            "POST",
            "/v1/provision/create-account",
            json,
            br#"{"user": {"username": "svc"},}"#.to_vec(),
            400,
            &["the request is not JSON: trailing comma"],
        ),
        (
            "an import head that is not an object",
            "POST",
            "/v1/import/all",
            json,
            b"[1, 2]".to_vec(),
            400,
            &["the request: expected a JSON object, got a list"],
        ),
        (
            "a flag of the wrong type",
            "POST",
            "/v1/import/all",
            json,
            br#"{"incremental": "yes"}"#.to_vec(),
            400,
            &["incremental: expected true or false, got text"],
        ),
        (
            "an unknown key in the body",
            "POST",
            "/v1/provision/add-access",
            json,
            br#"{"entitlementValue": {"rolle": "R"}}"#.to_vec(),
            400,
            &["entitlementValue: unknown key 'rolle'"],
        ),
        (
            "a wrong type deep in a document",
            "POST",
            "/v1/describe",
            json,
            deep_type.into_bytes(),
            400,
            &[
                "ImportAccountEntJSON: at accountParams.call.call1.listField: invalid type: integer `7`",
            ],
        ),
        (
            "an unknown document",
            "POST",
            "/v1/describe",
            json,
            br#"{"documents": {"ImportJSON": {}}}"#.to_vec(),
            400,
            &["unknown document 'ImportJSON'"],
        ),
        (
            "a state that is not one",
            "POST",
            "/v1/import/accounts",
            json,
            b"{}\ngarbage\n".to_vec(),
            400,
            &["invalid state"],
        ),
        (
            "a plain-text body",
            "POST",
            "/v1/check",
            Some("text/plain"),
            b"{}".to_vec(),
            415,
            &["content type is 'text/plain'", "application/json"],
        ),
        (
            "a form",
            "POST",
            "/v1/provision/create-account",
            Some("application/x-www-form-urlencoded"),
            b"user=svc".to_vec(),
            415,
            &["'application/x-www-form-urlencoded'"],
        ),
        (
            "an unknown route",
            "POST",
            "/v1/export",
            json,
            Vec::new(),
            404,
            &["no route /v1/export"],
        ),
        (
            "an unknown kind",
            "POST",
            "/v1/import/users",
            json,
            Vec::new(),
            404,
            &["no route /v1/import/users"],
        ),
        (
            "an unknown operation",
            "POST",
            "/v1/provision/delete-everything",
            json,
            Vec::new(),
            404,
            &["no provisioning operation 'delete-everything'"],
        ),
        (
            "GET on a POST route",
            "GET",
            "/v1/check",
            None,
            Vec::new(),
            405,
            &["/v1/check takes POST, not GET"],
        ),
        (
            "DELETE on an import",
            "DELETE",
            "/v1/import/all",
            None,
            Vec::new(),
            405,
            &["takes POST, not DELETE"],
        ),
        (
            "a method nobody knows",
            "BREW",
            "/v1/describe",
            None,
            Vec::new(),
            405,
            &["takes GET or POST, not BREW"],
        ),
    ];
    let mut table = Table::new("the HTTP entry point");
    for (what, method, path, content_type, body, status, says) in cases {
        let (got, text) = request(address, method, path, content_type, &body);
        assert_clean(what, &text, sim.api_secret());
        assert_eq!(status, got, "{what}: {text}");
        let error: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{what}: not one JSON error ({e}): {text}"));
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert_eq!(status, error["error"]["status"], "{what}: {text}");
        for needle in says {
            assert!(
                message.contains(needle),
                "{what}: no '{needle}' in {message}"
            );
        }
        table.row(what, format!("HTTP {status}"), message);
    }
    // The service goes on serving, and its log holds no panic.
    let (status, _) = request(address, "GET", "/v1/describe", None, b"");
    assert_eq!(200, status);
    assert!(
        sim.requests().is_empty(),
        "no bad request reached the target"
    );
    drop(served);
    let log = std::fs::read_to_string(log.path()).unwrap();
    assert_clean("serve's log", &log, sim.api_secret());
    table.print();
}
