//! `cargo xtask codegen [--check]`: `schemas/` → `crates/<vendor>/src/generated/`, through the
//! `crm-codegen` library (which bundles, runs typify, post-processes, emits operations and the
//! registry, and formats); this job only decides where the files go and writes or compares them.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::workspace::VENDORS;

/// The generated files of one vendor crate: path relative to the repository root → contents.
#[cfg(test)]
pub fn generate(root: &Path, vendor: &crate::workspace::Vendor) -> Result<Vec<(PathBuf, String)>> {
    let files = vendor.generator(root).generate()?;
    let dir = vendor.generated_dir();
    Ok(files
        .into_iter()
        .map(|f| (dir.join(&f.path), f.contents))
        .collect())
}

/// Writes (or, with `check`, compares) every generated file, and removes files of a
/// `generated/` folder that codegen no longer writes. Returns the stale files, relative to the
/// repository root.
pub fn run(root: &Path, check: bool) -> Result<Vec<PathBuf>> {
    let mut stale = Vec::new();
    for vendor in VENDORS {
        let files = vendor.generator(root).generate()?;
        let dir = root.join(vendor.generated_dir());
        let changed = if check {
            crm_codegen::check(&dir, &files)?
        } else {
            crm_codegen::write(&dir, &files)?
        };
        for path in changed {
            stale.push(
                path.strip_prefix(root)
                    .map(Path::to_path_buf)
                    .unwrap_or(path),
            );
        }
    }
    if sync_scalars_copy(root, check)? {
        stale.push(PathBuf::from(SCALARS_COPY));
    }
    Ok(stale)
}

/// The shared scalar definitions, the source every vendor schema refers to.
const SCALARS: &str = "schemas/common/scalars.json";
/// crm-codegen's copy of [`SCALARS`] (tenant code generation embeds it; a packaged crate
/// cannot read files outside its folder), kept byte-identical here.
const SCALARS_COPY: &str = "crates/crm-codegen/src/tenant/scalars.json";

/// Whether the copy differs from the source; without `check`, makes it equal.
fn sync_scalars_copy(root: &Path, check: bool) -> Result<bool> {
    let source = std::fs::read(root.join(SCALARS))?;
    let copy = root.join(SCALARS_COPY);
    if std::fs::read(&copy).ok().as_deref() == Some(&source[..]) {
        return Ok(false);
    }
    if !check {
        std::fs::write(&copy, &source)?;
    }
    Ok(true)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// A scratch copy of `schemas/` (and the generated files) to break on purpose.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(tag: &str) -> Self {
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            let dir = std::env::temp_dir().join(format!("codegen-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            for sub in ["common", "fxiaoke", "useasy", "u8"] {
                let from = root.join("schemas").join(sub);
                let to = dir.join("schemas").join(sub);
                std::fs::create_dir_all(&to).unwrap();
                for e in std::fs::read_dir(from).unwrap() {
                    let p = e.unwrap().path();
                    std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
                }
            }
            let copy = dir.join(SCALARS_COPY);
            std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
            std::fs::copy(root.join(SCALARS_COPY), copy).unwrap();
            for v in VENDORS {
                let from = root.join(v.generated_dir());
                let to = dir.join(v.generated_dir());
                std::fs::create_dir_all(&to).unwrap();
                for e in std::fs::read_dir(from).unwrap() {
                    let p = e.unwrap().path();
                    std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
                }
            }
            Self(dir)
        }

        fn edit(&self, file: &str, f: impl FnOnce(&mut Value)) {
            let path = self.0.join("schemas").join(file);
            let mut doc: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            f(&mut doc);
            std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
        }

        fn error(&self) -> String {
            format!("{:#}", run(&self.0, true).unwrap_err())
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn the_committed_code_is_current_and_generation_is_deterministic() {
        let scratch = Scratch::new("same");
        assert!(
            run(&scratch.0, true).unwrap().is_empty(),
            "run `cargo xtask codegen`"
        );
        let a = generate(&scratch.0, &VENDORS[0]).unwrap();
        let b = generate(&scratch.0, &VENDORS[0]).unwrap();
        assert_eq!(a, b);
        assert!(a.iter().all(|(_, text)| {
            text.starts_with("// @generated by cargo xtask codegen from schemas/")
        }));
    }

    #[test]
    fn a_diverging_scalars_copy_makes_the_check_fail_and_a_run_restores_it() {
        let scratch = Scratch::new("scalars");
        let copy = scratch.0.join(SCALARS_COPY);
        std::fs::write(&copy, "{}").unwrap();
        assert_eq!(
            run(&scratch.0, true).unwrap(),
            [PathBuf::from(SCALARS_COPY)]
        );
        assert_eq!(
            run(&scratch.0, false).unwrap(),
            [PathBuf::from(SCALARS_COPY)]
        );
        assert_eq!(
            std::fs::read(&copy).unwrap(),
            std::fs::read(scratch.0.join(SCALARS)).unwrap()
        );
        assert!(run(&scratch.0, true).unwrap().is_empty());
    }

    #[test]
    fn removing_a_field_makes_the_check_fail() {
        let scratch = Scratch::new("removed");
        scratch.edit("u8/contacts.json", |d| {
            d["$defs"]["Contact"]["properties"]
                .as_object_mut()
                .unwrap()
                .remove("native");
        });
        let stale = run(&scratch.0, true).unwrap();
        assert_eq!(
            stale,
            [PathBuf::from("crates/u8-contacts/src/generated/types.rs")]
        );
    }

    #[test]
    fn a_stale_leftover_file_makes_the_check_fail_and_a_run_removes_it() {
        let scratch = Scratch::new("leftover");
        let leftover = scratch.0.join(VENDORS[2].generated_dir()).join("old.rs");
        std::fs::write(&leftover, "// @generated\n").unwrap();
        let expected = [VENDORS[2].generated_dir().join("old.rs")];
        assert_eq!(run(&scratch.0, true).unwrap(), expected);
        assert!(leftover.exists(), "--check writes nothing");
        assert_eq!(run(&scratch.0, false).unwrap(), expected);
        assert!(!leftover.exists());
        assert!(run(&scratch.0, true).unwrap().is_empty());
    }

    #[test]
    fn a_missing_ref_target_names_file_and_pointer() {
        let scratch = Scratch::new("ref");
        scratch.edit("u8/contacts.json", |d| {
            d["$defs"]["Contact"]["properties"]["x"] =
                serde_json::json!({"$ref": "../common/scalars.json#/$defs/Nope"});
        });
        let e = scratch.error();
        assert!(
            e.contains("schemas/u8/contacts.json: /$defs/Contact/properties/x/$ref")
                && e.contains("no definition `Nope`"),
            "{e}"
        );
    }

    #[test]
    fn a_duplicate_definition_names_both_files() {
        let scratch = Scratch::new("dup");
        scratch.edit("u8/contacts.json", |d| {
            d["$defs"]["LenientDecimal"] =
                serde_json::json!({"type": "string", "description": "again"});
        });
        let e = scratch.error();
        assert!(
            e.contains("duplicate definition name `LenientDecimal`")
                && e.contains("schemas/common/scalars.json"),
            "{e}"
        );
    }

    #[test]
    fn an_unsupported_construct_names_file_and_pointer() {
        let scratch = Scratch::new("anyof");
        scratch.edit("useasy/customer.json", |d| {
            d["$defs"]["Customer"]["properties"]["owner"] =
                serde_json::json!({"anyOf": [{"type": "string"}, {"type": "integer"}]});
        });
        let e = scratch.error();
        assert!(e.contains("schemas/useasy/customer.json: /$defs/Customer/properties/owner/anyOf: unsupported construct"), "{e}");
    }

    #[test]
    fn an_operation_with_an_unknown_type_is_rejected() {
        let scratch = Scratch::new("op");
        scratch.edit("fxiaoke/operations.json", |d| {
            d["operations"][0]["output"] = "NoSuchResult".into();
        });
        let e = scratch.error();
        assert!(e.contains("schemas/fxiaoke/operations.json: /operations/0/output: no definition `NoSuchResult`"), "{e}");
    }

    #[test]
    fn auth_flows_must_be_declared_and_their_token_calls_consistent() {
        let scratch = Scratch::new("flows");
        scratch.edit("fxiaoke/operations.json", |d| {
            d["operations"][0]["authFlows"] = serde_json::json!(["legacy", "oauth3"]);
        });
        let e = scratch.error();
        assert!(
            e.contains("schemas/fxiaoke/operations.json: /operations/0/authFlows: `oauth3` is not declared in /authFlows"),
            "{e}"
        );
        let scratch = Scratch::new("flows-missing");
        scratch.edit("fxiaoke/operations.json", |d| {
            d["operations"][0]
                .as_object_mut()
                .unwrap()
                .remove("authFlows");
        });
        let e = scratch.error();
        assert!(e.contains("/operations/0/authFlows: missing"), "{e}");
        let scratch = Scratch::new("flows-token");
        scratch.edit("fxiaoke/operations.json", |d| {
            d["authFlows"]["oauth2"]["token"] = "query_data".into();
        });
        let e = scratch.error();
        assert!(
            e.contains("/authFlows/oauth2/token: the token operation `query_data` must have"),
            "{e}"
        );
        let scratch = Scratch::new("flows-carrier");
        scratch.edit("fxiaoke/operations.json", |d| {
            d["authFlows"]["oauth2"]["in"] = "query".into();
        });
        let e = scratch.error();
        assert!(
            e.contains("/authFlows/oauth2/in: `query` must be body or header"),
            "{e}"
        );
    }

    #[test]
    fn an_unknown_operation_key_value_is_rejected() {
        let scratch = Scratch::new("effect");
        scratch.edit("u8/operations.json", |d| {
            d["operations"][0]["effect"] = "maybe".into();
        });
        let e = scratch.error();
        assert!(
            e.contains(
                "schemas/u8/operations.json: /operations/0/effect: `maybe` must be read or write"
            ),
            "{e}"
        );
    }
}
