//! What every job needs to know about this repository: where it is and which vendor crates
//! it generates.

use std::path::{Path, PathBuf};

/// A vendor: its schema folder and the crate its code goes to.
pub struct Vendor {
    /// Folder under `schemas/`.
    pub schema_dir: &'static str,
    /// Crate folder under `crates/`.
    pub crate_dir: &'static str,
}

/// The three vendors.
pub const VENDORS: &[Vendor] = &[
    Vendor {
        schema_dir: "fxiaoke",
        crate_dir: "fxiaoke-crm",
    },
    Vendor {
        schema_dir: "useasy",
        crate_dir: "openapi-crm",
    },
    Vendor {
        schema_dir: "u8",
        crate_dir: "u8-contacts",
    },
];

impl Vendor {
    /// The vendor whose schemas are in `schemas/<name>`.
    pub fn by_schema_dir(name: &str) -> Option<&'static Vendor> {
        VENDORS.iter().find(|v| v.schema_dir == name)
    }

    /// The folder its generated code goes to, relative to the repository root.
    pub fn generated_dir(&self) -> PathBuf {
        Path::new("crates")
            .join(self.crate_dir)
            .join("src/generated")
    }

    /// The generator of its crate's `src/generated/`: `schemas/common` and `schemas/<vendor>`
    /// with its `operations.json`, paths relative to `root`.
    pub fn generator(&self, root: &Path) -> crm_codegen::Generator {
        crm_codegen::Generator::new(crm_codegen::Settings::vendor_crate(self.schema_dir))
            .root(root)
            .schemas("schemas/common")
            .schemas(Path::new("schemas").join(self.schema_dir))
            .operations(
                Path::new("schemas")
                    .join(self.schema_dir)
                    .join("operations.json"),
            )
    }
}

/// The repository root (xtask lives one level below it).
pub fn repo_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}
