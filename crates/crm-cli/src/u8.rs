//! `crm u8 contacts ...`: the U8 customer contact commands.

use u8_contacts::BatchGet;

use crate::cli::{ContactsCommand, U8Args, U8Command, U8ListArgs};
use crate::clients::{self, Settings};
use crate::error::{CliError, CliResult};
use crate::output::{Sink, to_json};

/// Runs a U8 command.
pub async fn run(args: U8Args, settings: &Settings, sink: &mut Sink, progress: bool) -> CliResult {
    let session = clients::u8(&args.config, settings).await?;
    let base_url = session.client.config().base_url.to_string();
    let U8Command::Contacts(command) = args.command;
    execute(
        &session.client,
        command,
        args.config.ds_sequence,
        sink,
        progress,
    )
    .await
    .map_err(|e| e.at("u8", &base_url))
}

async fn execute(
    client: &u8_contacts::Client,
    command: ContactsCommand,
    ds_sequence: Option<i64>,
    sink: &mut Sink,
    progress: bool,
) -> CliResult {
    match command {
        ContactsCommand::List(list) => {
            let max = list.max;
            let query = batch_get(client, list, ds_sequence);
            let head = query.clone().page_size(1);
            let total = async move {
                let rows = head.send().await?.row_count;
                Ok(rows.and_then(|r| r.get()).map(i64::unsigned_abs))
            };
            sink.write_list(query.stream_raw(), max, progress, total)
                .await
        }
        // Dispatched by main.rs (its summaries need no sink).
        ContactsCommand::Sync(_) => Err(CliError::internal("sync runs through crate::sync")),
        ContactsCommand::Get { code } => match client.contact(&code).await? {
            Some(contact) => sink.write(to_json(&contact)?),
            None => Err(CliError::api(format!("u8 contact {code:?} not found"))),
        },
    }
}

/// The batch_get query of the flags.
fn batch_get(client: &u8_contacts::Client, a: U8ListArgs, ds_sequence: Option<i64>) -> BatchGet {
    let mut q = client.batch_get().page_size(a.page_size);
    let text = [
        (
            a.code_begin,
            BatchGet::code_begin as fn(BatchGet, String) -> BatchGet,
        ),
        (a.code_end, BatchGet::code_end),
        (a.name, BatchGet::name),
        (a.ccuscode, BatchGet::ccuscode),
        (a.ccusname, BatchGet::ccusname),
        (a.direct_leader_code, BatchGet::direct_leader_code),
        (a.direct_leader, BatchGet::direct_leader),
        (a.charge_person_code, BatchGet::charge_person_code),
        (a.charge_person, BatchGet::charge_person),
        (a.title, BatchGet::title),
        (a.sex, BatchGet::sex),
        (a.position, BatchGet::position),
        (a.mobile_phone, BatchGet::mobile_phone),
        (a.office_phone, BatchGet::office_phone),
        (a.email, BatchGet::email),
        (a.favorite, BatchGet::favorite),
        (a.wechat, BatchGet::wechat),
        (a.qq, BatchGet::qq),
    ];
    for (value, set) in text {
        if let Some(v) = value {
            q = set(q, v);
        }
    }
    if let Some(b) = a.be_main_linker {
        q = q.be_main_linker(b);
    }
    if let Some(b) = a.default {
        q = q.default_contact(b);
    }
    if let Some(d) = a.birthday {
        q = q.birthday(d);
    }
    if let Some(ds) = ds_sequence {
        q = q.ds_sequence(ds);
    }
    q
}
