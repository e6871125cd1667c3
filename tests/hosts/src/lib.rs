//! The tests under `tests/` run the connector component in other hosts; see
//! the README's "Other hosts".
