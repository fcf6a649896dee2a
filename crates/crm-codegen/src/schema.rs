//! The one schema loader, shared by the generator, `cargo xtask drift` and the fixture test kit:
//! every `*.json` schema file of some folders, read as JSON, with the helpers that walk them.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Result, err};

/// Files of a schema folder that are not schema files: the operation list of a vendor and the
/// pinned Rust names of a tenant folder.
pub const NOT_SCHEMA_FILES: &[&str] = &["operations.json", crate::names::NAMES_FILE];

/// One schema file.
#[derive(Clone, Debug)]
pub struct SchemaFile {
    /// The file as found (under the set's root unless its folder was given absolute).
    pub path: PathBuf,
    /// The path shown in messages: relative to the set's root, with `/` separators.
    pub display: String,
    /// Its `$id`, if it has one.
    pub id: Option<String>,
    /// The document.
    pub doc: Value,
}

/// The schema files of some folders, in folder order and, within a folder, by file name.
#[derive(Clone, Debug)]
pub struct SchemaSet {
    root: PathBuf,
    dirs: Vec<String>,
    files: Vec<SchemaFile>,
}

impl SchemaSet {
    /// Reads every `*.json` file of `dirs` (relative to `root`, or absolute) except
    /// [`NOT_SCHEMA_FILES`]. An unreadable folder or file, or a file that is not JSON, is an
    /// error naming it (with line and column for bad JSON).
    pub fn load<P: AsRef<Path>>(root: &Path, dirs: &[P]) -> Result<Self> {
        let mut files = Vec::new();
        let mut shown = Vec::new();
        for dir in dirs {
            let dir = root.join(dir.as_ref());
            shown.push(display(root, &dir));
            for path in schema_files(&dir)? {
                let display = display(root, &path);
                let doc = read_json(&path, &display)?;
                let id = doc.get("$id").and_then(Value::as_str).map(str::to_owned);
                files.push(SchemaFile {
                    path,
                    display,
                    id,
                    doc,
                });
            }
        }
        Ok(Self {
            root: root.to_path_buf(),
            dirs: shown,
            files,
        })
    }

    /// The root the folders were given relative to.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folders, as shown in messages.
    pub fn dirs(&self) -> &[String] {
        &self.dirs
    }

    /// The files.
    pub fn files(&self) -> &[SchemaFile] {
        &self.files
    }

    /// `path` as shown in messages (relative to the root).
    pub fn display(&self, path: &Path) -> String {
        display(&self.root, path)
    }

    /// The schema of definition `name` (`$defs/<name>` of the first file that has it) and the
    /// file it is in.
    pub fn def(&self, name: &str) -> Option<(&SchemaFile, &Value)> {
        self.files.iter().find_map(|f| {
            f.doc
                .get("$defs")
                .and_then(|d| d.get(name))
                .map(|schema| (f, schema))
        })
    }
}

/// `path` relative to `root`, with `/` separators.
pub fn display(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
        .replace('\\', "/")
}

/// The schema files of one folder, sorted by name.
fn schema_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| err!("cannot list {}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| err!("cannot list {}: {e}", dir.display()))?
            .path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.ends_with(".json") && !NOT_SCHEMA_FILES.contains(&name) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Reads a JSON file; errors say `display` and, for bad JSON, the line and column.
pub fn read_json(path: &Path, display: &str) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| err!("cannot read {display}: {e}"))?;
    serde_json::from_str(&text)
        .map_err(|e| err!("{display}:{}:{}: not valid JSON: {e}", e.line(), e.column()))
}

/// Escapes a JSON pointer token (`~` → `~0`, `/` → `~1`).
pub fn ptr_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Whether the value under keyword `key` is data, not a schema (`enum`, `const`, `examples`,
/// `default`): walks over schemas leave it alone.
pub fn is_data_keyword(key: &str) -> bool {
    matches!(key, "enum" | "const" | "examples" | "default")
}

/// Whether the value under keyword `key` is an object of schemas by name (`properties`,
/// `$defs`, ...): its keys are names, never keywords.
fn is_schema_map_keyword(key: &str) -> bool {
    matches!(
        key,
        "properties" | "$defs" | "definitions" | "patternProperties" | "dependentSchemas"
    )
}

/// Calls `f` with the JSON pointer tokens and the value of every subschema directly under the
/// schema `node` (`["properties", "default"]`, `["items"]`, `["anyOf", "0"]`, ...), leaving out
/// data (`enum`, `const`, `examples`, `default`) and `x-*` extensions. A property named like a
/// keyword (`"default"`) is a schema like any other.
pub fn for_each_subschema_mut(node: &mut Value, mut f: impl FnMut(&[String], &mut Value)) {
    let Value::Object(map) = node else {
        return;
    };
    for (k, v) in map.iter_mut() {
        if is_data_keyword(k) || k.starts_with("x-") {
            continue;
        }
        match v {
            Value::Object(children) if is_schema_map_keyword(k) => {
                for (name, child) in children.iter_mut() {
                    f(&[k.clone(), name.clone()], child);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter_mut().enumerate() {
                    f(&[k.clone(), i.to_string()], child);
                }
            }
            Value::Object(_) => f(std::slice::from_ref(k), v),
            _ => {}
        }
    }
}

/// Drops the `x-*` extension keys and `$schema`/`$id`, leaving plain JSON Schema (for typify and
/// for validating a single node with `jsonschema`). Data (`enum`, `const`, `examples`,
/// `default`) is left as it is.
pub fn strip_extensions(v: &mut Value) {
    if let Value::Object(map) = v {
        map.retain(|k, _| !k.starts_with("x-") && k != "$schema" && k != "$id");
    }
    for_each_subschema_mut(v, |_, child| strip_extensions(child));
}

/// The definition a `$ref` node points to: the last `/$defs/` segment (`…#/$defs/Name` →
/// `Name`), which is also how typify resolves references.
pub fn ref_name(node: &Value) -> Option<&str> {
    node.get("$ref")?.as_str()?.rsplit("/$defs/").next()
}
