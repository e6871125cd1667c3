//! What each fuzz target checks, one module per target. Each `check` takes
//! the fuzzer's bytes, drives the engine's public API with them and asserts
//! the properties that must hold for any input; a failed assertion or a
//! panic in the engine is a finding. The targets in `fuzz_targets/` only
//! call these, and the tests below run each over its seed corpus on the
//! stable toolchain.

pub mod documents;
pub mod expression;
pub mod http_request;
pub mod mapping;
pub mod pages;
pub mod state;

/// Splits off the first line of `data` (without its `\n`): the inputs that
/// carry a small parameter before their body put it there.
fn first_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(end) => (&data[..end], &data[end + 1..]),
        None => (data, &[]),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Runs `check` over every file in `corpus-seed/<target>/`, which must
    /// hold some.
    fn over_seeds(target: &str, check: fn(&[u8])) {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus-seed")
            .join(target);
        let mut seeds = 0;
        for entry in std::fs::read_dir(&folder).unwrap() {
            check(&std::fs::read(entry.unwrap().path()).unwrap());
            seeds += 1;
        }
        assert!(seeds > 0, "{} holds no seeds", folder.display());
    }

    #[test]
    fn the_checks_hold_over_the_seed_corpora() {
        over_seeds("expression", super::expression::check);
        over_seeds("documents", super::documents::check);
        over_seeds("mapping", super::mapping::check);
        over_seeds("pages", super::pages::check);
        over_seeds("state", super::state::check);
        over_seeds("http_request", super::http_request::check);
    }
}
