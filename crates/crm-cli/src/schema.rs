//! `crm fxiaoke schema pull|diff` and `crm useasy fields pull|diff`: a tenant's metadata (the
//! Fxiaoke describe of each object, the useasy field configuration) as schemas for
//! `crm codegen`, and what changed in the tenant since they were pulled.
//!
//! Pulling writes `<DIR>/<OBJECT>.json`, `<DIR>/common.json` and `<DIR>/names.json` (the Rust
//! names, pinned: a later pull never renames); see `crm_codegen::tenant`. Metadata depends on
//! who asks: describe lists only the fields the operator may see, so pull as a CRM
//! administrator.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use crm_codegen::tenant::{self, Change, PulledObject};
use crm_codegen::{SchemaSet, Vendor};
use serde_json::{Value, json};

use crate::cli::{FieldsCommand, SchemaCommand};
use crate::error::{CliError, CliResult, Exit};
use crate::output::Sink;

/// Runs `crm fxiaoke schema …`.
pub async fn fxiaoke(
    client: &fxiaoke_crm::Client,
    command: SchemaCommand,
    sink: &mut Sink,
) -> CliResult {
    match command {
        SchemaCommand::Pull { objects, out } => {
            let mut pulled = Vec::new();
            let mut requested = BTreeMap::new();
            for arg in &objects {
                let (api, rust) = match arg.split_once('=') {
                    Some((api, rust)) => (api.trim(), Some(rust.trim())),
                    None => (arg.trim(), None),
                };
                if api.is_empty() || rust.is_some_and(str::is_empty) {
                    return Err(CliError::usage(format!(
                        "{arg:?}: expected OBJECT or OBJECT=RustName"
                    )));
                }
                if let Some(rust) = rust {
                    requested.insert(api.to_owned(), rust.to_owned());
                }
                pulled.push(fxiaoke_object(client, api).await?);
            }
            write(Vendor::Fxiaoke, &out, &pulled, &requested, sink)?;
            eprintln!(
                "warning: describe lists only the fields that operator {} may see: fields hidden from them are not in these schemas and not generated (their values are still kept in each record's `extra` map). Pull as a CRM administrator to see every field.",
                operator(client)
            );
            Ok(())
        }
        SchemaCommand::Diff { dir } => {
            let mut changes = Vec::new();
            let objects = pulled_objects(&dir)?;
            for (api, doc) in &objects {
                let fresh = fxiaoke_object(client, api).await?;
                changes.extend(tenant::diff(api, doc, &fresh.schema));
            }
            report(&changes, objects.len(), &dir, "crm fxiaoke schema pull")
        }
    }
}

/// Runs `crm useasy fields …`.
pub async fn useasy(
    client: &openapi_crm::Client,
    command: FieldsCommand,
    sink: &mut Sink,
) -> CliResult {
    match command {
        FieldsCommand::Pull { out, rust_name } => {
            let object = useasy_customer(client).await?;
            let requested = rust_name
                .map(|n| (tenant::useasy::CUSTOMER.to_owned(), n))
                .into_iter()
                .collect();
            write(Vendor::Useasy, &out, &[object], &requested, sink)?;
            eprintln!(
                "warning: the field configuration lists the fields of this account's configuration as it is now; fields added later are not generated until the next pull (their values are still kept in `extra`)."
            );
            Ok(())
        }
        FieldsCommand::Diff { dir } => {
            let objects = pulled_objects(&dir)?;
            let fresh = useasy_customer(client).await?;
            let mut changes = Vec::new();
            for (api, doc) in &objects {
                changes.extend(tenant::diff(api, doc, &fresh.schema));
            }
            report(&changes, objects.len(), &dir, "crm useasy fields pull")
        }
    }
}

/// The operator whose permissions shaped a describe.
fn operator(client: &fxiaoke_crm::Client) -> String {
    match &client.config().operator {
        fxiaoke_crm::Operator::OpenUserId(id) | fxiaoke_crm::Operator::EmployeeId(id) => id.clone(),
        fxiaoke_crm::Operator::Mobile(m) => format!("(mobile {m})"),
    }
}

async fn fxiaoke_object(client: &fxiaoke_crm::Client, api: &str) -> CliResult<PulledObject> {
    let result = client.describe(api).await?;
    let describe = result
        .data
        .and_then(|d| d.describe)
        .ok_or_else(|| CliError::api(format!("fxiaoke describe of {api}: no data.describe")))?;
    let mut value = serde_json::to_value(&describe)
        .map_err(|e| CliError::internal(format!("cannot encode the describe of {api}: {e}")))?;
    // The gateway may omit api_name inside the describe: it is the object asked for.
    if let Value::Object(m) = &mut value {
        m.entry("api_name").or_insert_with(|| json!(api));
    }
    tenant::fxiaoke::object_schema(&value).map_err(|e| CliError::api(format!("{api}: {e}")))
}

async fn useasy_customer(client: &openapi_crm::Client) -> CliResult<PulledObject> {
    let configs = client.refresh_field_configs().await?;
    let values = configs
        .fields()
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::internal(format!("cannot encode the field configuration: {e}")))?;
    tenant::useasy::customer_schema(&values).map_err(|e| CliError::api(e.to_string()))
}

/// Writes the pulled objects and reports each (one record per object, details on stderr).
fn write(
    vendor: Vendor,
    dir: &Path,
    objects: &[PulledObject],
    requested: &BTreeMap<String, String>,
    sink: &mut Sink,
) -> CliResult {
    let written = tenant::write_pulled(vendor, dir, objects, requested)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let names = crm_codegen::NameBook::load(dir, Vec::new())
        .map_err(|e| CliError::internal(e.to_string()))?;
    for o in objects {
        let file = dir.join(o.file_name());
        eprintln!(
            "{}: {} field(s) seen, {} typed{} → {}",
            o.api_name,
            o.fields_seen,
            o.fields_typed,
            if o.skipped.is_empty() {
                String::new()
            } else {
                format!(
                    " ({} left out: {})",
                    o.skipped.len(),
                    o.skipped
                        .iter()
                        .map(|(f, why)| format!("{f}: {why}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            },
            file.display()
        );
        sink.write(json!({
            "object": o.api_name,
            "display_name": o.display_name,
            "type": names.objects.get(&o.api_name).map(|n| n.type_name.clone()),
            "fields_seen": o.fields_seen,
            "fields_typed": o.fields_typed,
            "file": file.display().to_string(),
        }))?;
    }
    eprintln!(
        "{} file(s) written or changed in {}",
        written.len(),
        dir.display()
    );
    Ok(())
}

/// The object schemas of a tenant folder: API name → its schema file.
fn pulled_objects(dir: &Path) -> CliResult<Vec<(String, Value)>> {
    let set = SchemaSet::load(Path::new(""), &[dir]).map_err(|e| CliError::usage(e.to_string()))?;
    let mut objects = Vec::new();
    for f in set.files() {
        let Some(defs) = f.doc.get("$defs").and_then(Value::as_object) else {
            continue;
        };
        for def in defs.values() {
            if let Some(api) = def.get("x-crm-api-name").and_then(Value::as_str) {
                objects.push((api.to_owned(), f.doc.clone()));
            }
        }
    }
    if objects.is_empty() {
        return Err(CliError::usage(format!(
            "{}: no pulled object schemas (files with an \"x-crm-api-name\" definition)",
            dir.display()
        )));
    }
    Ok(objects)
}

/// Prints one line per change on stdout; exit 1 when there is any.
fn report(changes: &[Change], objects: usize, dir: &Path, pull: &str) -> CliResult {
    let mut out = std::io::stdout().lock();
    for c in changes {
        writeln!(out, "{c}")?;
    }
    out.flush()?;
    if changes.is_empty() {
        eprintln!(
            "no changes in {objects} object(s) since {} was pulled",
            dir.display()
        );
        return Ok(());
    }
    Err(CliError {
        exit: Exit::Internal,
        message: format!(
            "{} change(s) since {} was pulled; to take them: `{pull} … --out {}`, then `crm codegen`",
            changes.len(),
            dir.display(),
            dir.display()
        ),
    })
}
