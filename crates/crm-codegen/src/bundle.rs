//! Bundling: every `$defs` entry of a [`SchemaSet`] in one map, with cross-file `$ref`s
//! rewritten to bundle-local ones (typify cannot follow references across files), checked for
//! what typify 0.6.2 cannot generate, and the vendor-quirk definitions picked out:
//! `x-crm-runtime` scalars and `x-crm-open-enum` string sets.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Result, bail, err};
use crate::operations::{self, AuthFlow, Operation};
use crate::schema::{SchemaSet, for_each_subschema_mut, ptr_token, read_json};

/// Keywords typify 0.6.2 cannot turn into working code (typify issue #895 and its README). They
/// are allowed only inside `x-crm-runtime` and `x-crm-open-enum` definitions, which are not
/// generated.
const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "anyOf",
        "typify 0.6.2 generates broken code for anyOf (typify #895); use a common scalar (schemas/README.md §4), an x-crm-open-enum, or oneOf",
    ),
    (
        "allOf",
        "typify merges allOf unreliably; repeat the properties instead",
    ),
    ("if", "typify panics on if/then/else"),
    ("then", "typify panics on if/then/else"),
    ("else", "typify panics on if/then/else"),
    ("not", "typify cannot generate a useful type for not"),
];

/// One definition with where it came from.
#[derive(Clone, Debug)]
pub struct Def {
    /// The file it is defined in, relative to the schema set's root.
    pub file: PathBuf,
    /// The schema, its `$ref`s rewritten to `#/$defs/Name`.
    pub schema: Value,
}

/// The definitions of a schema set, bundled.
#[derive(Clone, Debug)]
pub struct Bundle {
    /// Definitions by name (refs rewritten to `#/$defs/Name`), including the `<Name>Known` enum
    /// made for each open enum.
    pub defs: BTreeMap<String, Def>,
    /// `x-crm-runtime` definitions: definition name → runtime type name (`LenientDecimal`).
    pub runtime: BTreeMap<String, String>,
    /// `x-crm-open-enum` definitions: definition name → the name of its closed enum of known
    /// values (`<Name>Known`).
    pub open_enums: BTreeMap<String, String>,
    /// The operations (`operations.json`), if the set has an operation list.
    pub operations: Vec<Operation>,
    /// The auth flows `operations.json` declares (top-level `authFlows`); empty for a vendor
    /// with one way of authenticating.
    pub auth_flows: Vec<AuthFlow>,
}

impl Bundle {
    /// Bundles `set`, reporting the first problem with file and JSON pointer; with `operations`
    /// (an `operations.json` relative to the set's root), loads and checks the operations too.
    pub fn load(set: &SchemaSet, operations: Option<&Path>) -> Result<Bundle> {
        let root = set.root();
        // Every file by its canonical path, for resolving references.
        let mut docs: BTreeMap<PathBuf, &Value> = BTreeMap::new();
        for f in set.files() {
            docs.insert(canonical(&f.path, &f.display)?, &f.doc);
        }

        let mut defs: BTreeMap<String, Def> = BTreeMap::new();
        for f in set.files() {
            let Some(file_defs) = f.doc.get("$defs").and_then(Value::as_object) else {
                bail!("{}: no top-level \"$defs\" object", f.display);
            };
            let walk = Walk {
                set,
                docs: &docs,
                file: &f.path,
                display: &f.display,
            };
            for (name, schema) in file_defs {
                let mut schema = schema.clone();
                let pointer = format!("/$defs/{}", ptr_token(name));
                let marked = schema.get("x-crm-runtime").is_some()
                    || schema.get("x-crm-open-enum").is_some();
                walk.check_and_rewrite(&pointer, &mut schema, marked)?;
                if let Some(prev) = defs.get(name) {
                    bail!(
                        "{}: {pointer}: duplicate definition name `{name}`, also defined in {} (names must be unique across {})",
                        f.display,
                        prev.file.display(),
                        set.dirs().join(" and ")
                    );
                }
                defs.insert(
                    name.clone(),
                    Def {
                        file: f.path.strip_prefix(root).unwrap_or(&f.path).to_path_buf(),
                        schema,
                    },
                );
            }
        }

        // Runtime scalars and open enums are not generated as they are.
        let mut runtime = BTreeMap::new();
        let mut open_enums = BTreeMap::new();
        let mut synthesized = Vec::new();
        for (name, def) in &defs {
            let pointer = format!("/$defs/{}", ptr_token(name));
            if let Some(rt) = def.schema.get("x-crm-runtime") {
                let rt = rt.as_str().ok_or_else(|| {
                    err!(
                        "{}: {pointer}/x-crm-runtime: must be a string (a crm_runtime type name)",
                        def.file.display()
                    )
                })?;
                runtime.insert(name.clone(), rt.to_owned());
            } else if def.schema.get("x-crm-open-enum") == Some(&Value::Bool(true)) {
                let values = open_enum_values(&def.schema).ok_or_else(|| {
                    err!(
                        "{}: {pointer}: an x-crm-open-enum needs \"anyOf\": [{{\"enum\": [strings…]}}, {{\"type\": \"string\"}}]",
                        def.file.display()
                    )
                })?;
                let known = format!("{name}Known");
                let description = def
                    .schema
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                synthesized.push((
                    known.clone(),
                    Def {
                        file: def.file.clone(),
                        schema: serde_json::json!({
                            "description": format!("The values of `{name}` that the schema lists. {description}"),
                            "type": "string",
                            "enum": values,
                        }),
                    },
                ));
                open_enums.insert(name.clone(), known);
            }
        }
        for (name, def) in synthesized {
            if let Some(prev) = defs.get(&name) {
                bail!(
                    "{}: definition `{name}` clashes with the enum generated for an x-crm-open-enum in {}",
                    prev.file.display(),
                    def.file.display()
                );
            }
            defs.insert(name, def);
        }

        let (operations, auth_flows) = match operations {
            Some(path) => {
                let full = root.join(path);
                let shown = set.display(&full);
                let doc = read_json(&full, &shown)?;
                operations::load(&shown, &doc, &defs)?
            }
            None => (Vec::new(), Vec::new()),
        };
        Ok(Bundle {
            defs,
            runtime,
            open_enums,
            operations,
            auth_flows,
        })
    }

    /// The definitions that carry `x-crm-api-name` (records of a named vendor object):
    /// API name → definition name.
    pub fn api_names(&self) -> BTreeMap<String, String> {
        self.defs
            .iter()
            .filter_map(|(name, def)| {
                let api = def.schema.get("x-crm-api-name")?.as_str()?;
                Some((api.to_owned(), name.clone()))
            })
            .collect()
    }

    /// Whether `name` is generated as a type of its own (not a runtime scalar or open enum).
    pub fn is_generated(&self, name: &str) -> bool {
        !self.runtime.contains_key(name) && !self.open_enums.contains_key(name)
    }
}

/// The listed values of an open enum (`anyOf[0].enum`, all strings, at least one).
pub fn open_enum_values(schema: &Value) -> Option<&Vec<Value>> {
    schema
        .pointer("/anyOf/0/enum")
        .and_then(Value::as_array)
        .filter(|vs| !vs.is_empty() && vs.iter().all(Value::is_string))
}

fn canonical(path: &Path, display: &str) -> Result<PathBuf> {
    path.canonicalize()
        .map_err(|e| err!("cannot resolve {display}: {e}"))
}

/// One file's walk: checks constructs and rewrites references.
struct Walk<'a> {
    set: &'a SchemaSet,
    docs: &'a BTreeMap<PathBuf, &'a Value>,
    file: &'a Path,
    display: &'a str,
}

impl Walk<'_> {
    /// Checks one definition for constructs typify cannot handle and rewrites its `$ref`s to
    /// bundle-local ones, verifying that each target exists.
    fn check_and_rewrite(&self, pointer: &str, value: &mut Value, marked: bool) -> Result<()> {
        if let Value::Object(map) = value {
            if !marked {
                for (kw, why) in UNSUPPORTED {
                    if map.contains_key(*kw) {
                        bail!(
                            "{}: {pointer}/{kw}: unsupported construct: {why}",
                            self.display
                        );
                    }
                }
            }
            if let Some(r) = map.get("$ref") {
                let r = r
                    .as_str()
                    .ok_or_else(|| err!("{}: {pointer}/$ref: must be a string", self.display))?;
                let name = self.resolve(pointer, r)?;
                map.insert("$ref".into(), Value::String(format!("#/$defs/{name}")));
            }
        }
        let mut result = Ok(());
        for_each_subschema_mut(value, |tokens, child| {
            if result.is_ok() {
                let tokens: Vec<String> = tokens.iter().map(|t| ptr_token(t)).collect();
                result = self.check_and_rewrite(
                    &format!("{pointer}/{}", tokens.join("/")),
                    child,
                    marked,
                );
            }
        });
        result?;
        Ok(())
    }

    /// The definition name `r` points to, after checking that it exists.
    fn resolve(&self, pointer: &str, r: &str) -> Result<String> {
        let display = self.display;
        let root = self.set.root();
        let (target_file, fragment) = r.split_once('#').unwrap_or((r, ""));
        let target_path = if target_file.is_empty() {
            self.file.to_path_buf()
        } else {
            self.file.parent().unwrap_or(root).join(target_file)
        };
        let shown = self.set.display(&target_path);
        let canonical = target_path.canonicalize().map_err(|_| {
            err!("{display}: {pointer}/$ref: `{r}` points to a missing file {shown}")
        })?;
        let doc = self.docs.get(&canonical).ok_or_else(|| {
            err!(
                "{display}: {pointer}/$ref: `{r}` points outside the schema folders ({})",
                self.set.dirs().join(", ")
            )
        })?;
        let name = fragment
            .strip_prefix("/$defs/")
            .filter(|n| !n.contains('/'))
            .ok_or_else(|| {
                err!(
                    "{display}: {pointer}/$ref: `{r}` must point to a definition (`…#/$defs/Name`)"
                )
            })?;
        if doc
            .pointer(&format!("/$defs/{}", ptr_token(name)))
            .is_none()
        {
            bail!("{display}: {pointer}/$ref: `{r}`: {shown} has no definition `{name}`");
        }
        Ok(name.to_owned())
    }
}
