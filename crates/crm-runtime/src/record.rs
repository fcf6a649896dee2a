//! Recording of raw exchanges (request and response bodies) for `cargo xtask drift` and
//! `cargo xtask fixtures add`. Off unless a folder is configured; secrets are redacted.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use crate::error::Error;
use crate::redact::Redactor;
use crate::transport::{HttpRequest, HttpResponse};

/// The format version written into every recording.
pub const RECORDING_FORMAT: u32 = 1;

/// Writes one JSON file per exchange into a folder.
#[derive(Debug)]
pub struct Recorder {
    dir: PathBuf,
    vendor: &'static str,
    redactor: Redactor,
    counter: AtomicU64,
}

fn body_value(body: &[u8], redactor: &Redactor) -> Value {
    match serde_json::from_slice::<Value>(body) {
        Ok(mut v) => {
            redactor.redact_json(&mut v);
            v
        }
        Err(_) => Value::String(String::from_utf8_lossy(body).into_owned()),
    }
}

impl Recorder {
    /// Records into `dir` (created on first use).
    pub fn new(dir: PathBuf, vendor: &'static str, redactor: Redactor) -> Self {
        Self {
            dir,
            vendor,
            redactor,
            counter: AtomicU64::new(0),
        }
    }

    /// Writes one exchange. A failure to write is logged, never returned: recording must not
    /// break the call it observes.
    pub fn record(&self, request: &HttpRequest, result: &Result<HttpResponse, Error>) {
        let now = chrono::Utc::now();
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let name = format!(
            "{}-{}-{}-{n:04}.json",
            self.vendor,
            request.operation,
            now.format("%Y%m%dT%H%M%S%.3fZ")
        );
        let mut doc = json!({
            "recording": RECORDING_FORMAT,
            "vendor": self.vendor,
            "operation": request.operation,
            "recordedAt": now.to_rfc3339(),
            "request": {
                "method": request.method.as_str(),
                "url": self.redactor.redact_url(&request.url),
                "headers": self.redactor.redact_headers(&request.headers).into_iter().map(|(k, v)| (k, Value::String(v))).collect::<serde_json::Map<_, _>>(),
                "body": request.body.as_deref().map(|b| body_value(b, &self.redactor)),
            },
        });
        match result {
            Ok(resp) => {
                doc["response"] = json!({ "status": resp.status, "body": body_value(&resp.body, &self.redactor) });
            }
            Err(e) => doc["error"] = Value::String(e.to_string()),
        }
        // Secret keys are redacted above; any secret value the vendor echoed elsewhere (a
        // message, a text body) is scrubbed here.
        let text = crate::secret::scrub(&serde_json::to_string_pretty(&doc).unwrap_or_default())
            .into_owned();
        let write = std::fs::create_dir_all(&self.dir)
            .and_then(|()| std::fs::write(self.dir.join(&name), text + "\n"));
        if let Err(e) = write {
            tracing::warn!(dir = %self.dir.display(), error = %e, "cannot write recording");
        }
    }
}
