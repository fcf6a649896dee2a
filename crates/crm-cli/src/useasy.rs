//! `crm useasy customers ...`: the useasy customer commands.

use openapi_crm::Customer;
use serde_json::{Map, Value, json};

use crate::cli::{CustomersCommand, UseasyArgs, UseasyCommand, UseasyListArgs};
use crate::clients::{self, Settings};
use crate::error::{CliError, CliResult};
use crate::fxiaoke::record_id;
use crate::output::{Sink, read_data, to_json};

/// Runs a useasy command.
pub async fn run(
    args: UseasyArgs,
    settings: &Settings,
    sink: &mut Sink,
    progress: bool,
) -> CliResult {
    let session = clients::useasy(&args.config, settings).await?;
    let base_url = session.client.config().base_url.to_string();
    let result = match args.command {
        UseasyCommand::Customers(command) => {
            execute(&session.client, command, sink, progress).await
        }
        UseasyCommand::Fields(command) => {
            crate::schema::useasy(&session.client, command, sink).await
        }
    };
    result.map_err(|e| e.at("useasy", &base_url))
}

async fn execute(
    client: &openapi_crm::Client,
    command: CustomersCommand,
    sink: &mut Sink,
    progress: bool,
) -> CliResult {
    match command {
        CustomersCommand::List(list) => run_list(client, list, sink, progress).await,
        CustomersCommand::Get { id } => match client.customer(&id).await? {
            Some(customer) => sink.write(to_json(&customer)?),
            None => Err(CliError::api(format!("useasy customer {id:?} not found"))),
        },
        CustomersCommand::Add {
            data,
            set,
            set_json,
        } => {
            let customer = customer(client, read_data(&data)?, &set, &set_json).await?;
            if customer.customer_name.as_deref().is_none_or(str::is_empty) {
                return Err(CliError::usage("add needs \"customerName\" in --data"));
            }
            sink.write(to_json(&client.add(&customer).await?)?)
        }
        CustomersCommand::Update {
            id,
            data,
            set,
            set_json,
        } => {
            let mut data = read_data(&data)?;
            record_id(&mut data, id, "_id")?;
            let customer = customer(client, data, &set, &set_json).await?;
            sink.write(to_json(&client.update(&customer).await?)?)
        }
        CustomersCommand::Delete { id } => {
            client.delete(&id).await?;
            sink.write(json!({ "_id": id, "result": "deleted" }))
        }
        // Dispatched by main.rs (its summaries need no sink).
        CustomersCommand::Sync(_) => Err(CliError::internal("sync runs through crate::sync")),
        CustomersCommand::Fields => {
            let configs = client.field_configs().await?;
            for field in configs.fields() {
                sink.write(to_json(field)?)?;
            }
            Ok(())
        }
    }
}

/// `list`: every matching customer, streamed.
async fn run_list(
    client: &openapi_crm::Client,
    args: UseasyListArgs,
    sink: &mut Sink,
    progress: bool,
) -> CliResult {
    let mut query = client.customers().page_size(args.page_size);
    for s in args.search {
        query = query.search(s.field, s.operator, s.values);
    }
    let head = query.clone().page_size(1);
    let total = async move {
        let count = head.send().await?.count;
        Ok(count.and_then(|c| c.get()).map(i64::unsigned_abs))
    };
    sink.write_list(query.stream_raw(), args.max, progress, total)
        .await
}

/// The customer of `--data` with the `--set NAME=VALUE` fields (by display name, VALUE read by
/// the field's configured type) and the `--set-json NAME=JSON` fields (the JSON as given), each
/// validated against the field configuration.
async fn customer(
    client: &openapi_crm::Client,
    data: Map<String, Value>,
    set: &[(String, String)],
    set_json: &[(String, String)],
) -> CliResult<Customer> {
    let mut customer: Customer = serde_json::from_value(Value::Object(data))
        .map_err(|e| CliError::usage(format!("--data is not a valid customer: {e}")))?;
    let usage = |flag: &str, name: &str| {
        let (flag, name) = (flag.to_owned(), name.to_owned());
        // An unknown field name or a value outside the choices: a usage error.
        move |e: openapi_crm::Error| match e {
            openapi_crm::Error::InvalidArgument(message)
            | openapi_crm::Error::UnknownField { message, .. } => {
                CliError::usage(format!("{flag} {name}: {message}"))
            }
            other => other.into(),
        }
    };
    if !set.is_empty() {
        let mut configs = client.field_configs().await?;
        for (name, text) in set {
            if configs.find(name).is_none() {
                configs = client.refresh_field_configs().await?;
            }
            let value = configs
                .value_from_text(name, text)
                .map_err(usage("--set", name))?;
            customer
                .set_field_by_name(&configs, name, value)
                .map_err(usage("--set", name))?;
        }
    }
    for (name, json) in set_json {
        let value = serde_json::from_str::<Value>(json)
            .map_err(|e| CliError::usage(format!("--set-json {name}: not JSON: {e}")))?;
        client
            .set_custom_field(&mut customer, name, value)
            .await
            .map_err(usage("--set-json", name))?;
    }
    Ok(customer)
}
