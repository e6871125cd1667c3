//! How fast the simulator serves pages of 100 users to one client on
//! loopback, for an organization of 100,000 users, 20,000 service accounts
//! and 100,000 role bindings. Run with `make bench`.
//!
//! It prints pages per second for a full walk, and the time of the first
//! ten pages against the last ten, side by side in one run, to show that a
//! page costs its size and not its position. Then it times pages of the role
//! bindings of one scope, to show that such a page costs its size and not the
//! organization's bindings.

use std::time::{Duration, Instant};

use base64::Engine as _;
use confluent_sim::{SeedSpec, SimConfig, Simulator};

fn main() {
    let started = Instant::now();
    let spec = SeedSpec {
        users: 100_000,
        service_accounts: 20_000,
        environments: 50,
        role_bindings: 100_000,
        seed: 1,
    };
    let sim = Simulator::start(SimConfig {
        seed: spec,
        ..SimConfig::default()
    })
    .expect("simulator");
    println!("seeded {spec:?} in {:.2?}", started.elapsed());

    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            sim.api_key(),
            sim.api_secret()
        ))
    );
    let fetch = |url: &str| -> serde_json::Value {
        agent
            .get(url)
            .header("Authorization", &auth)
            .call()
            .expect("page")
            .body_mut()
            .read_json()
            .expect("json")
    };

    let mut page_times: Vec<Duration> = Vec::new();
    let mut next = Some(format!("{}/iam/v2/users?page_size=100", sim.url()));
    let walk = Instant::now();
    let mut records = 0;
    while let Some(url) = next {
        let one = Instant::now();
        let page = fetch(&url);
        page_times.push(one.elapsed());
        records += page["data"].as_array().map_or(0, Vec::len);
        next = page["metadata"]["next"].as_str().map(str::to_string);
    }
    let elapsed = walk.elapsed();
    let pages = page_times.len();
    println!(
        "walked {records} users in {pages} pages of 100 in {elapsed:.2?}: {:.0} pages/s",
        pages as f64 / elapsed.as_secs_f64()
    );
    let first: Duration = page_times[..10].iter().sum();
    let last: Duration = page_times[pages - 10..].iter().sum();
    println!(
        "first 10 pages {first:.2?}, last 10 pages {last:.2?}: last/first = {:.2}",
        last.as_secs_f64() / first.as_secs_f64()
    );

    let crn = sim.state()["organizations"][0]["metadata"]["resource_name"]
        .as_str()
        .unwrap()
        .to_string();
    let rb = Instant::now();
    let mut next = Some(format!(
        "{}/iam/v2/role-bindings?crn_pattern={crn}/*&page_size=1000",
        sim.url()
    ));
    let (mut rb_pages, mut bindings) = (0, 0);
    while let Some(url) = next {
        let page = fetch(&url);
        rb_pages += 1;
        bindings += page["data"].as_array().map_or(0, Vec::len);
        next = page["metadata"]["next"].as_str().map(str::to_string);
    }
    println!(
        "walked {bindings} role bindings in {rb_pages} pages of 1000 in {:.2?}",
        rb.elapsed()
    );

    let environment = sim.state()["environments"][0]["metadata"]["resource_name"]
        .as_str()
        .unwrap()
        .to_string();
    for pattern in [environment.clone(), format!("{environment}/*")] {
        let url = format!(
            "{}/iam/v2/role-bindings?crn_pattern={pattern}&page_size=100",
            sim.url()
        );
        let total = fetch(&url)["metadata"]["total_size"].clone();
        let repeats = 200;
        let one_scope = Instant::now();
        for _ in 0..repeats {
            fetch(&url);
        }
        let per_page = one_scope.elapsed() / repeats;
        println!(
            "a page of 100 role bindings of one scope ({pattern:?}, {total} in all, of 100,000): {per_page:.2?} per page"
        );
    }
}
