//! The code generator of the CRM SDKs as a library: JSON Schemas in, formatted Rust files out,
//! in memory. `cargo xtask codegen` generates the vendor crates with it, the `crm codegen`
//! command and a user's `build.rs` generate a tenant's typed objects with it (the way
//! progenitor offers a CLI, a build script and a macro over one generator).
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use crm_codegen::{Generator, Vendor, tenant};
//!
//! // A tenant folder as `crm fxiaoke schema pull` writes it, here from a describe in memory.
//! let describe = serde_json::json!({
//!     "api_name": "object_visit__c",
//!     "display_name": "拜访",
//!     "fields": {
//!         "_id": { "api_name": "_id", "type": "text", "label": "数据ID" },
//!         "amount__c": { "api_name": "amount__c", "type": "currency", "label": "金额" },
//!         "level__c": { "api_name": "level__c", "type": "select_one", "label": "级别",
//!             "options": [{ "label": "重要", "value": "h3mB6wAoj" }] }
//!     }
//! });
//! let dir = std::env::temp_dir().join(format!("crm-codegen-doc-{}", std::process::id()));
//! let object = tenant::fxiaoke::object_schema(&describe)?;
//! let requested = [("object_visit__c".to_owned(), "Visit".to_owned())].into();
//! tenant::write_pulled(Vendor::Fxiaoke, &dir, &[object], &requested)?;
//!
//! // One module: `pub struct Visit { pub id, pub amount_c, pub level_c, pub extra }`, ...
//! let module = Generator::tenant(Vendor::Fxiaoke, &dir).module()?;
//! assert!(module.contents.starts_with("// @generated"));
//! assert!(module.contents.contains("pub struct Visit"));
//! assert!(module.contents.contains("impl ::fxiaoke_crm::NamedObject for Visit"));
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(()) }
//! ```
//!
//! The pipeline, one module each: [`schema`] (the one schema loader, shared with
//! `cargo xtask drift` and the fixture tests), [`bundle`] (one document per set of folders:
//! typify cannot follow cross-file `$ref`s), `scalars` (vendor scalars and open enums mapped
//! onto runtime types; typify 0.6.2, pinned), `postprocess` (records that decode in one pass,
//! pinned names), `operations` and `registry` (the vendor crates' client methods and type
//! registry), [`names`] (`names.json`), [`tenant`] (metadata to schemas, differences) and
//! [`output`] (formatting with prettyplease, comparing, writing).

// A published crate: every public item is documented (the workspace only warns).
#![deny(missing_docs)]

pub mod bundle;
mod error;
mod generator;
pub mod names;
pub mod operations;
pub mod output;
mod postprocess;
mod registry;
mod scalars;
pub mod schema;
pub mod tenant;

pub use bundle::{Bundle, Def};
pub use error::{Error, Result};
pub use generator::{Generator, Settings, Vendor};
pub use names::NameBook;
pub use operations::Operation;
pub use output::{GeneratedFile, check, sync_dir, write};
pub use schema::{SchemaFile, SchemaSet};
