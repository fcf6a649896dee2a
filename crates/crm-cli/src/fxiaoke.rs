//! `crm fxiaoke ...`: the Fxiaoke CRM V2 object data commands.

use fxiaoke_crm::{Details, ObjectData, WriteOptions};
use serde_json::{Map, Value, json};

use crate::cli::{FxQueryArgs, FxiaokeArgs, FxiaokeCommand};
use crate::clients::{self, Settings};
use crate::error::{CliError, CliResult};
use crate::output::{Sink, read_data, to_json};

/// Runs a Fxiaoke command.
pub async fn run(
    args: FxiaokeArgs,
    settings: &Settings,
    sink: &mut Sink,
    progress: bool,
) -> CliResult {
    let session = clients::fxiaoke(&args.config, settings).await?;
    let base_url = session.client.config().base_url.to_string();
    execute(&session.client, args.command, sink, progress)
        .await
        .map_err(|e| e.at("fxiaoke", &base_url))
}

async fn execute(
    client: &fxiaoke_crm::Client,
    command: FxiaokeCommand,
    sink: &mut Sink,
    progress: bool,
) -> CliResult {
    match command {
        FxiaokeCommand::Query(query) => run_query(client, query, sink, progress).await,
        FxiaokeCommand::Get { object, id } => {
            sink.write(to_json(&client.get_object(&object, &id).await?)?)
        }
        FxiaokeCommand::Create {
            object,
            data,
            no_flows,
        } => {
            let record = object_data(read_data(&data)?)?;
            let id = client
                .create_object(&object, record, Details::new(), &write_options(no_flows))
                .await?;
            // The custom-object API may answer without the new id.
            sink.write(outcome(&object, id.as_deref().unwrap_or(""), "created"))
        }
        FxiaokeCommand::Update {
            object,
            id,
            data,
            no_flows,
        } => {
            let mut data = read_data(&data)?;
            let id = record_id(&mut data, id, "_id")?;
            client
                .update_object(
                    &object,
                    object_data(data)?,
                    Details::new(),
                    &write_options(no_flows),
                )
                .await?;
            sink.write(outcome(&object, &id, "updated"))
        }
        FxiaokeCommand::Invalid { object, id } => {
            client.invalid(&object, &id).await?;
            sink.write(outcome(&object, &id, "invalidated"))
        }
        FxiaokeCommand::Delete { object, ids } => {
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            client.delete(&object, &refs).await?;
            for id in &ids {
                sink.write(outcome(&object, id, "deleted"))?;
            }
            Ok(())
        }
        FxiaokeCommand::Describe { object } => {
            let result = client.describe(&object).await?;
            let fields = result
                .data
                .and_then(|d| d.describe)
                .and_then(|d| d.fields)
                .unwrap_or_default();
            for (name, describe) in fields {
                let mut record = to_json(&describe)?;
                if let Value::Object(map) = &mut record {
                    map.entry("api_name").or_insert(Value::String(name));
                }
                sink.write(record)?;
            }
            Ok(())
        }
        FxiaokeCommand::Schema(command) => crate::schema::fxiaoke(client, command, sink).await,
        // Dispatched by main.rs (its summaries need no sink).
        FxiaokeCommand::Sync(_) => Err(CliError::internal("sync runs through crate::sync")),
        FxiaokeCommand::Objects => {
            for object in client.objects().await? {
                sink.write(to_json(&object)?)?;
            }
            Ok(())
        }
    }
}

/// `query`: every matching record, streamed.
async fn run_query(
    client: &fxiaoke_crm::Client,
    args: FxQueryArgs,
    sink: &mut Sink,
    progress: bool,
) -> CliResult {
    // Records go out as the vendor sent them (`stream_raw`: nothing parsed but the envelope and
    // each record's `_id`), so no type can stop an export.
    let mut query = client.query_object(&args.object).page_size(args.page_size);
    for f in args.filters {
        query = query.filter(&f.field, f.operator, f.values);
    }
    for o in &args.orders {
        query = query.order_by(&o.field, o.ascending);
    }
    if !args.fields.is_empty() {
        sink.prefer_columns(&args.fields);
        query = query.fields(args.fields.clone());
    }
    // A tenant that disables counting answers a total of 0: unknown.
    let head = query.clone().page_size(1);
    let total = async move { Ok(head.send().await?.total.filter(|t| *t > 0)) };
    sink.write_list(query.stream_raw(), args.max, progress, total)
        .await
}

fn write_options(no_flows: bool) -> WriteOptions {
    if no_flows {
        WriteOptions::without_flows()
    } else {
        WriteOptions::default()
    }
}

/// The generic record of `--data`.
fn object_data(data: Map<String, Value>) -> CliResult<ObjectData> {
    serde_json::from_value(Value::Object(data))
        .map_err(|e| CliError::usage(format!("--data is not a valid record: {e}")))
}

/// The record id of an update: the `<ID>` argument (stored into the data) or the data's own.
pub fn record_id(
    data: &mut Map<String, Value>,
    arg: Option<String>,
    key: &str,
) -> CliResult<String> {
    let in_data = data.get(key).and_then(Value::as_str).map(str::to_owned);
    match (arg, in_data) {
        (Some(a), Some(d)) if a != d => Err(CliError::usage(format!(
            "the id argument {a:?} and \"{key}\" in --data ({d:?}) differ"
        ))),
        (Some(id), _) | (None, Some(id)) if !id.is_empty() => {
            data.insert(key.to_owned(), Value::String(id.clone()));
            Ok(id)
        }
        _ => Err(CliError::usage(format!(
            "update needs the record's id: pass <ID> or put \"{key}\" in --data"
        ))),
    }
}

/// The record printed by a write.
fn outcome(object: &str, id: &str, result: &str) -> Value {
    json!({ "dataObjectApiName": object, "_id": id, "result": result })
}
