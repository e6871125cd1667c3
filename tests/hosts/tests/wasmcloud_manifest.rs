//! The wasmCloud manifest (`tests/hosts/wasmcloud/confluent-connector.yaml`)
//! against what the component reads and imports: no cluster runs it here,
//! so this keeps it from drifting from the code. Its credential comes from a
//! Secret, with the token callers must present, under the environment
//! variables the engine reads; its config keys
//! are settings the engine reads; the only origin it may reach is its base
//! URL's; and it declares the host interfaces the component needs.

use std::path::PathBuf;

use connector_engine::confluent::Confluent;
use connector_engine::provided::Setting;
use connector_engine::target::Target as _;
use serde::Deserialize as _;
use serde_json::Value;

fn manifest() -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("wasmcloud/confluent-connector.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|document| Value::deserialize(document).unwrap())
        .collect()
}

fn of_kind<'m>(documents: &'m [Value], kind: &str) -> &'m Value {
    let found = documents.iter().find(|document| document["kind"] == kind);
    found.unwrap_or_else(|| panic!("no {kind} in the manifest"))
}

#[test]
fn the_wasmcloud_manifest_hands_the_component_what_it_reads_and_grants_its_base_url_alone() {
    let documents = manifest();
    let deployment = of_kind(&documents, "WorkloadDeployment");
    assert_eq!("runtime.wasmcloud.dev/v1alpha1", deployment["apiVersion"]);
    let spec = &deployment["spec"]["template"]["spec"];
    let components = spec["components"].as_array().unwrap();
    assert_eq!(1, components.len());
    let local = &components[0]["localResources"];

    let source = |setting| Confluent.setting_source(setting);
    let config = local["config"].as_object().unwrap();
    let known: Vec<&str> = Setting::ALL.iter().map(|s| source(*s).store_key).collect();
    for key in config.keys() {
        assert!(
            known.contains(&key.as_str()),
            "the component reads no '{key}'"
        );
    }
    let base_url = config[source(Setting::BaseUrl).store_key].as_str().unwrap();
    let allowed: Vec<&str> = local["allowedHosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|host| host.as_str().unwrap())
        .collect();
    assert_eq!(vec![base_url.trim_end_matches('/')], allowed);

    // The credential and the service token: a Secret the host puts in the
    // guest's environment, under the variables the component reads, and
    // nowhere in the config.
    let secret_name = local["environment"]["secretFrom"][0]["name"]
        .as_str()
        .unwrap();
    let secret = of_kind(&documents, "Secret");
    assert_eq!(secret_name, secret["metadata"]["name"]);
    let mut held: Vec<&str> = secret["stringData"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    held.sort_unstable();
    let credential = [Setting::ApiKey, Setting::ApiSecret, Setting::ServiceToken];
    let mut variables: Vec<&str> = credential
        .iter()
        .filter_map(|s| source(*s).variable)
        .collect();
    variables.sort_unstable();
    assert_eq!(variables, held);
    for setting in credential {
        assert!(!config.contains_key(source(setting).store_key));
    }

    // The host interfaces the component needs beyond wasi:cli, io, clocks
    // and random: HTTP in and out, and the configuration store the WIT
    // world imports.
    let world = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../wit/connector.wit"),
    )
    .unwrap();
    assert!(world.contains("import wasi:config/store@0.2.0-rc.1;"));
    let declared: Vec<String> = spec["hostInterfaces"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|host| {
            let package = format!(
                "{}:{}",
                host["namespace"].as_str().unwrap(),
                host["package"].as_str().unwrap()
            );
            let names = host["interfaces"].as_array().unwrap().iter();
            names.map(move |name| format!("{package}/{}", name.as_str().unwrap()))
        })
        .collect();
    for needed in [
        "wasi:http/incoming-handler",
        "wasi:http/outgoing-handler",
        "wasi:config/store",
    ] {
        assert!(
            declared.iter().any(|d| d == needed),
            "{needed} is not declared: {declared:?}"
        );
    }
}
