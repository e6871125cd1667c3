//! Generated host bindings for the `identity-connector` world.

wasmtime::component::bindgen!({
    world: "identity-connector",
    path: "../wit",
    imports: { default: async },
    exports: { default: async },
});

pub use exports::identity::connector::connector as exports_connector;
pub use identity::connector::types;
