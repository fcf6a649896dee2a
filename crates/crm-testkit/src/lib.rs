//! Test support shared by the workspace's tests: the harness ([`bounded`] for every async
//! test, [`fast_retries`], [`strict`], [`records`] builders, [`TempDir`] scratch directories
//! that never outlive their test; each vendor's mock crate adds an `unlimited_client()`) and
//! the documented-example suite of the vendor crates.
//!
//! The documented-example suite:
//!
//! For every fixture listed in `fixtures/<vendor>/index.json` it checks that the example
//! 1. validates against its hand-written schema (`schemas/`, with the `jsonschema` crate, offline),
//! 2. decodes into the generated type (a failure names the fixture and the JSON path),
//! 3. matches its committed `insta` snapshot of the decoded value,
//! 4. re-encodes to JSON equal to the fixture (normalisations: the vendor's auth envelope is
//!    split off and added back, and a `null` member reads as absent),
//! 5. validates against the schema `schemars` derives from the generated type,
//!
//! and, per payload type, that malformed inputs (truncated JSON, a wrong type, a missing
//! required field) fail with a path-bearing error and never panic.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crm_runtime::DecodeError;
use crm_runtime::registry::Decoded;
use crm_runtime::{RateLimits, RetryPolicy, TransportOptions};
use serde_json::{Map, Value, json};

pub mod records;

/// How long one async test may take by default ([`bounded`]).
pub const TIME_LIMIT: Duration = Duration::from_secs(30);

/// Runs `f`, failing the test if it takes longer than [`TIME_LIMIT`]: a client or mock bug
/// that leaves a stream waiting fails the test instead of hanging the run.
pub async fn bounded<T>(f: impl Future<Output = T>) -> T {
    bounded_for(TIME_LIMIT, f).await
}

/// Runs `f`, failing the test if it takes longer than `limit`.
pub async fn bounded_for<T>(limit: Duration, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(limit, f).await {
        Ok(value) => value,
        Err(_) => panic!("the test did not finish within {limit:?}"),
    }
}

/// Four attempts with millisecond backoffs: retries are exercised without slowing tests down.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(4)
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(5))
        .with_max_total_backoff(Duration::from_secs(1))
}

/// Checks the transport defaults every vendor README documents: 10 s to connect, 60 s an
/// attempt, responses up to 64 MiB, 4 attempts backing off from 200 ms to 5 s with at most
/// 30 s of delays in all, no overall deadline and no recording. Panics on the first that
/// differs.
pub fn assert_documented_transport_defaults(config: &crm_runtime::TransportConfig) {
    assert_eq!(config.connect_timeout, Duration::from_secs(10), "connect");
    assert_eq!(
        config.request_timeout,
        Duration::from_secs(60),
        "per attempt"
    );
    assert_eq!(config.max_response_bytes, 64 * 1024 * 1024, "response cap");
    let retry = &config.retry;
    assert_eq!(
        (
            retry.max_attempts,
            retry.initial_backoff,
            retry.max_backoff,
            retry.max_total_backoff
        ),
        (
            4,
            Duration::from_millis(200),
            Duration::from_secs(5),
            Duration::from_secs(30)
        ),
        "retries"
    );
    assert_eq!(config.call_deadline, None, "no overall deadline");
    assert_eq!(config.record_dir, None, "no recording");
}

/// `builder` without a client-side rate limit and without retries: the first answer, or the
/// first failure, is the result (for tests of what a failure looks like, or of the server's
/// own limits).
pub fn strict<B: TransportOptions>(builder: B) -> B {
    builder
        .with_rate_limits(RateLimits::off())
        .with_retry_policy(RetryPolicy::none())
}

/// Decodes `wire` the way the clients do and checks that it re-encodes to the same JSON (odd
/// but legal values are kept as sent).
pub fn roundtrip<T: serde::de::DeserializeOwned + serde::Serialize>(wire: Value) -> T {
    let decoded: T = crm_runtime::decode::from_str(&wire.to_string())
        .unwrap_or_else(|e| panic!("does not decode: {e}"));
    assert_eq!(
        serde_json::to_value(&decoded).unwrap_or_else(|e| panic!("does not re-encode: {e}")),
        wire,
        "re-encodes differently"
    );
    decoded
}

/// Asserts that none of `secrets` occurs in any of `texts` (output, logs, recordings).
pub fn assert_no_secret<'a>(secrets: impl IntoIterator<Item = &'a str>, texts: &[String]) {
    for secret in secrets {
        for text in texts {
            assert!(
                !text.contains(secret),
                "secret {secret:?} leaked into: {text:.500}"
            );
        }
    }
}

/// A compile-time check that `value` (a future, a stream) is `Send`; it is dropped unpolled.
pub fn assert_send<T: Send>(_value: T) {}

/// A compile-time check that `T` is `Send` and `Sync`.
pub fn assert_send_sync<T: Send + Sync>() {}

/// An empty directory under the system temp dir, named `crm-<tag>-<random>` (unique even
/// among tests that run at once in one process), removed with everything in it when dropped,
/// whether the test passed or panicked. It derefs to its [`Path`].
#[derive(Debug)]
pub struct TempDir(tempfile::TempDir);

impl TempDir {
    /// Creates the directory (panics if the temp dir is not writable: a broken test machine).
    pub fn new(tag: &str) -> Self {
        match tempfile::Builder::new()
            .prefix(&format!("crm-{tag}-"))
            .tempdir()
        {
            Ok(dir) => Self(dir),
            Err(e) => panic!("cannot create a temp dir for {tag}: {e}"),
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        self.path()
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        self.path()
    }
}

/// The documented-example tests of a vendor crate, `documented_examples_round_trip` (see
/// [`run_fixture_suite`], snapshots under the caller's `tests/snapshots/`) and
/// `malformed_payloads_fail_with_a_path` (see [`run_malformed_suite`]), for the fixtures and
/// schemas of `vendor` and the generated registry of the crate `krate`. Invoke it at the top
/// level of a test file; the caller needs `insta` as a dev-dependency.
#[macro_export]
macro_rules! fixture_tests {
    ($vendor:literal, $krate:ident) => {
        const REGISTRY: $crate::TypeRegistry = $crate::TypeRegistry {
            decode_roundtrip: $krate::registry::decode_roundtrip,
            derived_schema: $krate::registry::derived_schema,
        };

        #[test]
        fn documented_examples_round_trip() {
            $crate::run_fixture_suite($vendor, $vendor, REGISTRY, |name, decoded| {
                ::insta::assert_snapshot!(name, decoded);
            });
        }

        #[test]
        fn malformed_payloads_fail_with_a_path() {
            let checked = $crate::run_malformed_suite($vendor, $vendor, REGISTRY);
            assert!(checked >= 3, "only {checked} malformed inputs were checked");
        }
    };
}

/// The generated registry functions of one vendor crate.
#[derive(Clone, Copy)]
pub struct TypeRegistry {
    /// `generated::registry::decode_roundtrip`.
    pub decode_roundtrip: fn(&str, &str) -> Option<Result<Decoded, DecodeError>>,
    /// `generated::registry::derived_schema`.
    pub derived_schema: fn(&str) -> Option<schemars::Schema>,
}

/// Every file of `dir` (not recursing) as `(name, text)`, by name: for comparing a generated
/// folder with a committed one.
pub fn files_of(dir: &Path) -> Vec<(String, String)> {
    let read =
        |p: &Path| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let p = e
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path();
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, read(&p))
        })
        .collect();
    out.sort();
    out
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One entry of `fixtures/<vendor>/index.json`.
#[derive(Clone, Debug)]
pub struct Fixture {
    /// File name.
    pub file: String,
    /// Schema type of the file (without the envelope).
    pub type_name: String,
    /// Schema type of the vendor's auth keys found in the file.
    pub envelope: Option<String>,
    /// `json`, `query` or `headers`.
    pub format: String,
    /// JSON pointer → typed record type.
    pub parts: Vec<(String, String)>,
    /// The raw text.
    pub text: String,
}

impl Fixture {
    /// The fixture as JSON (a query string becomes an object of strings).
    pub fn value(&self) -> Result<Value, String> {
        if self.format == "query" {
            let map: Map<String, Value> = url::form_urlencoded::parse(self.text.trim().as_bytes())
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect();
            return Ok(Value::Object(map));
        }
        serde_json::from_str(&self.text).map_err(|e| format!("{}: not JSON: {e}", self.file))
    }
}

/// Reads a vendor's fixture index and files.
pub fn load_fixtures(vendor: &str) -> Vec<Fixture> {
    let dir = repo_root().join("fixtures").join(vendor);
    let index = std::fs::read_to_string(dir.join("index.json"))
        .unwrap_or_else(|e| panic!("fixtures/{vendor}/index.json: {e}"));
    let index: Vec<Value> = serde_json::from_str(&index)
        .unwrap_or_else(|e| panic!("fixtures/{vendor}/index.json: {e}"));
    index
        .into_iter()
        .map(|e| {
            let s = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_owned);
            let file = s("file")
                .unwrap_or_else(|| panic!("fixtures/{vendor}/index.json: an entry without file"));
            let text = std::fs::read_to_string(dir.join(&file))
                .unwrap_or_else(|err| panic!("fixtures/{vendor}/{file}: {err}"));
            let parts = e
                .get("parts")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(p, t)| (p.clone(), t.as_str().unwrap_or_default().to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            Fixture {
                type_name: s("type")
                    .unwrap_or_else(|| panic!("fixtures/{vendor}/index.json: {file} has no type")),
                envelope: s("envelope"),
                format: s("format").unwrap_or_else(|| "json".into()),
                parts,
                text,
                file,
            }
        })
        .collect()
}

/// The hand-written schemas of a vendor (plus `common/`), keyed by their `$id`.
pub struct Schemas {
    docs: Vec<(String, Value)>,
    /// Definition name → (document `$id`, schema).
    defs: Vec<(String, String, Value)>,
}

impl Schemas {
    /// Loads `schemas/common/*.json` and `schemas/<dir>/*.json` (not `operations.json`) with the
    /// generator's own loader ([`crm_codegen::SchemaSet`]).
    pub fn load(dir: &str) -> Self {
        let set = crm_codegen::SchemaSet::load(
            &repo_root(),
            &[Path::new("schemas/common"), &Path::new("schemas").join(dir)],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut docs = Vec::new();
        let mut defs = Vec::new();
        for f in set.files() {
            let id =
                f.id.clone()
                    .unwrap_or_else(|| panic!("{} has no $id", f.display));
            if let Some(d) = f.doc.get("$defs").and_then(Value::as_object) {
                for (name, schema) in d {
                    defs.push((name.clone(), id.clone(), schema.clone()));
                }
            }
            docs.push((id, f.doc.clone()));
        }
        Self { docs, defs }
    }

    /// The document `$id` and schema of a definition.
    pub fn def(&self, name: &str) -> Option<(&str, &Value)> {
        self.defs
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, id, s)| (id.as_str(), s))
    }

    /// Follows a local or cross-file `$ref` to its definition.
    pub fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.rsplit('/').next().unwrap_or_default();
                self.def(name)
                    .map(|(_, s)| self.resolve(s))
                    .unwrap_or(schema)
            }
            None => schema,
        }
    }

    /// Validates `value` against definition `name`; the errors with their instance paths.
    pub fn validate(&self, name: &str, value: &Value) -> Result<(), Vec<String>> {
        let (id, _) = self
            .def(name)
            .ok_or_else(|| vec![format!("no schema definition `{name}`")])?;
        let mut registry = jsonschema::Registry::new();
        for (doc_id, doc) in &self.docs {
            registry = registry
                .add(doc_id.as_str(), doc.clone())
                .map_err(|e| vec![format!("schema {doc_id}: {e}")])?;
        }
        let registry = registry
            .prepare()
            .map_err(|e| vec![format!("schema registry: {e}")])?;
        let root = json!({ "$ref": format!("{id}#/$defs/{name}") });
        let validator = jsonschema::options()
            .offline()
            .with_registry(&registry)
            .build(&root)
            .map_err(|e| vec![format!("cannot compile the schema of {name}: {e}")])?;
        check(&validator, value)
    }
}

/// Validates `value` against a schema derived by `schemars` (offline).
pub fn validate_derived(schema: &schemars::Schema, value: &Value) -> Result<(), Vec<String>> {
    let validator = jsonschema::options()
        .offline()
        .build(schema.as_value())
        .map_err(|e| vec![format!("derived schema does not compile: {e}")])?;
    check(&validator, value)
}

/// `value` against a compiled `validator`: every error with its instance path.
fn check(validator: &jsonschema::Validator, value: &Value) -> Result<(), Vec<String>> {
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("at {}: {}", e.instance_path(), e))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Drops `null` members (the documented normalisation: every vendor here treats a `null`
/// member as absent, and the generated `Option`s re-encode it as absent).
pub fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// The first path where two JSON values differ.
pub fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                let p = format!("{path}/{k}");
                match (x.get(k), y.get(k)) {
                    (Some(va), Some(vb)) => {
                        if let Some(d) = first_difference(va, vb, &p) {
                            return Some(d);
                        }
                    }
                    (va, vb) => return Some(format!("{p}: {va:?} vs {vb:?}")),
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (va, vb))| first_difference(va, vb, &format!("{path}/{i}"))),
        _ if a == b => None,
        _ => Some(format!("{path}: {a} vs {b}")),
    }
}

/// Splits the envelope's keys (the properties of the envelope type) off a fixture.
fn split_envelope(
    schemas: &Schemas,
    envelope: &str,
    value: &Value,
) -> Result<(Value, Value), String> {
    let (_, schema) = schemas
        .def(envelope)
        .ok_or_else(|| format!("no envelope type {envelope}"))?;
    let keys: Vec<&String> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().collect())
        .unwrap_or_default();
    let obj = value
        .as_object()
        .ok_or("an enveloped fixture must be an object")?;
    let (env, rest): (Map<String, Value>, Map<String, Value>) = obj
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .partition(|(k, _)| keys.contains(&k));
    Ok((Value::Object(env), Value::Object(rest)))
}

/// Checks one value of one type through steps 1, 2, 4 and 5; returns the decoded `Debug`.
fn check_value(
    schemas: &Schemas,
    registry: TypeRegistry,
    label: &str,
    type_name: &str,
    value: &Value,
) -> Result<String, String> {
    schemas.validate(type_name, value).map_err(|e| {
        format!(
            "{label}: does not validate against its hand-written schema {type_name}:\n  {}",
            e.join("\n  ")
        )
    })?;
    let text = value.to_string();
    let decoded = (registry.decode_roundtrip)(type_name, &text)
        .ok_or_else(|| format!("{label}: no generated type named {type_name}"))?
        .map_err(|e| format!("{label}: does not decode into {type_name}: {e}"))?;
    let expected = without_nulls(value);
    if let Some(diff) = first_difference(&expected, &without_nulls(&decoded.reencoded), "") {
        return Err(format!(
            "{label}: re-encodes differently as {type_name} at {diff}"
        ));
    }
    let derived = (registry.derived_schema)(type_name)
        .ok_or_else(|| format!("{label}: no derived schema for {type_name}"))?;
    validate_derived(&derived, value).map_err(|e| {
        format!(
            "{label}: does not validate against the schemars schema of {type_name}:\n  {}",
            e.join("\n  ")
        )
    })?;
    Ok(decoded.debug)
}

/// Runs the suite over every fixture of a vendor; `snapshot(name, text)` is the vendor test's
/// `insta::assert_snapshot!` (so that snapshots live in the vendor crate). All fixtures are
/// checked before it panics with every failure listed.
pub fn run_fixture_suite(
    vendor: &str,
    schema_dir: &str,
    registry: TypeRegistry,
    snapshot: impl Fn(&str, &str),
) {
    let schemas = Schemas::load(schema_dir);
    let fixtures = load_fixtures(vendor);
    assert!(!fixtures.is_empty(), "fixtures/{vendor}: no fixtures");
    let mut failures = Vec::new();
    let mut snapshots = Vec::new();
    for f in &fixtures {
        let label = format!("fixtures/{vendor}/{}", f.file);
        let result = (|| -> Result<String, String> {
            let value = f.value()?;
            let (envelope_debug, body) = match &f.envelope {
                Some(env) => {
                    let (e, rest) = split_envelope(&schemas, env, &value)?;
                    (
                        Some(check_value(&schemas, registry, &label, env, &e)?),
                        rest,
                    )
                }
                None => (None, value.clone()),
            };
            let mut out = check_value(&schemas, registry, &label, &f.type_name, &body)?;
            if let Some(env) = envelope_debug {
                out = format!(
                    "envelope {}:\n{env}\n\n{}:\n{out}",
                    f.envelope.as_deref().unwrap_or(""),
                    f.type_name
                );
            }
            for (pointer, ty) in &f.parts {
                let part = value
                    .pointer(pointer)
                    .ok_or_else(|| format!("{label}: no value at {pointer}"))?;
                let debug =
                    check_value(&schemas, registry, &format!("{label}#{pointer}"), ty, part)?;
                out.push_str(&format!("\n\npart {pointer} as {ty}:\n{debug}"));
            }
            Ok(out)
        })();
        match result {
            Ok(debug) => snapshots.push((f.file.replace('.', "_"), debug)),
            Err(e) => failures.push(e),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures failed:\n{}",
        failures.len(),
        fixtures.len(),
        failures.join("\n")
    );
    for (name, debug) in snapshots {
        snapshot(&name, &debug);
    }
}

/// Malformed variants of each fixture's payload type must fail with a path-bearing
/// [`DecodeError`] and never panic: truncated JSON, a wrong type at a typed property, a missing
/// required property. Returns how many malformed inputs were checked.
pub fn run_malformed_suite(vendor: &str, schema_dir: &str, registry: TypeRegistry) -> usize {
    let schemas = Schemas::load(schema_dir);
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut seen = std::collections::BTreeSet::new();
    for f in load_fixtures(vendor) {
        if f.format != "json" || !seen.insert(f.type_name.clone()) {
            continue;
        }
        let Ok(value) = f.value() else { continue };
        let body = match &f.envelope {
            Some(env) => match split_envelope(&schemas, env, &value) {
                Ok((_, rest)) => rest,
                Err(_) => continue,
            },
            None => value,
        };
        let ty = f.type_name.as_str();
        let decode = |text: &str| {
            std::panic::catch_unwind(|| (registry.decode_roundtrip)(ty, text))
                .map_err(|_| format!("{ty}: decoding panicked on {text:.80}"))
                .and_then(|r| r.ok_or_else(|| format!("no type {ty}")))
        };
        // Truncated JSON.
        let text = body.to_string();
        let cut = &text[..text
            .char_indices()
            .nth(text.chars().count() / 2)
            .map_or(0, |(i, _)| i)];
        checked += 1;
        match decode(cut) {
            Ok(Err(_)) => {}
            Ok(Ok(_)) => failures.push(format!("{}: truncated {ty} decoded without error", f.file)),
            Err(e) => failures.push(e),
        }
        let Some(schema) = schemas.def(ty).map(|(_, s)| schemas.resolve(s)) else {
            continue;
        };
        let props = schema
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        // A wrong type at a property the fixture has and the schema types as a string/object.
        let typed = props.iter().find(|(k, p)| {
            let p = schemas.resolve(p);
            body.get(k.as_str()).is_some()
                && matches!(
                    p.get("type").and_then(Value::as_str),
                    Some("string" | "object" | "integer")
                )
        });
        if let Some((key, _)) = typed {
            let mut bad = body.clone();
            bad[key.as_str()] = json!([[true]]);
            checked += 1;
            match decode(&bad.to_string()) {
                Ok(Err(e)) if e.path.contains(key.as_str()) => {}
                Ok(Err(e)) => failures.push(format!(
                    "{}: wrong type at {key}: error path is `{}`: {e}",
                    f.file, e.path
                )),
                Ok(Ok(_)) => failures.push(format!("{}: {ty} accepted [[true]] at {key}", f.file)),
                Err(e) => failures.push(e),
            }
        }
        // A missing required, non-nullable property.
        let required = schema
            .get("required")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let non_nullable = required.iter().filter_map(Value::as_str).find(|k| {
            let p = props.get(*k).map(|p| schemas.resolve(p));
            !p.and_then(|p| p.get("type"))
                .is_some_and(|t| t.as_array().is_some_and(|a| a.contains(&json!("null"))))
        });
        if let Some(key) = non_nullable {
            let mut bad = body.clone();
            if let Some(m) = bad.as_object_mut() {
                m.remove(key);
            }
            checked += 1;
            match decode(&bad.to_string()) {
                Ok(Err(e)) if e.message.contains(key) => {}
                Ok(Err(e)) => failures.push(format!(
                    "{}: missing {key}: error does not name it: {e}",
                    f.file
                )),
                Ok(Ok(_)) => {
                    failures.push(format!("{}: {ty} decoded without required {key}", f.file))
                }
                Err(e) => failures.push(e),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "malformed inputs:\n{}",
        failures.join("\n")
    );
    checked
}

/// Everything logged through `tracing` at TRACE level while installed, for asserting that no
/// secret reaches a log line.
#[derive(Clone, Default)]
pub struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + 'static {
        let writer = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish()
    }

    /// Captures this thread's events until the guard drops (enough for a current-thread
    /// runtime, where the client, its streams and an in-process mock all run on one thread).
    pub fn for_this_thread() -> (Self, tracing::subscriber::DefaultGuard) {
        let logs = Self::default();
        let guard = tracing::subscriber::set_default(logs.subscriber());
        (logs, guard)
    }

    /// Captures every thread's events for the rest of the process (for a test alone in its
    /// binary). Panics if a global subscriber is already set.
    pub fn globally() -> Self {
        let logs = Self::default();
        if tracing::subscriber::set_global_default(logs.subscriber()).is_err() {
            panic!("a global tracing subscriber is already installed");
        }
        logs
    }

    /// The text logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

#[cfg(test)]
mod harness_tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    #[should_panic(expected = "did not finish within 1s")]
    async fn a_test_that_hangs_fails_instead_of_hanging() {
        bounded_for(Duration::from_secs(1), std::future::pending::<()>()).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_test_that_finishes_gets_its_value() {
        assert_eq!(bounded(async { 7 }).await, 7);
    }

    #[test]
    fn payments_are_numbered_and_take_one_of_distinct_amounts() {
        let amounts: std::collections::BTreeSet<String> = (0..100)
            .map(|i| records::fxiaoke_payment(i, 3)["payment_amount"].to_string())
            .collect();
        assert_eq!(amounts.len(), 3);
        assert_eq!(records::fxiaoke_payment(7, 1)["remark"], "第7笔");
    }

    #[test]
    fn temp_dirs_are_distinct_and_removed_with_their_contents_even_after_a_panic() {
        let a = TempDir::new("harness");
        let b = TempDir::new("harness");
        assert_ne!(a.path(), b.path());
        let kept = a.path().to_path_buf();
        std::fs::create_dir_all(a.join("sub")).unwrap();
        std::fs::write(a.join("sub/file"), "x").unwrap();
        drop(a);
        assert!(!kept.exists());

        let in_panicking_test = std::panic::catch_unwind(|| {
            let dir = TempDir::new("harness");
            std::fs::write(dir.join("file"), "x").unwrap();
            std::panic::panic_any(dir.path().to_path_buf());
        });
        let payload = in_panicking_test.unwrap_err();
        let left = payload.downcast_ref::<PathBuf>().unwrap();
        assert!(!left.exists(), "{left:?}");
        assert!(b.exists());
    }
}
