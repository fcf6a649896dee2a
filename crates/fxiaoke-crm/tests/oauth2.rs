//! The OAuth2 flow: what goes on the wire (wiremock), how the configuration keeps the two id
//! styles apart, what the mock accepts over HTTP, and the token endpoint's limit. The operation
//! tests of `client.rs` run in both flows (`legacy::…`, `oauth2::…`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fxiaoke_crm::TransportOptions;
use std::time::Duration;

use fxiaoke_crm::types::{GetUserByMobileArg, PaymentObj};
use fxiaoke_crm::{
    AuthCarrier, AuthFlow, Client, Config, Error, Operator, RateLimit, RateLimits, RetryPolicy,
    TOKEN_RATE_LIMIT, default_rate_limits,
};
use fxiaoke_crm_mock::{MockFxiaoke, MockSettings};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "/oauth2.0/token";
const QUERY: &str = "/cgi/crm/v2/data/query";
const BEARER: &str = "BEARER-0123456789abcdef";

/// A wiremock gateway answering the OAuth2 token call and any query.
async fn gateway() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "openUserId": "FSCID_1", "accessToken": BEARER, "expiresIn": 7084,
            "appId": "FSAID_1", "ea": "fs123", "errorCode": 0, "errorMessage": "success",
            "traceId": "E-O.1"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(QUERY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "errorCode": 0, "errorMessage": "OK",
            "data": {"total": 0, "offset": 0, "limit": 100, "dataList": []}
        })))
        .mount(&server)
        .await;
    server
}

fn oauth2_builder(server: &MockServer) -> fxiaoke_crm::ClientBuilder {
    Client::builder()
        .base_url(server.uri())
        .auth_flow(AuthFlow::OAuth2)
        .app_id("FSAID_1")
        .app_secret("APP-SECRET-xyz")
        .permanent_code("PERMANENT-CODE-xyz")
        .with_retry_policy(RetryPolicy::none())
}

/// The requests `server` received at `at`: headers (lowercase names) and JSON body.
async fn received(server: &MockServer, at: &str) -> Vec<(Vec<(String, String)>, Value)> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == at)
        .map(|r| {
            let headers = r
                .headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
                .collect();
            (headers, r.body_json().unwrap())
        })
        .collect()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn the_token_call_and_business_calls_look_as_documented() {
    crm_testkit::bounded(async {
        let server = gateway().await;
        let client = oauth2_builder(&server).employee_id("1000").build().unwrap();
        client.query::<PaymentObj>().send().await.unwrap();
        client.query::<PaymentObj>().send().await.unwrap();

        let tokens = received(&server, TOKEN).await;
        assert_eq!(tokens.len(), 1, "one token for both calls");
        assert_eq!(
            tokens[0].1,
            json!({"appId": "FSAID_1", "appSecret": "APP-SECRET-xyz",
                   "permanentCode": "PERMANENT-CODE-xyz", "grantType": "app_secret"})
        );
        assert_eq!(header(&tokens[0].0, "authorization"), None);

        let queries = received(&server, QUERY).await;
        assert_eq!(queries.len(), 2);
        for (headers, body) in &queries {
            assert_eq!(
                header(headers, "authorization"),
                Some(format!("Bearer {BEARER}").as_str())
            );
            assert_eq!(header(headers, "x-fs-ea"), Some("fs123"));
            assert_eq!(header(headers, "x-fs-userid"), Some("1000"));
            let keys: Vec<&str> = body
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(keys, ["data"], "the body keeps the input only: {body}");
        }
    })
    .await;
}

#[tokio::test]
async fn convert_user_id_sends_the_flag_and_an_fsuid_operator() {
    crm_testkit::bounded(async {
        let server = gateway().await;
        let client = oauth2_builder(&server)
            .convert_user_id(true)
            .open_user_id("FSUID_ADMIN")
            .build()
            .unwrap();
        client.query::<PaymentObj>().send().await.unwrap();
        let (headers, body) = received(&server, QUERY).await.remove(0);
        assert_eq!(header(&headers, "x-fs-userid"), Some("FSUID_ADMIN"));
        assert_eq!(body["convertUserId"], json!(true));
        for legacy in ["corpAccessToken", "corpId", "currentOpenUserId"] {
            assert!(body.get(legacy).is_none(), "{legacy} in {body}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_observed_10006_of_the_token_endpoint_is_an_auth_error() {
    crm_testkit::bounded(async {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(TOKEN))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "errorCode": 10006, "errorMessage": "the parameter appSecret is missing or illegal",
                "errorDescription": "缺少参数或参数不合法", "error": "非法请求",
                "error_description": "缺少参数或参数不合法"
            })))
            .mount(&server)
            .await;
        let client = oauth2_builder(&server).employee_id("1000").build().unwrap();
        let err = client.query::<PaymentObj>().send().await.unwrap_err();
        assert!(err.is_auth(), "{err}");
        let api = err.api().unwrap();
        assert_eq!(
            (api.code.as_str(), api.operation),
            ("10006", "get_oauth2_token")
        );
        assert!(!err.to_string().contains("APP-SECRET-xyz"));
        assert!(
            received(&server, QUERY).await.is_empty(),
            "no business call"
        );
    })
    .await;
}

fn config_error(result: fxiaoke_crm::Result<Client>) -> String {
    match result {
        Err(Error::Config(text)) => text,
        Err(other) => panic!("expected a config error, got {other}"),
        Ok(_) => panic!("expected a config error, got a client"),
    }
}

fn base() -> fxiaoke_crm::ClientBuilder {
    Client::builder()
        .base_url("http://127.0.0.1:9/")
        .app_id("FSAID_1")
        .app_secret("s")
        .permanent_code("p")
}

fn base_oauth2() -> fxiaoke_crm::ClientBuilder {
    base().auth_flow(AuthFlow::OAuth2)
}

#[test]
fn an_operator_of_the_wrong_style_is_a_config_error_naming_both() {
    // What is wrong, the builder, and what its error must say.
    let cases: [(&str, fxiaoke_crm::ClientBuilder, &[&str]); 8] = [
        (
            "FSUID_ where the header flow expects a numeric employee id (and how to fix it)",
            base_oauth2().open_user_id("FSUID_ADMIN"),
            &[
                "FSUID_ADMIN",
                "convert_user_id = false",
                "employee_id",
                "convert_user_id(true)",
            ],
        ),
        (
            "numeric where convertUserId asks for FSUID_",
            base_oauth2().convert_user_id(true).employee_id("1000"),
            &["\"1000\"", "convert_user_id = true"],
        ),
        (
            "a numeric id given as an open user id (OAuth2)",
            base_oauth2().convert_user_id(true).open_user_id("1000"),
            &["numeric employee id"],
        ),
        (
            "an employee id that is not a number",
            base_oauth2().employee_id("admin"),
            &["\"admin\""],
        ),
        (
            "the legacy flow speaks FSUID_ only",
            base().employee_id("1000"),
            &["\"1000\"", "legacy flow"],
        ),
        (
            "a numeric id given as an open user id (legacy)",
            base().open_user_id("1000"),
            &["numeric employee id"],
        ),
        (
            "convert_user_id in the legacy flow",
            base().open_user_id("FSUID_ADMIN").convert_user_id(true),
            &["oauth2 flow only"],
        ),
        (
            "a mobile number is resolved through getByMobile, a legacy call",
            base_oauth2().operator_mobile("13800138000"),
            &["operator_mobile"],
        ),
    ];
    for (why, builder, says) in cases {
        let text = config_error(builder.build());
        for part in says {
            assert!(text.contains(part), "{why}: no {part:?} in {text}");
        }
    }
    // The right styles build.
    base_oauth2().employee_id("1000").build().unwrap();
    base_oauth2()
        .convert_user_id(true)
        .open_user_id("FSUID_ADMIN")
        .build()
        .unwrap();
    base().open_user_id("FSUID_ADMIN").build().unwrap();
}

#[test]
fn a_config_built_by_hand_is_checked_too() {
    let good = base_oauth2()
        .employee_id("1000")
        .build()
        .unwrap()
        .config()
        .clone();
    let bad = Config {
        operator: Operator::OpenUserId("FSUID_ADMIN".into()),
        ..good.clone()
    };
    let text = config_error(Client::new(bad));
    assert!(text.contains("FSUID_ADMIN"), "{text}");
    Client::new(Config {
        convert_user_id: true,
        ..Config {
            operator: Operator::OpenUserId("FSUID_ADMIN".into()),
            ..good
        }
    })
    .unwrap();
}

#[test]
fn auth_flows_parse_from_their_names() {
    assert_eq!("oauth2".parse::<AuthFlow>().unwrap(), AuthFlow::OAuth2);
    assert_eq!(" Legacy ".parse::<AuthFlow>().unwrap(), AuthFlow::Legacy);
    assert!("oauth".parse::<AuthFlow>().is_err());
    assert_eq!(AuthFlow::default(), AuthFlow::Legacy);
    for flow in AuthFlow::ALL {
        assert_eq!(flow.to_string().parse::<AuthFlow>().unwrap(), flow);
        let spec = flow.spec().expect("declared in operations.json");
        assert_eq!(spec.name, flow.as_str());
        let carrier = match flow {
            AuthFlow::Legacy => AuthCarrier::Body,
            AuthFlow::OAuth2 => AuthCarrier::Header,
        };
        assert_eq!(
            spec.carrier, carrier,
            "where the client puts the credentials"
        );
    }
}

#[test]
fn both_token_endpoints_get_the_token_limit() {
    let limits = default_rate_limits();
    for token_path in ["/cgi/corpAccessToken/get/V2", TOKEN] {
        assert!(
            limits
                .overrides
                .iter()
                .any(|(p, l)| p == token_path && *l == TOKEN_RATE_LIMIT),
            "{token_path}: {limits:?}"
        );
    }
    assert_eq!(TOKEN_RATE_LIMIT.max_calls, 10);
    assert_eq!(TOKEN_RATE_LIMIT.window, Duration::from_secs(60));
}

/// Token calls that fail are not cached, so every business call makes one: 25 of them against
/// a token quota of 10 per window. The client's limit paces them, so the mock (an exact
/// sliding window) never answers 30004; without it, the mock does. The window is 1 s on both
/// sides instead of 60 s, to keep the test short.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_endpoint_limit_holds_in_the_oauth2_flow() {
    crm_testkit::bounded(async {
        let window = Duration::from_secs(1);
        let limit = RateLimit::new(10, window).with_burst(3);
        for client_limits in [true, false] {
            let mock = MockFxiaoke::start_with(
                MockSettings::without_rate_limits()
                    .with_token_rate_limit(Some((10, window)))
                    .with_auth_flow(AuthFlow::OAuth2),
            )
            .await
            .unwrap();
            let limits = RateLimits::off().with_override(TOKEN, limit);
            let client = mock
                .client_builder()
                .app_secret("wrong-secret")
                .with_rate_limits(if client_limits {
                    limits
                } else {
                    RateLimits::off()
                })
                .with_retry_policy(RetryPolicy::none())
                .build()
                .unwrap();
            for _ in 0..25 {
                let err = client.objects().await.unwrap_err();
                assert!(err.is_auth() || err.is_rate_limited(), "{err}");
            }
            assert_eq!(mock.token_calls(), 25);
            assert_eq!(mock.control().calls(TOKEN), 25);
            assert_eq!(mock.calls_in_flow(AuthFlow::OAuth2), 0, "no business call");
            if client_limits {
                assert_eq!(mock.rate_limit_rejections(), 0, "paced under the quota");
            } else {
                assert!(
                    mock.rate_limit_rejections() > 0,
                    "the test can see a breach"
                );
            }
        }
    })
    .await;
}

#[tokio::test]
async fn get_user_by_mobile_answers_in_the_requests_style() {
    crm_testkit::bounded(async {
        let mock = MockFxiaoke::start_in(AuthFlow::OAuth2).await.unwrap();
        let creds = mock.credentials();
        let client = mock.client().unwrap();
        assert_eq!(client.operator_open_user_id().await.unwrap(), "1000");
        let arg = GetUserByMobileArg {
            mobile: creds.mobile.clone(),
        };
        let found = client.get_user_by_mobile(&arg).await.unwrap();
        assert_eq!(found.emp_list.unwrap()[0].open_user_id, creds.employee_id);
        let fsuid = mock
            .client_builder()
            .convert_user_id(true)
            .open_user_id(creds.open_user_id.clone())
            .build()
            .unwrap();
        let found = fsuid.get_user_by_mobile(&arg).await.unwrap();
        assert_eq!(found.emp_list.unwrap()[0].open_user_id, creds.open_user_id);
        assert_eq!(mock.calls_in_flow(AuthFlow::Legacy), 0);
    })
    .await;
}

/// Over HTTP, as any client would send it: a request carrying the bearer header **and** the
/// legacy body token is refused; each header is checked.
#[tokio::test]
async fn the_mock_refuses_a_mixed_request_and_checks_the_headers() {
    crm_testkit::bounded(async {
        let mock = MockFxiaoke::start_in(AuthFlow::OAuth2).await.unwrap();
        let c = mock.credentials();
        let http = reqwest::Client::new();
        let url = |p: &str| mock.base_url().join(p).unwrap();
        // A JSON POST with these headers; the JSON answer.
        let send = |path: &str, headers: Vec<(&'static str, String)>, body: Value| {
            let mut request = http.post(url(path)).json(&body);
            for (k, v) in headers {
                request = request.header(k, v);
            }
            async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
        };
        let token = send(
            TOKEN,
            Vec::new(),
            json!({"appId": c.app_id, "appSecret": c.app_secret,
                   "permanentCode": c.permanent_code, "grantType": "app_secret"}),
        )
        .await;
        assert_eq!(token["ea"], c.ea.as_str());
        let bearer = format!("Bearer {}", token["accessToken"].as_str().unwrap());
        let legacy = send(
            "/cgi/corpAccessToken/get/V2",
            Vec::new(),
            json!({"appId": c.app_id, "appSecret": c.app_secret, "permanentCode": c.permanent_code}),
        )
        .await;
        let query = json!({"data": {"dataObjectApiName": "PaymentObj", "search_query_info": {"limit": 5, "offset": 0}}});
        let post = |headers, body| send(QUERY, headers, body);
        let all = |user: &str| {
            vec![
                ("authorization", bearer.clone()),
                ("x-fs-ea", c.ea.clone()),
                ("x-fs-userid", user.to_owned()),
            ]
        };
        assert_eq!(post(all("1000"), query.clone()).await["errorCode"], 0);
        // Both flows at once: refused, whichever token is valid.
        let mut mixed = query.clone();
        mixed["corpAccessToken"] = legacy["corpAccessToken"].clone();
        mixed["corpId"] = json!(c.corp_id);
        mixed["currentOpenUserId"] = json!(c.open_user_id);
        let answer = post(all("1000"), mixed.clone()).await;
        assert_eq!(answer["errorCode"], 10006, "{answer}");
        assert!(
            answer["errorMessage"]
                .as_str()
                .unwrap()
                .contains("mixes the two auth flows"),
            "{answer}"
        );
        // The same body alone is a valid legacy request.
        assert_eq!(post(Vec::new(), mixed).await["errorCode"], 0);
        // Header by header.
        let mut no_bearer = all("1000");
        no_bearer[0].1 = token["accessToken"].as_str().unwrap().to_owned();
        assert_eq!(post(no_bearer, query.clone()).await["errorCode"], 20016);
        let mut wrong_ea = all("1000");
        wrong_ea[1].1 = "other".into();
        assert_eq!(post(wrong_ea, query.clone()).await["errorCode"], 20016);
        let mut no_user = all("1000");
        no_user.pop();
        assert_eq!(post(no_user, query.clone()).await["errorCode"], 10006);
        assert_eq!(
            post(all(&c.open_user_id), query.clone()).await["errorCode"],
            20012
        );
        assert_eq!(post(all("9999"), query).await["errorCode"], 20012);
    })
    .await;
}

/// Run as a child process by the test below, with `FXIAOKE_*` set: prints what
/// `Client::from_env` makes of them.
#[test]
fn child_reports_what_from_env_builds() {
    if std::env::var_os("FX_FROM_ENV_CHILD").is_none() {
        return; // only meaningful in the child
    }
    match Client::from_env() {
        Ok(c) => {
            let c = c.config();
            println!(
                "FROM_ENV ok {} {:?} {}",
                c.auth_flow, c.operator, c.convert_user_id
            );
        }
        Err(e) => println!("FROM_ENV err {e}"),
    }
}

#[test]
fn from_env_reads_the_flow_and_the_operator_of_its_style() {
    // (the variables set, what the child must print)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: &[Case] = &[
        (
            &[("FXIAOKE_AUTH", "oauth2"), ("FXIAOKE_EMPLOYEE_ID", "1000")],
            &["FROM_ENV ok oauth2 EmployeeId(\"1000\") false"],
        ),
        (
            &[
                ("FXIAOKE_AUTH", "OAuth2"),
                ("FXIAOKE_OPEN_USER_ID", "FSUID_A"),
                ("FXIAOKE_EMPLOYEE_ID", "1000"),
                ("FXIAOKE_CONVERT_USER_ID", "true"),
            ],
            &["FROM_ENV ok oauth2 OpenUserId(\"FSUID_A\") true"],
        ),
        (
            &[("FXIAOKE_OPEN_USER_ID", "FSUID_A")],
            &["FROM_ENV ok legacy OpenUserId(\"FSUID_A\") false"],
        ),
        (
            &[
                ("FXIAOKE_AUTH", "oauth2"),
                ("FXIAOKE_OPEN_USER_ID", "FSUID_A"),
            ],
            &["FROM_ENV err", "\"FSUID_A\"", "convert_user_id = false"],
        ),
        (
            &[("FXIAOKE_AUTH", "oauth2")],
            &["FROM_ENV err", "set FXIAOKE_EMPLOYEE_ID"],
        ),
        (
            &[("FXIAOKE_AUTH", "sso"), ("FXIAOKE_OPEN_USER_ID", "FSUID_A")],
            &["FROM_ENV err", "FXIAOKE_AUTH=\"sso\""],
        ),
        (
            &[
                ("FXIAOKE_AUTH", "oauth2"),
                ("FXIAOKE_EMPLOYEE_ID", "1000"),
                ("FXIAOKE_CONVERT_USER_ID", "maybe"),
            ],
            &["FROM_ENV err", "FXIAOKE_CONVERT_USER_ID"],
        ),
    ];
    let all = [
        "FXIAOKE_AUTH",
        "FXIAOKE_OPEN_USER_ID",
        "FXIAOKE_OPERATOR_MOBILE",
        "FXIAOKE_EMPLOYEE_ID",
        "FXIAOKE_CONVERT_USER_ID",
        "FXIAOKE_BASE_URL",
    ];
    for (vars, expected) in cases {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap());
        child
            .args([
                "--exact",
                "child_reports_what_from_env_builds",
                "--nocapture",
            ])
            .env("FX_FROM_ENV_CHILD", "1")
            .env("FXIAOKE_APP_ID", "FSAID_1")
            .env("FXIAOKE_APP_SECRET", "s")
            .env("FXIAOKE_PERMANENT_CODE", "p");
        for name in all {
            child.env_remove(name);
        }
        for (k, v) in *vars {
            child.env(k, v);
        }
        let out = child.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        for e in *expected {
            assert!(text.contains(e), "{vars:?}: expected {e:?} in {text}");
        }
    }
}
