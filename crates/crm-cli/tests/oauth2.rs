//! `crm fxiaoke` in the OAuth2 flow: `FXIAOKE_AUTH=oauth2` (or `--auth oauth2`) against the
//! embedded mock and against a mock configured through the environment, the operator's id
//! style, and recordings that show the bearer header as redacted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use fxiaoke_crm::AuthFlow;
use fxiaoke_crm_mock::MockFxiaoke;
use serde_json::Value;

/// The recordings in `dir`, parsed.
fn recordings(dir: &std::path::Path) -> Vec<Value> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            serde_json::from_str(&std::fs::read_to_string(e.unwrap().path()).unwrap()).unwrap()
        })
        .collect()
}

#[test]
fn mock_runs_in_the_oauth2_flow_and_records_the_bearer_header_redacted() {
    let dir = TempDir::new("cli-oauth2-record");
    let run = crm_mock_recording(&dir, &["fxiaoke", "query", "PaymentObj", "--max", "2"])
        .env("FXIAOKE_AUTH", "oauth2")
        .run()
        .ok();
    assert_eq!(run.jsonl().len(), 2);
    let recs = recordings(&dir);
    let ops: Vec<&str> = recs.iter().map(|r| str_of(r, "operation")).collect();
    assert!(ops.contains(&"get_oauth2_token"), "{ops:?}");
    assert!(!ops.contains(&"get_corp_access_token"), "{ops:?}");
    for r in recs.iter().filter(|r| r["operation"] == "query_data") {
        let headers = &r["request"]["headers"];
        assert_eq!(headers["authorization"], "[redacted]", "{r}");
        assert_eq!(headers["x-fs-userid"], "1000", "{r}");
        assert!(r["request"]["body"].get("corpAccessToken").is_none(), "{r}");
        // Owners come back as numeric employee ids, the flow's default style.
        let owners = &r["response"]["body"]["data"]["dataList"][0]["owner"];
        assert_eq!(owners[0], "1000", "{r}");
    }
    let _ = std::fs::remove_dir_all(&dir);

    // --auth and --convert-user-id as flags: FSUID_ ids throughout.
    let dir = TempDir::new("cli-oauth2-convert");
    let run = crm_mock_recording(
        &dir,
        &[
            "fxiaoke",
            "--auth",
            "oauth2",
            "--convert-user-id",
            "query",
            "PaymentObj",
            "--max",
            "1",
        ],
    )
    .run()
    .ok();
    let record = &run.jsonl()[0];
    assert!(
        record["owner"][0].as_str().unwrap().starts_with("FSUID_"),
        "{record}"
    );
    let query = recordings(&dir)
        .into_iter()
        .find(|r| r["operation"] == "query_data")
        .unwrap();
    assert!(
        str_of(&query["request"]["headers"], "x-fs-userid").starts_with("FSUID_"),
        "{query}"
    );
    assert_eq!(query["request"]["body"]["convertUserId"], true);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unknown_flow_is_a_usage_error() {
    let run = crm(&["--mock", "fxiaoke", "objects"])
        .env("FXIAOKE_AUTH", "oauth3")
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("legacy or oauth2"), "{}", run.stderr);
}

/// A mock started in this process, configured for the binary through the environment.
struct Tenant {
    _runtime: tokio::runtime::Runtime,
    mock: MockFxiaoke,
}

fn tenant() -> Tenant {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mock = runtime.block_on(async {
        let mock = MockFxiaoke::start_in(AuthFlow::OAuth2).await.unwrap();
        mock.insert(
            "PaymentObj",
            serde_json::json!({"remark": "r", "payment_amount": "1.00"})
                .as_object()
                .unwrap()
                .clone(),
        );
        mock
    });
    Tenant {
        _runtime: runtime,
        mock,
    }
}

impl Tenant {
    fn crm(&self, args: &[&str]) -> Crm {
        let c = self.mock.credentials();
        crm(args)
            .env("FXIAOKE_BASE_URL", self.mock.base_url().as_str())
            .env("FXIAOKE_APP_ID", &c.app_id)
            .env("FXIAOKE_APP_SECRET", &c.app_secret)
            .env("FXIAOKE_PERMANENT_CODE", &c.permanent_code)
            .env("CRM_RETRIES", "0")
            .env("FXIAOKE_AUTH", "oauth2")
    }
}

#[test]
fn the_environment_configures_the_oauth2_flow() {
    let t = tenant();
    let c = t.mock.credentials();
    let run = t
        .crm(&["fxiaoke", "query", "PaymentObj"])
        .env("FXIAOKE_EMPLOYEE_ID", &c.employee_id)
        .run()
        .ok();
    assert_eq!(run.jsonl().len(), 1);
    assert!(t.mock.calls_in_flow(AuthFlow::OAuth2) > 0);
    assert_eq!(t.mock.calls_in_flow(AuthFlow::Legacy), 0);
    // FSUID_ ids with FXIAOKE_CONVERT_USER_ID.
    t.crm(&["fxiaoke", "objects"])
        .env("FXIAOKE_OPEN_USER_ID", &c.open_user_id)
        .env("FXIAOKE_CONVERT_USER_ID", "true")
        .run()
        .ok();
    assert_eq!(t.mock.calls_in_flow(AuthFlow::Legacy), 0);
}

#[test]
fn an_operator_of_the_wrong_style_exits_3_naming_both() {
    let t = tenant();
    let c = t.mock.credentials();
    // An FSUID_ id where the flow expects a numeric employee id.
    let run = t
        .crm(&["fxiaoke", "objects"])
        .env("FXIAOKE_OPEN_USER_ID", &c.open_user_id)
        .run();
    assert_fails(&run, 3);
    assert!(
        run.stderr.contains(&c.open_user_id) && run.stderr.contains("convert_user_id = false"),
        "{}",
        run.stderr
    );
    // A numeric id where convertUserId asks for FSUID_.
    let run = t
        .crm(&["fxiaoke", "objects", "--convert-user-id"])
        .env("FXIAOKE_EMPLOYEE_ID", "1000")
        .run();
    assert_fails(&run, 3);
    assert!(
        run.stderr.contains("\"1000\"") && run.stderr.contains("convert_user_id = true"),
        "{}",
        run.stderr
    );
    // No operator: names the variable of the flow.
    let run = t.crm(&["fxiaoke", "objects"]).run();
    assert_fails(&run, 3);
    assert!(run.stderr.contains("FXIAOKE_EMPLOYEE_ID"), "{}", run.stderr);
    assert_eq!(t.mock.token_calls(), 0, "nothing was sent");
    assert!(!run.stderr.contains(&c.app_secret));
}
