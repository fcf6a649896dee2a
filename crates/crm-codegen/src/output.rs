//! Generated files in memory, formatting, and comparing them with (or writing them to) disk.

use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use serde_json::Value;

use crate::error::{Result, err};

/// One generated file: where it goes, relative to the output folder, and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedFile {
    /// The path relative to the output folder (`types.rs`), with `/` separators.
    pub path: String,
    /// The file's text (starts with the `// @generated ... DO NOT EDIT.` line).
    pub contents: String,
}

impl GeneratedFile {
    /// Whether the file at `path` holds exactly these contents (line endings aside).
    pub fn is_current(&self, path: &Path) -> bool {
        std::fs::read_to_string(path)
            .ok()
            .is_some_and(|current| current.replace("\r\n", "\n") == self.contents)
    }

    /// Writes the contents to `path` (creating folders) unless they are there already; returns
    /// whether it wrote.
    pub fn write_if_changed(&self, path: &Path) -> Result<bool> {
        if self.is_current(path) {
            return Ok(false);
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| err!("cannot create {}: {e}", dir.display()))?;
        }
        std::fs::write(path, &self.contents)
            .map_err(|e| err!("cannot write {}: {e}", path.display()))?;
        Ok(true)
    }
}

/// Compares `files` with the folder `dir`: the files that differ or are missing, then the
/// files of `dir` that are not among `files` (stale leftovers), as paths under `dir`. With
/// `write`, brings the folder up to date (writes the differing files, removes the leftovers).
pub fn sync_dir(dir: &Path, files: &[GeneratedFile], write: bool) -> Result<Vec<PathBuf>> {
    let mut stale = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut leftovers: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                p.is_file() && !files.iter().any(|f| f.path == name)
            })
            .collect();
        leftovers.sort();
        for p in leftovers {
            if write {
                std::fs::remove_file(&p).map_err(|e| err!("cannot remove {}: {e}", p.display()))?;
            }
            stale.push(p);
        }
    }
    for f in files {
        let path = dir.join(&f.path);
        let changed = if write {
            f.write_if_changed(&path)?
        } else {
            !f.is_current(&path)
        };
        if changed {
            stale.push(path);
        }
    }
    Ok(stale)
}

/// The files of `dir` that are not what `files` say (stale, missing, or left over); writes
/// nothing. `sync_dir(dir, files, false)`.
pub fn check(dir: &Path, files: &[GeneratedFile]) -> Result<Vec<PathBuf>> {
    sync_dir(dir, files, false)
}

/// Brings `dir` up to date with `files` and returns what it changed. `sync_dir(dir, files, true)`.
pub fn write(dir: &Path, files: &[GeneratedFile]) -> Result<Vec<PathBuf>> {
    sync_dir(dir, files, true)
}

/// Formats tokens as a Rust file with prettyplease (pinned, so the text depends on nothing
/// installed on the machine).
pub(crate) fn unparse(tokens: TokenStream) -> Result<String> {
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| err!("generated code does not parse: {e}"))?;
    Ok(prettyplease::unparse(&file))
}

/// JSON text as the generator writes it: two-space indent, keys in the map's order, final
/// newline.
pub fn pretty_json(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}
