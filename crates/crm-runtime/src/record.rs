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

    /// Writes one exchange, on the blocking thread pool (never on an async worker thread). The
    /// folder is created readable by the owner only (`0700`), and so is each file (`0600`):
    /// recordings hold whole records, personal data included. A failure to write is logged,
    /// never returned: recording must not break the call it observes.
    pub async fn record(&self, request: &HttpRequest, result: &Result<HttpResponse, Error>) {
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
        let dir = self.dir.clone();
        let write = tokio::task::spawn_blocking(move || write_private(&dir, &name, &text)).await;
        let failure = match write {
            Ok(Ok(())) => return,
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        };
        tracing::warn!(dir = %self.dir.display(), error = %failure, "cannot write recording");
    }
}

/// Writes `text` to `dir/name`, the folder and the file readable by the owner only.
fn write_private(dir: &std::path::Path, name: &str, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(dir.join(name))?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")
}
