//! Generated bindings for the `identity-connector` world, and the export of
//! [`Connector`](crate::Connector) through them.

wit_bindgen::generate!({
    world: "identity-connector",
    path: "../../wit",
    with: { "wasi:config/store@0.2.0-rc.1": generate },
});

use crate::Connector;

export!(Connector with_types_in self);
