//! [`Generator`]: one pipeline behind `cargo xtask codegen`, `crm codegen` and build scripts.

use std::path::{Path, PathBuf};

use crate::bundle::Bundle;
use crate::error::{Result, err};
use crate::names::pascal_case;
use crate::output::{GeneratedFile, unparse};
use crate::postprocess::{lazy_extra_fields, rename_fields};
use crate::scalars::{replacements, run_typify};
use crate::schema::SchemaSet;
use crate::{operations, registry, tenant};

/// The vendor a tenant's schemas come from; its crate is the one the generated module names
/// runtime types through (`::fxiaoke_crm::LenientDecimal`), so a crate using the module needs
/// only that crate, `serde`, `serde_json` and `schemars`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Vendor {
    /// 纷享销客 Fxiaoke: objects from `/cgi/crm/v2/object/describe`, crate `fxiaoke-crm`.
    Fxiaoke,
    /// 有逸 useasy: the customer's custom fields from the field configuration, crate
    /// `openapi-crm`.
    Useasy,
}

impl Vendor {
    /// Every vendor with tenant metadata.
    pub const ALL: [Vendor; 2] = [Vendor::Fxiaoke, Vendor::Useasy];

    /// The name on the command line (`fxiaoke`, `useasy`).
    pub fn name(self) -> &'static str {
        match self {
            Vendor::Fxiaoke => "fxiaoke",
            Vendor::Useasy => "useasy",
        }
    }

    /// The vendor by its command-line name.
    pub fn from_name(name: &str) -> Option<Vendor> {
        Vendor::ALL.into_iter().find(|v| v.name() == name)
    }

    /// The path of the vendor crate in generated code.
    pub fn crate_path(self) -> &'static str {
        match self {
            Vendor::Fxiaoke => "::fxiaoke_crm",
            Vendor::Useasy => "::openapi_crm",
        }
    }
}

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    /// A vendor crate of this workspace: `types.rs`, `operations.rs`, `registry.rs`, `mod.rs`.
    VendorCrate { schema_dir: String },
    /// One module of a tenant's typed objects.
    Tenant { vendor: Vendor },
}

/// What a [`Generator`] generates, and how it says so in the `@generated` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    kind: Kind,
    generated_by: String,
}

impl Settings {
    /// The generated code of one of this workspace's vendor crates (`schema_dir`: `fxiaoke`,
    /// `useasy`, `u8`): types, operation descriptors and client methods, and the type registry,
    /// naming runtime types as `::crm_runtime::…` and the client as `crate::Client`. Needs the
    /// vendor's `operations.json` ([`Generator::operations`]).
    pub fn vendor_crate(schema_dir: &str) -> Self {
        Self {
            kind: Kind::VendorCrate {
                schema_dir: schema_dir.to_owned(),
            },
            generated_by: "cargo xtask codegen".to_owned(),
        }
    }

    /// One module of typed objects for a tenant, from the schemas `crm <vendor> … pull` wrote:
    /// a struct per object (implementing `NamedObject` for Fxiaoke), an open enum per select
    /// field, runtime types named through the vendor crate. The module has no inner attributes,
    /// so it can be a module file or `include!`d.
    pub fn tenant(vendor: Vendor) -> Self {
        Self {
            kind: Kind::Tenant { vendor },
            generated_by: "crm-codegen".to_owned(),
        }
    }

    /// The tool the `@generated` header names (`cargo xtask codegen`, `crm codegen`, ...).
    pub fn generated_by(mut self, tool: impl Into<String>) -> Self {
        self.generated_by = tool.into();
        self
    }
}

/// The generator: schema folders in, [`GeneratedFile`]s out (in memory; the caller writes or
/// compares them, see [`GeneratedFile::write_if_changed`] and [`crate::sync_dir`]).
#[derive(Clone, Debug)]
pub struct Generator {
    settings: Settings,
    root: PathBuf,
    dirs: Vec<PathBuf>,
    operations: Option<PathBuf>,
}

impl Generator {
    /// A generator with these settings, no schema folders yet, paths relative to the current
    /// directory.
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            root: PathBuf::new(),
            dirs: Vec::new(),
            operations: None,
        }
    }

    /// A tenant module generator over one folder of pulled schemas (with its `names.json`).
    pub fn tenant(vendor: Vendor, dir: impl Into<PathBuf>) -> Self {
        Self::new(Settings::tenant(vendor)).schemas(dir)
    }

    /// Folders and files are relative to `root`, and messages show paths relative to it.
    pub fn root(mut self, root: impl Into<PathBuf>) -> Self {
        self.root = root.into();
        self
    }

    /// Adds a folder of schema files (every `*.json` but `operations.json` and `names.json`).
    /// References may cross folders. A tenant's names come from the first folder's
    /// `names.json`.
    pub fn schemas(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dirs.push(dir.into());
        self
    }

    /// The `operations.json` of a vendor crate.
    pub fn operations(mut self, file: impl Into<PathBuf>) -> Self {
        self.operations = Some(file.into());
        self
    }

    /// The schema files of the folders.
    pub fn schema_set(&self) -> Result<SchemaSet> {
        SchemaSet::load(&self.root, &self.dirs)
    }

    /// The folders' definitions bundled (and the operations, if given).
    pub fn bundle(&self) -> Result<Bundle> {
        Bundle::load(&self.schema_set()?, self.operations.as_deref())
    }

    /// Generates every file. Deterministic: the same schemas give the same bytes.
    pub fn generate(&self) -> Result<Vec<GeneratedFile>> {
        let set = self.schema_set()?;
        match &self.settings.kind {
            Kind::VendorCrate { schema_dir } => {
                let bundle = Bundle::load(&set, self.operations.as_deref())?;
                if self.operations.is_none() {
                    return Err(err!(
                        "schemas/{schema_dir}: a vendor crate needs its operations.json"
                    ));
                }
                vendor_crate(schema_dir, &self.settings.generated_by, &bundle)
            }
            Kind::Tenant { vendor } => {
                let bundle = Bundle::load(&set, None)?;
                let dir = self
                    .dirs
                    .first()
                    .map(|d| self.root.join(d))
                    .ok_or_else(|| err!("no schema folder given"))?;
                let file =
                    tenant::generate(*vendor, &self.settings.generated_by, &set, bundle, &dir)?;
                Ok(vec![file])
            }
        }
    }

    /// The one file of a tenant module (the first of [`generate`](Self::generate)).
    pub fn module(&self) -> Result<GeneratedFile> {
        self.generate()?
            .into_iter()
            .next()
            .ok_or_else(|| err!("nothing generated"))
    }

    /// For a build script: generates the tenant module into `$OUT_DIR/<file_name>` (writing
    /// only when it changed) and tells Cargo to run the script again when a schema folder
    /// changes. Returns the path, for `include!(concat!(env!("OUT_DIR"), "/<file_name>"))`.
    pub fn build_script(&self, file_name: &str) -> Result<PathBuf> {
        for dir in &self.dirs {
            println!("cargo::rerun-if-changed={}", self.root.join(dir).display());
        }
        let out_dir = std::env::var_os("OUT_DIR")
            .ok_or_else(|| err!("OUT_DIR is not set: build_script runs in a build script"))?;
        let path = Path::new(&out_dir).join(file_name);
        self.module()?.write_if_changed(&path)?;
        Ok(path)
    }
}

/// The four files of a vendor crate's `src/generated/`.
fn vendor_crate(
    schema_dir: &str,
    generated_by: &str,
    bundle: &Bundle,
) -> Result<Vec<GeneratedFile>> {
    const RUNTIME: &str = "::crm_runtime";
    let header =
        format!("// @generated by {generated_by} from schemas/{schema_dir}; DO NOT EDIT.\n");
    let known = std::collections::BTreeMap::new();
    let mut file = run_typify(
        &format!("schemas/{schema_dir}"),
        bundle,
        &replacements(bundle, RUNTIME, &known),
    )?;
    // Properties whose Rust name would clash (`errorDescription` and `error_description` both
    // become `error_description`) carry their own in `x-crm-rust-name`.
    for (def_name, def) in &bundle.defs {
        let pinned = pinned_field_names(&def.schema);
        if !pinned.is_empty() {
            rename_fields(&mut file, &pascal_case(def_name), &pinned);
        }
    }
    lazy_extra_fields(
        &mut file,
        &syn::parse_quote!(::crm_runtime::decode::MapKey),
        &syn::parse_quote!(::crm_runtime::ExtraFields),
    );
    let types = prettyplease::unparse(&file);
    Ok(vec![
        GeneratedFile {
            path: "mod.rs".into(),
            contents: format!(
                "{header}//! Code generated from `schemas/{schema_dir}`: types, operation descriptors and client\n\
                 //! methods, and a registry of every schema type. Regenerate with `{generated_by}`.\n\n\
                 pub mod operations;\npub mod registry;\npub mod types;\n"
            ),
        },
        GeneratedFile {
            path: "operations.rs".into(),
            contents: format!(
                "{header}{}",
                unparse(operations::generate(schema_dir, bundle, RUNTIME))?
            ),
        },
        GeneratedFile {
            path: "registry.rs".into(),
            contents: format!(
                "{header}{}",
                unparse(registry::generate(schema_dir, bundle, RUNTIME))?
            ),
        },
        GeneratedFile {
            path: "types.rs".into(),
            contents: format!(
                "{header}//! Types generated from the JSON Schemas in `schemas/{schema_dir}` and `schemas/common`.\n\
                 #![allow(clippy::all, clippy::pedantic, missing_docs, unused_imports, irrefutable_let_patterns)]\n\n{types}"
            ),
        },
    ])
}

/// The `x-crm-rust-name` of each property of `schema` that has one: wire name → Rust name.
fn pinned_field_names(schema: &serde_json::Value) -> std::collections::BTreeMap<String, String> {
    schema
        .get("properties")
        .and_then(serde_json::Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(wire, p)| {
            let name = p.get("x-crm-rust-name")?.as_str()?;
            Some((wire.clone(), name.to_owned()))
        })
        .collect()
}
