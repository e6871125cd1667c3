//! Generated host bindings for the `identity-connector` world.

wasmtime::component::bindgen!({
    world: "identity-connector",
    path: "../wit",
    imports: { default: async },
    exports: { default: async },
});

pub use exports::identity::connector::connector as exports_connector;
pub use exports::identity::connector::types;

/// Gives generated enums their cases' WIT names (`name`, `from_name` and
/// `Display`) and `ALL`, every case in the WIT's order. A case without its row here does
/// not compile.
macro_rules! wit_names {
    ($($enum:ident { $($case:ident => $name:literal,)+ })+) => {$(
        impl types::$enum {
            /// Every case, in the WIT's order.
            pub const ALL: &'static [Self] = &[$(Self::$case),+];

            /// The case's name in the WIT.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$case => $name,)+
                }
            }

            /// The case named `name` in the WIT.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|case| case.name() == name)
            }
        }

        impl std::fmt::Display for types::$enum {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    )+};
}

wit_names! {
    ObjectKind {
        Accounts => "accounts",
        Entitlements => "entitlements",
        Access => "access",
    }
    Status {
        Active => "active",
        Suspended => "suspended",
        Inactive => "inactive",
        Removed => "removed",
    }
    ProvisionOperation {
        CreateAccount => "create-account",
        UpdateAccount => "update-account",
        RemoveAccount => "remove-account",
        AddAccess => "add-access",
        RemoveAccess => "remove-access",
    }
    ProvisionOutcome {
        Done => "done",
        AlreadyExisted => "already-existed",
        AlreadyAbsent => "already-absent",
        DryRun => "dry-run",
    }
}

/// An operation as `describe` names it: `test-connection`, `import-` and
/// the kind, or the provisioning operation.
impl std::fmt::Display for types::Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TestConnection => f.write_str("test-connection"),
            Self::Import(kind) => write!(f, "import-{kind}"),
            Self::Provision(operation) => write!(f, "{operation}"),
        }
    }
}
