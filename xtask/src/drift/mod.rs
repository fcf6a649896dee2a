//! `cargo xtask drift <file-or-folder>… [--suggest]`: compares recorded exchanges (see
//! `crm_runtime::record` and [`crate::recording`]) with the hand-written schemas.
//!
//! For each recording, the operation is looked up in `schemas/<vendor>/operations.json`; the
//! request (rebuilt as the operation's `input`, see [`crate::recording::request_input`]) is
//! walked alongside the `input` type and the response body alongside the `output` type,
//! following `$ref`s across files (the definitions come from [`crm_codegen::Bundle::load`]).
//! Four kinds of drift are reported:
//!
//! | kind | meaning | absorbed (with `--suggest`) at |
//! |---|---|---|
//! | `unknown-field` | a key that is not in the object's `properties` (reported even where `additionalProperties: {}` lets validation pass) | the object's `properties` |
//! | `type-mismatch` | a value the schema's type does not accept (`LenientDecimal`, `EpochMillis`, … are checked with their own wire forms) | the property's schema |
//! | `new-enum-value` | a string an `x-crm-open-enum` (or a plain `enum`) does not list | the `enum` list |
//! | `missing-required` | a `required` key that is absent | the object's `required` |
//!
//! Rules that keep the noise down:
//! - `null` for a property that is not `required` is no drift: every vendor here treats a `null`
//!   member as absent (fixtures/README.md), and the generated `Option`s decode it as `None`.
//! - `"[redacted]"` is accepted wherever a scalar is expected: the recorder replaced a secret.
//! - Values that came from the URL (query and path parameters) are strings by nature: a string
//!   where the schema wants an integer, number, boolean or a lenient scalar is no drift there.
//! - Responses are checked only for HTTP 2xx with a JSON body (others are listed as notes).
//! - fxiaoke records: where the schema says `ObjectData` (the generic record), the record is
//!   checked against the typed definition whose `x-crm-api-name` matches its object: the
//!   record's own `dataObjectApiName`/`object_describe_api_name`, else the key of the details
//!   map it is in, else the request's `data.dataObjectApiName`. A field of a typed record that
//!   the type does not list (a new custom `__c` field, say) is an `unknown-field`. Records of
//!   objects without a typed definition are checked against `ObjectData`; their unknown fields
//!   are reported too (marked "no typed schema"), but `--suggest` leaves them alone.
//!
//! Each distinct (direction, JSON path, kind) is reported once per recording, with the first
//! value seen as its example; array indices are collapsed to `[*]`.

pub mod patch;
mod schemas;
#[cfg(test)]
mod tests;
mod walk;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use serde_json::{Value, json};

pub use crm_codegen::schema::{ptr_token, ref_name};
pub use schemas::VendorSchemas;

use crate::recording::{self, Loaded, REDACTED, Recording};
use crate::workspace::{VENDORS, Vendor};
use walk::{Raw, Validators, walk_root};

/// How many distinct values a finding keeps for `--suggest`.
const SEEN_CAP: usize = 20;

/// The kind of a drift finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A key the schema does not list in `properties`.
    UnknownField,
    /// A value the schema's type does not accept.
    TypeMismatch,
    /// A string an enum does not list.
    NewEnumValue,
    /// A `required` key that is absent.
    MissingRequired,
}

impl Kind {
    /// The name used in the table.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::UnknownField => "unknown-field",
            Kind::TypeMismatch => "type-mismatch",
            Kind::NewEnumValue => "new-enum-value",
            Kind::MissingRequired => "missing-required",
        }
    }
}

/// Which half of the exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// The request (the operation's `input`).
    Request,
    /// The response body (the operation's `output`).
    Response,
}

impl Direction {
    /// `request` / `response`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Request => "request",
            Direction::Response => "response",
        }
    }
}

/// A place in a schema file: the file (relative to the repository root, e.g.
/// `schemas/fxiaoke/objects.json`) and a JSON pointer into it. Empty for the operation's
/// top-level type itself (nothing to patch there).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SchemaLoc {
    /// Schema file, relative to the repository root.
    pub file: String,
    /// JSON pointer into the file.
    pub pointer: String,
}

impl SchemaLoc {
    fn child(&self, token: &str) -> SchemaLoc {
        SchemaLoc {
            file: self.file.clone(),
            pointer: format!("{}/{}", self.pointer, ptr_token(token)),
        }
    }

    fn def(file: &Path, name: &str) -> SchemaLoc {
        SchemaLoc {
            file: file.display().to_string().replace('\\', "/"),
            pointer: format!("/$defs/{}", ptr_token(name)),
        }
    }
}

/// One drift finding.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The recording file as it was named or found.
    pub file: String,
    /// Its file name.
    pub recording: String,
    /// Vendor (schema folder).
    pub vendor: String,
    /// Operation name.
    pub operation: String,
    /// Request or response.
    pub direction: Direction,
    /// JSON path with array indices collapsed (`data.dataList[*].owner`); `""` is the root.
    pub path: String,
    /// What drifted.
    pub kind: Kind,
    /// Human-readable detail.
    pub detail: String,
    /// The first value seen (`null` for `missing-required`).
    pub example: Value,
    /// Distinct values seen at this path in this recording (at most 20).
    pub seen: Vec<Value>,
    /// Where to absorb it: the object (unknown-field, missing-required), the `enum` array
    /// (new-enum-value) or the value's schema node (type-mismatch).
    pub schema: SchemaLoc,
    /// The `$defs` name the finding is in.
    pub def: String,
    /// The key (unknown-field, missing-required).
    pub key: Option<String>,
    /// For findings inside a record of an object without a typed definition: that object.
    pub untyped_record: Option<String>,
}

impl Finding {
    /// The path for display: `(root)` for the top level.
    pub fn shown_path(&self) -> &str {
        if self.path.is_empty() {
            "(root)"
        } else {
            &self.path
        }
    }

    /// The finding as a JSON object (for `--json`).
    pub fn to_json(&self) -> Value {
        json!({
            "file": self.file,
            "vendor": self.vendor,
            "operation": self.operation,
            "direction": self.direction.as_str(),
            "path": self.shown_path(),
            "kind": self.kind.as_str(),
            "detail": self.detail,
            "example": self.example,
            "schemaFile": self.schema.file,
            "schemaPointer": self.schema.pointer,
        })
    }
}

/// Which wire forms were seen at a schema node (every checked scalar, drifted or not); used by
/// `--suggest` to tell "number and numeric string coexist" (→ `LenientDecimal`/`LenientInt`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Forms {
    /// A JSON integer.
    pub int: bool,
    /// A JSON number with a fraction.
    pub float: bool,
    /// A string holding an integer.
    pub int_str: bool,
    /// A string holding a decimal (not an integer).
    pub dec_str: bool,
    /// Any other string.
    pub other_str: bool,
}

impl Forms {
    /// Adds one value.
    pub fn add(&mut self, v: &Value) {
        match v {
            Value::Number(n) if is_integral(n) => self.int = true,
            Value::Number(_) => self.float = true,
            Value::String(s) if s == REDACTED => {}
            Value::String(s) => match numeric_string(s) {
                Some(true) => self.int_str = true,
                Some(false) => self.dec_str = true,
                None => self.other_str = true,
            },
            _ => {}
        }
    }
}

/// `Some(true)` for an integer string, `Some(false)` for a decimal string, `None` otherwise.
pub fn numeric_string(s: &str) -> Option<bool> {
    let t = s.trim();
    if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c)) {
        return None;
    }
    if t.parse::<i128>().is_ok() {
        return Some(true);
    }
    t.parse::<f64>().ok().map(|_| false)
}

fn is_integral(n: &serde_json::Number) -> bool {
    n.is_i64()
        || n.is_u64()
        || n.as_f64()
            .is_some_and(|f| f.fract() == 0.0 && f.is_finite())
}

/// The JSON Schema type name of a value (`integer` for integral numbers).
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if is_integral(n) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A value shortened for a table cell.
pub fn short(v: &Value, max: usize) -> String {
    let text = v.to_string();
    if text.chars().count() <= max {
        text
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// The result of checking one recording.
#[derive(Debug, Default)]
pub struct Exchange {
    /// Findings, deduplicated.
    pub findings: Vec<Finding>,
    /// Typed records found in the request: JSON pointer → definition.
    pub request_parts: Vec<(String, String)>,
    /// Typed records found in the response body.
    pub response_parts: Vec<(String, String)>,
}

/// Checks recordings against the schemas under a repository root.
pub struct Checker {
    root: PathBuf,
    vendors: BTreeMap<String, VendorSchemas>,
    validators: Validators,
    /// Wire forms seen per schema node, across every recording checked.
    pub observations: BTreeMap<SchemaLoc, Forms>,
    /// Things worth knowing that are not drift (skipped files and responses).
    pub notes: Vec<String>,
}

impl Checker {
    /// A checker reading `root/schemas`.
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            vendors: BTreeMap::new(),
            validators: Validators::default(),
            observations: BTreeMap::new(),
            notes: Vec::new(),
        }
    }

    /// The schemas of a vendor (loaded on first use).
    pub fn vendor(&mut self, name: &str) -> Result<&VendorSchemas> {
        if !self.vendors.contains_key(name) {
            let vendor = Vendor::by_schema_dir(name).ok_or_else(|| {
                let known: Vec<&str> = VENDORS.iter().map(|v| v.schema_dir).collect();
                anyhow!(
                    "unknown vendor `{name}` (expected one of {})",
                    known.join(", ")
                )
            })?;
            let loaded = VendorSchemas::load(&self.root, vendor)?;
            self.vendors.insert(name.to_owned(), loaded);
        }
        self.vendors
            .get(name)
            .ok_or_else(|| anyhow!("vendor `{name}` not loaded"))
    }

    /// Checks one recording. Errors (unknown vendor or operation) name the file.
    pub fn check(&mut self, rec: &Recording) -> Result<Exchange> {
        let shown = rec.path.display().to_string();
        self.vendor(&rec.vendor)
            .map_err(|e| anyhow!("{shown}: {e:#}"))?;
        let s = self
            .vendors
            .get(&rec.vendor)
            .ok_or_else(|| anyhow!("{shown}: vendor `{}` not loaded", rec.vendor))?;
        let op = s.operation(&rec.operation).ok_or_else(|| {
            anyhow!(
                "{shown}: unknown operation `{}` for vendor {} (not in schemas/{}/operations.json)",
                rec.operation,
                rec.vendor,
                rec.vendor
            )
        })?;
        let envelope = recording::envelope(&rec.vendor).filter(|_| op.auth != "none");
        let mut envelope_keys = envelope
            .map(|e| s.property_names(e.def))
            .unwrap_or_default();
        if envelope.is_some() {
            for def in recording::envelope_extras(&rec.vendor) {
                envelope_keys.extend(s.property_names(def));
            }
        }
        let mut templates = vec![op.path.as_str()];
        templates.extend(op.alt_path.as_deref());
        let input = recording::request_input(rec, &templates, envelope, &envelope_keys);
        let hint = rec
            .request_body
            .as_ref()
            .and_then(|b| b.pointer("/data/dataObjectApiName"))
            .and_then(Value::as_str)
            .map(str::to_owned);

        let mut raws: Vec<(Direction, Raw)> = Vec::new();
        let mut exchange = Exchange::default();
        let (req, parts) = walk_root(
            s,
            &mut self.validators,
            &mut self.observations,
            &op.input,
            &input.value,
            &input.from_url,
            hint.clone(),
        );
        raws.extend(req.into_iter().map(|r| (Direction::Request, r)));
        exchange.request_parts = parts;

        match &rec.response {
            Some(resp) if !(200..300).contains(&resp.status) => self.notes.push(format!(
                "{shown}: response not checked: HTTP {}",
                resp.status
            )),
            Some(resp) if resp.body.is_string() => self.notes.push(format!(
                "{shown}: response not checked: the body is not JSON ({})",
                short(&resp.body, 40)
            )),
            Some(resp) => {
                let none = BTreeSet::new();
                let (res, parts) = walk_root(
                    s,
                    &mut self.validators,
                    &mut self.observations,
                    &op.output,
                    &resp.body,
                    &none,
                    hint,
                );
                raws.extend(res.into_iter().map(|r| (Direction::Response, r)));
                exchange.response_parts = parts;
            }
            None => self.notes.push(format!(
                "{shown}: no response recorded ({}); only the request was checked",
                rec.error.as_deref().unwrap_or("no error either")
            )),
        }

        // One finding per (direction, path, kind, schema node), with every distinct value seen.
        let mut index: HashMap<(Direction, String, Kind, SchemaLoc), usize> = HashMap::new();
        for (direction, raw) in raws {
            let key = (direction, raw.path.clone(), raw.kind, raw.schema.clone());
            if let Some(&i) = index.get(&key) {
                let f: &mut Finding = &mut exchange.findings[i];
                if f.seen.len() < SEEN_CAP && !f.seen.contains(&raw.example) {
                    f.seen.push(raw.example);
                }
                continue;
            }
            index.insert(key, exchange.findings.len());
            exchange.findings.push(Finding {
                file: shown.clone(),
                recording: rec.file_name(),
                vendor: rec.vendor.clone(),
                operation: rec.operation.clone(),
                direction,
                path: raw.path,
                kind: raw.kind,
                detail: raw.detail,
                seen: vec![raw.example.clone()],
                example: raw.example,
                schema: raw.schema,
                def: raw.def,
                key: raw.key,
                untyped_record: raw.untyped,
            });
        }
        exchange
            .findings
            .sort_by(|a, b| (a.direction, &a.path, a.kind).cmp(&(b.direction, &b.path, b.kind)));
        Ok(exchange)
    }
}

/// The outcome of `cargo xtask drift`.
#[derive(Debug, Default)]
pub struct Report {
    /// How many recordings were checked.
    pub exchanges: usize,
    /// Every finding, in file order.
    pub findings: Vec<Finding>,
    /// Wire forms seen per schema node.
    pub observations: BTreeMap<SchemaLoc, Forms>,
    /// Notes (skipped files and responses).
    pub notes: Vec<String>,
}

/// Checks every recording named by `paths` (files, or folders walked for `*.json`) against
/// the schemas under `root`. JSON files without a `"recording"` key are skipped when found in
/// a folder and an error when named directly.
pub fn run(root: &Path, paths: &[PathBuf]) -> Result<Report> {
    let mut checker = Checker::new(root);
    let mut report = Report::default();
    let named: BTreeSet<&PathBuf> = paths.iter().collect();
    for file in recording::collect_files(paths)? {
        let rec = match recording::load(&file)? {
            Loaded::Recording(r) => r,
            Loaded::NotARecording if named.contains(&file) => {
                return Err(anyhow!(
                    "{}: not a recording (no \"recording\" key)",
                    file.display()
                ));
            }
            Loaded::NotARecording => {
                checker
                    .notes
                    .push(format!("{}: skipped, not a recording", file.display()));
                continue;
            }
        };
        let exchange = checker.check(&rec)?;
        report.exchanges += 1;
        report.findings.extend(exchange.findings);
    }
    if report.exchanges == 0 {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(anyhow!("no recordings found in {}", shown.join(", ")));
    }
    report.observations = checker.observations;
    report.notes = checker.notes;
    Ok(report)
}

/// The findings as one table: file | operation | direction | JSON path | kind | detail.
pub fn render_table(findings: &[Finding]) -> String {
    let header = [
        "file",
        "operation",
        "direction",
        "JSON path",
        "kind",
        "detail",
    ];
    let rows: Vec<[String; 6]> = findings
        .iter()
        .map(|f| {
            [
                f.file.clone(),
                f.operation.clone(),
                f.direction.as_str().to_owned(),
                f.shown_path().to_owned(),
                f.kind.as_str().to_owned(),
                f.detail.clone(),
            ]
            .map(|c| c.replace('|', "\\|").replace('\n', " "))
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    // The last column is not padded (it is the long one).
    widths[5] = 0;
    let line = |cells: &[String]| -> String {
        let mut s = String::from("|");
        for (c, w) in cells.iter().zip(widths) {
            let pad = w.saturating_sub(c.chars().count());
            let _ = write!(s, " {c}{} |", " ".repeat(pad));
        }
        s.push('\n');
        s
    };
    let mut out = line(&header.map(str::to_owned));
    let sep: Vec<String> = widths.iter().map(|w| "-".repeat((*w).max(3))).collect();
    out.push_str(&line(&sep));
    for r in &rows {
        out.push_str(&line(r));
    }
    out
}

/// A one-line summary.
pub fn summary(report: &Report) -> String {
    if report.findings.is_empty() {
        return format!("no drift in {} exchange(s)", report.exchanges);
    }
    let files: BTreeSet<&str> = report.findings.iter().map(|f| f.file.as_str()).collect();
    format!(
        "{} finding(s) in {} of {} exchange(s)",
        report.findings.len(),
        files.len(),
        report.exchanges
    )
}
