//! Provisioning under a rate limit: 1,000 service-account creates, each a
//! `POST /v1/provision/create-account` to `confluent-connector serve` (a
//! fresh instance each), against a simulator that allows 50 requests a
//! second; once one after another, and once four at a time, as a platform
//! sends them. The bound is the creates divided by the rate; the figure is
//! the wall time over that bound, with the failed creates, the 429s the
//! simulator answered, and the service accounts made, which must be exactly
//! one per create.
//!
//! Each create is a fresh instance, so no pace carries from one to the next:
//! the 51st create of a window meets a 429 whose `Retry-After` is rounded up
//! to a whole second, so each window also costs the time its 50 creates took.

use std::fmt::Write as _;
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context as _, bail};

use crate::Bench;
use crate::hosts::{Killed, wait_for};
use crate::sim::{self, Organization, Sim};

/// Creates in the run.
const CREATES: usize = 1_000;
/// The simulator's requests a second.
const RATE: u32 = 50;
/// The target: wall time within this factor of the bound.
pub const TARGET_RATIO: f64 = 1.2;

/// Creates in flight at once, in the runs.
const AT_ONCE: [usize; 2] = [1, 4];

/// What one run measured.
#[derive(Debug)]
pub struct RateFigures {
    /// Creates in flight at once.
    pub at_once: usize,
    /// Wall time of all the creates, in seconds.
    pub seconds: f64,
    /// Creates that did not end `done`.
    pub failed: usize,
    /// 429s the simulator answered.
    pub refused: usize,
    /// Service accounts made with the run's names.
    pub made: usize,
}

impl RateFigures {
    /// The time the rate limit alone takes: one request per create.
    pub fn bound_seconds() -> f64 {
        CREATES as f64 / f64::from(RATE)
    }

    /// Wall time over the bound.
    pub fn ratio(&self) -> f64 {
        self.seconds / Self::bound_seconds()
    }

    /// The figures of `runs` as the benchmark prints them.
    pub fn report(runs: &[Self]) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "rate-limited provisioning ({CREATES} creates through `serve`, the simulator at {RATE} requests/s):"
        );
        for run in runs {
            run.report_into(&mut text);
        }
        text
    }

    fn report_into(&self, text: &mut String) {
        let _ = writeln!(
            text,
            "  {} at a time: {:.1} s against a bound of {:.1} s: {:.2}x (target {TARGET_RATIO}x: {})",
            self.at_once,
            self.seconds,
            Self::bound_seconds(),
            self.ratio(),
            if self.ratio() <= TARGET_RATIO && self.failed == 0 && self.made == CREATES {
                "met"
            } else {
                "MISSED"
            }
        );
        let _ = writeln!(
            text,
            "    {} failed, {} service accounts made for {CREATES} creates, {} answered 429",
            self.failed, self.made, self.refused
        );
    }
}

impl Bench {
    /// Runs the creates one at a time, then several at a time.
    pub fn rate_limited(&self) -> anyhow::Result<Vec<RateFigures>> {
        AT_ONCE.iter().map(|&n| self.creates(n)).collect()
    }

    /// Runs the creates, `at_once` in flight, on a fresh simulator, and
    /// counts what they made.
    fn creates(&self, at_once: usize) -> anyhow::Result<RateFigures> {
        let org = Organization {
            accounts: 10,
            latency_ms: 0,
        };
        let rate = RATE.to_string();
        let sim = Sim::start_with(
            &self.bin_dir.join("confluent-sim"),
            &org,
            &["--rate-limit", &rate],
        )?;
        let address = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let child = self
            .connector()
            .args(["--base-url", sim.url(), "serve", "--addr"])
            .arg(address.to_string())
            .env("CONFLUENT_CLOUD_API_KEY", sim::API_KEY)
            .env("CONFLUENT_CLOUD_API_SECRET", sim::API_SECRET)
            .stderr(Stdio::null())
            .spawn()
            .context("starting confluent-connector serve")?;
        let _host = Killed(child);
        wait_for(address)?;
        // Lets the first window of the rate limit open afresh.
        std::thread::sleep(std::time::Duration::from_secs(1));
        sim.clear_requests()?;

        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let url = format!("http://{address}/v1/provision/create-account");
        let next = AtomicUsize::new(0);
        let failed = AtomicUsize::new(0);
        let create = |create: usize| -> anyhow::Result<bool> {
            let body = serde_json::json!({
                "user": {"username": name(create), "customproperty4": "rate-limited create"}
            });
            let mut response = agent.post(&url).send_json(&body)?;
            let result: serde_json::Value = response.body_mut().read_json()?;
            Ok(response.status() == 200 && result["outcome"] == "done")
        };
        let started = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..at_once {
                scope.spawn(|| {
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        if index >= CREATES {
                            break;
                        }
                        if !create(index).unwrap_or(false) {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        let seconds = started.elapsed().as_secs_f64();
        let failed = failed.into_inner();

        let refused = sim.requests()?.iter().filter(|r| r.status == 429).count();
        let state = sim.state()?;
        let Some(accounts) = state["service_accounts"].as_array() else {
            bail!("the simulator's state has no service accounts");
        };
        let made = accounts
            .iter()
            .filter(|sa| {
                sa["display_name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with(PREFIX))
            })
            .count();
        Ok(RateFigures {
            at_once,
            seconds,
            failed,
            refused,
            made,
        })
    }
}

/// The names the run creates.
const PREFIX: &str = "svc-rate-";

fn name(create: usize) -> String {
    format!("{PREFIX}{create:04}")
}
