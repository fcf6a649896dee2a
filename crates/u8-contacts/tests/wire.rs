//! The mock's wire format, checked with raw HTTP: the document's shapes (every value a string,
//! string paging metadata, `errcode`/`errmsg`), and errcodes, never a panic, for bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{bounded, sample_mock};
use serde_json::Value;
use u8_contacts_mock::{MockU8, codes, paths};

async fn get(mock: &MockU8, path: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let mut url = mock.base_url().join(path.trim_start_matches('/')).unwrap();
    url.query_pairs_mut().extend_pairs(params);
    get_url(url.as_str()).await
}

async fn get_url(url: &str) -> (u16, Value) {
    let response = reqwest::get(url).await.unwrap();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

/// A valid token, from the token endpoint.
async fn token(mock: &MockU8) -> String {
    let c = mock.credentials();
    let (status, body) = get(
        mock,
        paths::TOKEN,
        &[
            ("from_account", &c.from_account),
            ("app_key", &c.app_key),
            ("app_secret", c.app_secret.expose_secret()),
        ],
    )
    .await;
    assert_eq!(status, 200);
    body["token"]["id"].as_str().unwrap().to_owned()
}

async fn auth(mock: &MockU8) -> Vec<(String, String)> {
    let c = mock.credentials();
    vec![
        ("from_account".into(), c.from_account.clone()),
        ("to_account".into(), c.to_account.clone()),
        ("app_key".into(), c.app_key.clone()),
        ("token".into(), token(mock).await),
    ]
}

async fn batch_get(mock: &MockU8, extra: &[(&str, &str)]) -> Value {
    let mut params = auth(mock).await;
    params.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, body) = get(mock, paths::BATCH_GET, &pairs).await;
    assert_eq!(status, 200);
    body
}

fn errcode(body: &Value) -> &str {
    body["errcode"].as_str().unwrap_or("<none>")
}

#[tokio::test]
async fn the_token_response_has_the_documented_shape() {
    bounded(async {
        let mock = MockU8::start().await.unwrap();
        let c = mock.credentials();
        let (_, body) = get(
            &mock,
            paths::TOKEN,
            &[
                ("from_account", &c.from_account),
                ("app_key", &c.app_key),
                ("app_secret", c.app_secret.expose_secret()),
            ],
        )
        .await;
        assert_eq!((errcode(&body), body["errmsg"].as_str()), ("0", Some("")));
        let id = body["token"]["id"].as_str().unwrap();
        assert!(
            id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()),
            "{id}"
        );
        assert_eq!(body["token"]["expiresIn"], 7200);
        assert_eq!(body["token"]["appkey"].as_str(), Some(c.app_key.as_str()));
        assert_ne!(token(&mock).await, id, "a new token each time");

        let (_, bad) = get(
            &mock,
            paths::TOKEN,
            &[
                ("from_account", &c.from_account),
                ("app_key", &c.app_key),
                ("app_secret", "x"),
            ],
        )
        .await;
        assert_eq!(
            (errcode(&bad), bad["errmsg"].as_str()),
            (codes::BAD_CREDENTIALS, Some("app_key或app_secret错误"))
        );
        let (_, missing) = get(&mock, paths::TOKEN, &[("from_account", &c.from_account)]).await;
        assert_eq!(errcode(&missing), codes::MISSING_PARAMETER);
        assert_eq!(mock.token_calls(), 4);
    })
    .await;
}

#[tokio::test]
async fn batch_get_has_the_documented_shape() {
    bounded(async {
        let mock = sample_mock(45).await;
        let body = batch_get(&mock, &[("page_index", "2"), ("rows_per_page", "20")]).await;
        assert_eq!((errcode(&body), body["errmsg"].as_str()), ("0", Some("")));
        for (k, v) in [
            ("page_index", "2"),
            ("rows_per_page", "20"),
            ("row_count", "45"),
            ("page_count", "3"),
        ] {
            assert_eq!(body[k].as_str(), Some(v), "{k} is a string");
        }
        let records = body["customercontacts"].as_array().unwrap();
        assert_eq!(records.len(), 20);
        let documented = [
            "code",
            "name",
            "ccuscode",
            "ccusname",
            "direct_leader_code",
            "direct_leader",
            "charge_person_code",
            "charge_person",
            "be_main_linker",
            "title",
            "sex",
            "birthday",
            "native",
            "default",
            "position",
            "mobile_phone",
            "office_phone",
            "email",
            "favorite",
            "wechat",
            "qq",
        ];
        for r in records {
            let r = r.as_object().unwrap();
            assert_eq!(r.len(), documented.len(), "{r:?}");
            for k in documented {
                assert!(
                    r.get(k).is_some_and(Value::is_string),
                    "{k} is a string in {r:?}"
                );
            }
            assert!(["0", "1"].contains(&r["be_main_linker"].as_str().unwrap()));
            assert!(["男", "女", "不详"].contains(&r["sex"].as_str().unwrap()));
        }
        assert_eq!(records[0]["code"], "00000021");

        let defaults = batch_get(&mock, &[]).await;
        assert_eq!(
            defaults["rows_per_page"], "20",
            "the SDK's default page size"
        );
        assert_eq!(defaults["page_index"], "1");
    })
    .await;
}

#[tokio::test]
async fn bad_parameters_are_errcodes() {
    bounded(async {
        let mock = sample_mock(5).await;
        for (k, v) in [
            ("page_index", "abc"),
            ("page_index", "0"),
            ("page_index", "-1"),
            ("rows_per_page", "1e3"),
            ("rows_per_page", "0"),
            ("be_main_linker", "maybe"),
            ("default", "yes"),
            ("birthday", "1990-13-45"),
            ("birthday", "x"),
            ("ds_sequence", "first"),
        ] {
            let body = batch_get(&mock, &[(k, v)]).await;
            assert_eq!(errcode(&body), codes::INVALID_PARAMETER, "{k}={v}: {body}");
            assert!(body["errmsg"].as_str().unwrap().contains(k), "{body}");
        }
        // Empty values are absent filters; huge page numbers are empty pages.
        let body = batch_get(&mock, &[("name", ""), ("page_index", "99999999999999999")]).await;
        assert_eq!(errcode(&body), "0", "{body}");
        assert_eq!(body["customercontacts"].as_array().map(Vec::len), Some(0));
        let body = batch_get(&mock, &[("page_index", "99999999999999999999999")]).await;
        assert_eq!(
            errcode(&body),
            codes::INVALID_PARAMETER,
            "beyond u64: {body}"
        );
    })
    .await;
}

#[tokio::test]
async fn authentication_errors() {
    bounded(async {
        let mock = sample_mock(5).await;
        let valid = auth(&mock).await;
        let with = |k: &str, v: Option<&str>| -> Vec<(String, String)> {
            valid
                .iter()
                .filter(|(n, _)| n != k || v.is_some())
                .map(|(n, old)| {
                    (
                        n.clone(),
                        if n == k {
                            v.unwrap_or_default().to_owned()
                        } else {
                            old.clone()
                        },
                    )
                })
                .collect()
        };
        for (params, code) in [
            (with("token", None), codes::MISSING_PARAMETER),
            (with("to_account", None), codes::MISSING_PARAMETER),
            (
                with("token", Some("00000000000000000000000000000000")),
                codes::TOKEN_INVALID,
            ),
            (with("app_key", Some("opa0")), codes::BAD_CREDENTIALS),
            (with("from_account", Some("other")), codes::BAD_CREDENTIALS),
            (with("to_account", Some("other")), codes::NOT_AUTHORIZED),
        ] {
            let pairs: Vec<(&str, &str)> = params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            for path in [paths::BATCH_GET, paths::GET] {
                let (_, body) = get(&mock, path, &pairs).await;
                assert_eq!(errcode(&body), code, "{path} {params:?}: {body}");
            }
        }
        let unknown = with("token", Some("0"));
        let pairs: Vec<(&str, &str)> = unknown
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (_, body) = get(&mock, paths::BATCH_GET, &pairs).await;
        assert!(
            body["errmsg"].as_str().unwrap().contains("token"),
            "the client keys token refreshes on this: {body}"
        );

        // A token that was valid is rejected once the mock expires it.
        mock.expire_tokens();
        let pairs: Vec<(&str, &str)> = valid
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (_, body) = get(
            &mock,
            paths::GET,
            &[pairs.as_slice(), &[("id", "00000001")]].concat(),
        )
        .await;
        assert_eq!(errcode(&body), codes::TOKEN_INVALID);
    })
    .await;
}

#[tokio::test]
async fn get_needs_an_id() {
    bounded(async {
        let mock = sample_mock(5).await;
        let params = auth(&mock).await;
        let pairs: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (_, body) = get(&mock, paths::GET, &pairs).await;
        assert_eq!(errcode(&body), codes::MISSING_PARAMETER);
        let (_, body) = get(
            &mock,
            paths::GET,
            &[pairs.as_slice(), &[("id", "00000005")]].concat(),
        )
        .await;
        assert_eq!(errcode(&body), "0");
        assert_eq!(body["customercontacts"]["code"], "00000005");
        assert!(
            body["customercontacts"].is_object(),
            "one object, not a list"
        );
    })
    .await;
}

#[tokio::test]
async fn garbage_never_panics() {
    bounded(async {
        let mock = sample_mock(5).await;
        let base = mock.base_url();
        for path_and_query in [
            "system/token?%%%&&==&app_secret=%FF%FE",
            "system/token",
            "api/customercontacts/batch_get?%E4%B8&&&page_index=%00&token",
            "api/customercontacts/batch_get?from_account&to_account&app_key&token&page_index&rows_per_page",
            "api/customercontacts/get?id=%ZZ&id&id=",
            "api/customercontacts/batch_get?be_main_linker=%F0%9F%92%A9&birthday=%F0%9F%92%A9",
            "api/nothing/here?x=1",
        ] {
            let (status, body) = get_url(&format!("{base}{path_and_query}")).await;
            assert!(status == 200 || status == 404, "{path_and_query}: {status}");
            assert_ne!(errcode(&body), "0", "{path_and_query}: {body}");
        }
        // Still serving.
        assert_eq!(errcode(&batch_get(&mock, &[]).await), "0");
    })
    .await;
}
