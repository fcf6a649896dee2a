//! Output: records in four formats, and the progress bar of long exports.
//!
//! Every record is written as the vendor sent it. Exports ([`Sink::write_stream`]) pass each
//! record's bytes through: `jsonl` and `json` copy them (on one line), `csv` reads only the
//! top-level keys, leaving every value as JSON text; nothing builds a `serde_json::Value` per
//! record. Single results (a `get`, a write's outcome) are the typed value serialized back with
//! `serde_json` (unknown and custom fields kept, names as on the wire).
//!
//! | format | streaming | shape |
//! |---|---|---|
//! | `jsonl` | yes | one JSON object per line |
//! | `json` | yes | one JSON array, one record per line |
//! | `csv` | **no**: the header is the union of every record's top-level fields, so the records (their JSON text) are buffered until the end | header row in first-seen field order (each record's fields taken in key order), text unquoted, `null` empty, numbers, booleans and nested values as the vendor's JSON text on one line |
//! | `table` | after the first [`TABLE_SAMPLE`] records, which fix the columns and widths | aligned columns, long cells cut with `…`; one record alone is shown as `field  value` lines |

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::{self, BufWriter, IsTerminal, Stdout, Write};
use std::time::Duration;

use clap::ValueEnum;
use futures::{Stream, StreamExt};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crm_runtime::RawRecord;
use crm_runtime::decode::MapKey;

use crate::error::{CliError, CliResult};

/// How many records fix the columns of a table.
pub const TABLE_SAMPLE: usize = 50;

/// The widest a table cell gets, in terminal columns.
pub const MAX_CELL_WIDTH: usize = 36;

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object per line (the default when stdout is not a terminal).
    Jsonl,
    /// One JSON array.
    Json,
    /// CSV with a header row (buffers every record: the header is the union of their fields).
    Csv,
    /// Aligned columns for reading (the default on a terminal).
    Table,
}

impl Format {
    /// The format asked for, else `table` on a terminal and `jsonl` otherwise.
    pub fn resolve(asked: Option<Format>) -> Format {
        asked.unwrap_or_else(|| {
            if io::stdout().is_terminal() {
                Format::Table
            } else {
                Format::Jsonl
            }
        })
    }
}

/// Converts a record to JSON as it goes on the wire.
pub fn to_json<T: Serialize>(record: &T) -> CliResult<Value> {
    serde_json::to_value(record)
        .map_err(|e| CliError::internal(format!("cannot encode a record: {e}")))
}

/// Where records go: stdout in one format.
pub struct Sink {
    format: Format,
    out: BufWriter<Stdout>,
    count: u64,
    /// csv: every record and the header so far (boxed: only csv uses it).
    csv: Box<CsvBuffer>,
    /// table: the sample that fixes the layout.
    buffered: Vec<Value>,
    /// table: the columns and their widths once fixed.
    layout: Option<Vec<(String, usize)>>,
    /// table: columns asked for with `--fields`.
    preferred: Vec<String>,
    /// Whether stdout is a terminal (then jsonl is flushed line by line).
    interactive: bool,
}

impl Sink {
    /// A sink writing `format` to stdout.
    pub fn new(format: Format) -> Self {
        Self {
            format,
            out: BufWriter::with_capacity(64 * 1024, io::stdout()),
            count: 0,
            csv: Box::default(),
            buffered: Vec::new(),
            layout: None,
            preferred: Vec::new(),
            interactive: io::stdout().is_terminal(),
        }
    }

    /// Columns a table shows first (e.g. the fields of `--fields`).
    pub fn prefer_columns(&mut self, columns: &[String]) {
        self.preferred = columns.to_vec();
    }

    /// Writes one record.
    pub fn write(&mut self, record: Value) -> CliResult {
        self.count += 1;
        match self.format {
            Format::Jsonl => {
                serde_json::to_writer(&mut self.out, &record).map_err(io::Error::from)?;
                self.out.write_all(b"\n")?;
                if self.interactive {
                    self.out.flush()?;
                }
            }
            Format::Json => {
                self.out
                    .write_all(if self.count == 1 { b"[\n" } else { b",\n" })?;
                serde_json::to_writer(&mut self.out, &record).map_err(io::Error::from)?;
            }
            Format::Csv => {
                let raw = serde_json::value::to_raw_value(&record)
                    .map_err(|e| CliError::internal(format!("cannot encode a record: {e}")))?;
                self.csv.push(raw)?;
            }
            Format::Table => match &self.layout {
                Some(layout) => {
                    let line = table_row(layout, &record);
                    writeln!(self.out, "{line}")?;
                }
                None => {
                    self.buffered.push(record);
                    if self.buffered.len() >= TABLE_SAMPLE {
                        self.lay_out_table()?;
                    }
                }
            },
        }
        Ok(())
    }

    /// Writes one record of an export as the vendor sent it: `jsonl` and `json` copy its bytes
    /// (on one line), `csv` keeps them and reads its top-level keys, `table` reads its fields.
    fn write_vendor(&mut self, record: RawRecord) -> CliResult {
        match self.format {
            Format::Csv => {
                self.count += 1;
                self.csv.push(record.to_raw_value())
            }
            _ => self.write_text(record.json()),
        }
    }

    /// Writes a record's JSON text in any format but `csv`. For `jsonl` and `json`, the hot
    /// path of an export: the bytes (on one line) and a separator, nothing parsed.
    fn write_text(&mut self, json: &str) -> CliResult {
        match self.format {
            Format::Jsonl => {
                self.count += 1;
                write_one_line(&mut self.out, json)?;
                self.out.write_all(b"\n")?;
                if self.interactive {
                    self.out.flush()?;
                }
                Ok(())
            }
            Format::Json => {
                self.count += 1;
                self.out
                    .write_all(if self.count == 1 { b"[\n" } else { b",\n" })?;
                Ok(write_one_line(&mut self.out, json)?)
            }
            Format::Csv | Format::Table => {
                let value: Value = serde_json::from_str(json)
                    .map_err(|e| CliError::internal(format!("a record is not valid JSON: {e}")))?;
                self.write(value)
            }
        }
    }

    /// Writes every record of a stream (at most `max`) as the vendor sent it, ticking
    /// `progress`. Records already written stay written when the stream fails.
    pub async fn write_stream<S>(
        &mut self,
        stream: S,
        max: Option<u64>,
        progress: &Progress,
    ) -> CliResult
    where
        S: Stream<Item = Result<RawRecord, crm_runtime::Error>>,
    {
        let mut stream = std::pin::pin!(stream);
        let mut written = 0_u64;
        if max == Some(0) {
            return Ok(());
        }
        while let Some(item) = stream.next().await {
            let record = match item {
                Ok(record) => record,
                Err(e) => {
                    progress.abandon();
                    self.out.flush()?;
                    return Err(e.into());
                }
            };
            self.write_vendor(record)?;
            progress.inc();
            written += 1;
            if max.is_some_and(|m| written >= m) {
                break;
            }
        }
        progress.finish();
        Ok(())
    }

    /// A list command's export: [`Sink::write_stream`] with a progress bar when `progress` is
    /// on, its length the smaller of `--max` and the total that `total` asks the vendor for
    /// (one small request, made only when the bar is shown; `None` when unknown).
    pub async fn write_list<S>(
        &mut self,
        stream: S,
        max: Option<u64>,
        progress: bool,
        total: impl Future<Output = CliResult<Option<u64>>>,
    ) -> CliResult
    where
        S: Stream<Item = Result<RawRecord, crm_runtime::Error>>,
    {
        let total = if progress { total.await? } else { None };
        let length = match (total, max) {
            (Some(t), Some(m)) => Some(t.min(m)),
            (t, _) => t,
        };
        let bar = Progress::new(progress, length);
        self.write_stream(stream, max, &bar).await
    }

    /// Ends the output: closes the JSON array, writes the CSV, lays out a short table.
    pub fn finish(mut self) -> CliResult {
        match self.format {
            Format::Jsonl => {}
            Format::Json => {
                self.out
                    .write_all(if self.count == 0 { b"[]\n" } else { b"\n]\n" })?;
            }
            Format::Csv => self.write_csv()?,
            Format::Table => {
                if self.layout.is_none() {
                    if self.buffered.len() == 1 {
                        self.write_vertical()?;
                    } else if self.buffered.is_empty() {
                        self.out.flush()?;
                        eprintln!("(no records)");
                    } else {
                        self.lay_out_table()?;
                    }
                }
                if self.count > 1 {
                    self.out.flush()?;
                    eprintln!("({} records)", self.count);
                }
            }
        }
        self.out.flush()?;
        Ok(())
    }

    fn write_csv(&mut self) -> CliResult {
        let CsvBuffer {
            records, header, ..
        } = *std::mem::take(&mut self.csv);
        let mut writer = csv::Writer::from_writer(&mut self.out);
        let csv_error = |e: csv::Error| CliError::internal(format!("cannot write CSV: {e}"));
        if !header.is_empty() {
            writer.write_record(&header).map_err(csv_error)?;
        }
        for record in &records {
            let fields = top_level_fields(record)?;
            let row = header.iter().map(|h| match &fields {
                Some(fields) => fields
                    .binary_search_by(|(k, _)| k.as_ref().cmp(h))
                    .ok()
                    .and_then(|i| fields.get(i))
                    .map(|(_, v)| raw_cell(v.get()))
                    .unwrap_or_default(),
                None if h == "value" => raw_cell(record.get()),
                None => Cow::Borrowed(""),
            });
            // `csv` takes byte slices; a `Cow<str>` is not one.
            let row = row.map(|cell| match cell {
                Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
                Cow::Owned(text) => Cow::Owned(text.into_bytes()),
            });
            writer.write_record(row).map_err(csv_error)?;
        }
        writer.flush()?;
        Ok(())
    }

    /// Fixes the columns and widths from the buffered sample, then writes the header and the
    /// sample.
    fn lay_out_table(&mut self) -> CliResult {
        let sample = std::mem::take(&mut self.buffered);
        let mut columns = union_of_fields(&sample);
        columns.retain(|c| sample.iter().any(|r| !cell(field(r, c)).is_empty()));
        let mut ordered: Vec<String> = self
            .preferred
            .iter()
            .chain(
                PRIORITY_COLUMNS
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect::<Vec<_>>()
                    .iter(),
            )
            .filter(|c| columns.contains(c))
            .cloned()
            .collect();
        let mut seen: HashSet<String> = HashSet::new();
        ordered.retain(|c| seen.insert(c.clone()));
        for c in columns {
            if seen.insert(c.clone()) {
                ordered.push(c);
            }
        }
        let budget = terminal_width();
        let mut layout = Vec::new();
        let mut used = 0;
        for c in &ordered {
            let width = sample
                .iter()
                .map(|r| display_width(&cell(field(r, c))))
                .chain([display_width(c)])
                .max()
                .unwrap_or(1)
                .clamp(1, MAX_CELL_WIDTH);
            let extra = if layout.is_empty() { width } else { width + 2 };
            if !layout.is_empty() && used + extra > budget {
                break;
            }
            used += extra;
            layout.push((c.clone(), width));
        }
        let hidden = ordered.len() - layout.len();
        let header: Vec<String> = layout
            .iter()
            .map(|(c, w)| pad(&truncate(c, *w), *w))
            .collect();
        writeln!(self.out, "{}", header.join("  ").trim_end())?;
        let rule: Vec<String> = layout.iter().map(|(_, w)| "─".repeat(*w)).collect();
        writeln!(self.out, "{}", rule.join("  "))?;
        for record in &sample {
            writeln!(self.out, "{}", table_row(&layout, record))?;
        }
        if hidden > 0 {
            self.out.flush()?;
            eprintln!(
                "({hidden} more columns not shown: choose with --fields, or use --format json)"
            );
        }
        self.layout = Some(layout);
        Ok(())
    }

    /// One record as `field  value` lines.
    fn write_vertical(&mut self) -> CliResult {
        let Some(record) = self.buffered.pop() else {
            return Ok(());
        };
        let Value::Object(map) = &record else {
            writeln!(self.out, "{}", cell(Some(&record)))?;
            return Ok(());
        };
        let key_width = map
            .keys()
            .map(|k| display_width(k))
            .max()
            .unwrap_or(0)
            .min(40);
        let value_width = terminal_width().saturating_sub(key_width + 2).max(20);
        for (k, v) in map {
            let text = cell(Some(v));
            writeln!(
                self.out,
                "{}  {}",
                pad(&truncate(k, key_width), key_width),
                truncate(&text, value_width)
            )?;
        }
        Ok(())
    }
}

/// Writes JSON text on one line: as it is when it has no line break, else without the
/// whitespace between tokens (string contents are never touched).
fn write_one_line(out: &mut impl Write, json: &str) -> io::Result<()> {
    // One vectorized search for both bytes (a `str` search for either of two chars walks the
    // text char by char): this runs on every exported record.
    if memchr::memchr2(b'\n', b'\r', json.as_bytes()).is_none() {
        return out.write_all(json.as_bytes());
    }
    write_compact(out, json)
}

/// Writes JSON text without the whitespace between tokens (string contents are never touched).
fn write_compact(out: &mut impl Write, json: &str) -> io::Result<()> {
    let mut compact = Vec::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for &b in json.as_bytes() {
        if in_string {
            compact.push(b);
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
            in_string = b == b'"';
            compact.push(b);
        }
    }
    out.write_all(&compact)
}

/// The records of a CSV export, kept as their JSON text, and the header: the union of their
/// top-level fields in first-seen order.
#[derive(Default)]
struct CsvBuffer {
    records: Vec<Box<RawValue>>,
    header: Vec<String>,
    seen: HashSet<String>,
}

impl CsvBuffer {
    /// Keeps a record, adding its fields (in key order, as a `serde_json::Map` lists them) to
    /// the header; only the top-level keys are read.
    fn push(&mut self, record: Box<RawValue>) -> CliResult {
        match top_level_fields(&record)? {
            Some(fields) => {
                for (key, _) in &fields {
                    if !self.seen.contains(key.as_ref()) {
                        self.seen.insert(key.clone().into_owned());
                        self.header.push(key.clone().into_owned());
                    }
                }
            }
            None => {
                if self.seen.insert("value".to_owned()) {
                    self.header.push("value".to_owned());
                }
            }
        }
        self.records.push(record);
        Ok(())
    }
}

/// A record's top-level fields: each key and its value's JSON text, both borrowed from the
/// record where possible.
type TopLevel<'a> = Vec<(Cow<'a, str>, &'a RawValue)>;

/// The top-level fields of a JSON object, sorted by key (the last of repeated keys wins, as in
/// a `serde_json::Map`), each value left as its JSON text; `None` when `record` is not an
/// object.
fn top_level_fields(record: &RawValue) -> CliResult<Option<TopLevel<'_>>> {
    struct Fields<'a>(TopLevel<'a>);

    impl<'de> serde::Deserialize<'de> for Fields<'de> {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct FieldsVisitor;
            impl<'de> serde::de::Visitor<'de> for FieldsVisitor {
                type Value = Fields<'de>;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Fields<'de>, A::Error> {
                    let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(16));
                    while let Some(key) = map.next_key::<MapKey<'de>>()? {
                        fields.push((key.0, map.next_value::<&'de RawValue>()?));
                    }
                    Ok(Fields(fields))
                }
            }
            deserializer.deserialize_map(FieldsVisitor)
        }
    }

    let json = record.get();
    if !json.starts_with('{') {
        return Ok(None);
    }
    let Fields(mut fields) = serde_json::from_str(json)
        .map_err(|e| CliError::internal(format!("a record is not a JSON object: {e}")))?;
    // Stable: of equal keys the last stays last, and `dedup_by` below keeps the first of a run,
    // so reverse the run order first.
    fields.reverse();
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    fields.dedup_by(|a, b| a.0 == b.0);
    Ok(Some(fields))
}

/// A CSV cell from a value's JSON text: a string unquoted (unescaped), `null` empty, anything
/// else its JSON text on one line.
fn raw_cell(json: &str) -> Cow<'_, str> {
    match json.as_bytes().first() {
        Some(b'n') => Cow::Borrowed(""),
        Some(b'"') => match json.get(1..json.len() - 1) {
            Some(inner) if !inner.contains('\\') => Cow::Borrowed(inner),
            _ => serde_json::from_str::<String>(json).map_or(Cow::Borrowed(json), Cow::Owned),
        },
        Some(b'[' | b'{') if json.contains([' ', '\n', '\r', '\t']) => {
            let mut compact = Vec::with_capacity(json.len());
            // Writing to a `Vec` cannot fail.
            let _ = write_compact(&mut compact, json);
            String::from_utf8(compact).map_or(Cow::Borrowed(json), Cow::Owned)
        }
        _ => Cow::Borrowed(json),
    }
}

/// Columns a table shows first when present: ids and names.
const PRIORITY_COLUMNS: &[&str] = &[
    "_id",
    "code",
    "name",
    "customerName",
    "ccusname",
    "describeApiName",
    "api_name",
    "label",
];

/// The union of the records' top-level fields in first-seen order (`value` for non-objects).
fn union_of_fields(records: &[Value]) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for record in records {
        match record {
            Value::Object(map) => {
                for k in map.keys() {
                    if seen.insert(k.as_str()) {
                        out.push(k.clone());
                    }
                }
            }
            _ => {
                if seen.insert("value") {
                    out.push("value".to_owned());
                }
            }
        }
    }
    out
}

fn field<'a>(record: &'a Value, name: &str) -> Option<&'a Value> {
    match record {
        Value::Object(map) => map.get(name),
        other if name == "value" => Some(other),
        _ => None,
    }
}

/// A CSV cell: text as is, null as empty, nested values as compact JSON.
fn csv_cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        nested => nested.to_string(),
    }
}

/// A table cell: like CSV, lists of text joined with commas, on one line.
fn cell(v: Option<&Value>) -> String {
    let text = match v {
        None => String::new(),
        Some(Value::Array(items)) if items.iter().all(|i| !i.is_array() && !i.is_object()) => {
            items.iter().map(csv_cell).collect::<Vec<_>>().join(",")
        }
        Some(v) => csv_cell(v),
    };
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn table_row(layout: &[(String, usize)], record: &Value) -> String {
    let cells: Vec<String> = layout
        .iter()
        .map(|(c, w)| pad(&truncate(&cell(field(record, c)), *w), *w))
        .collect();
    cells.join("  ").trim_end().to_owned()
}

/// The terminal's width: `$COLUMNS`, else 120.
fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|w| *w >= 20)
        .unwrap_or(120)
}

/// Columns a character takes in a terminal: 2 for East Asian wide characters.
fn char_width(c: char) -> usize {
    let c = c as u32;
    let wide = matches!(c,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 | 0x1F300..=0x1F64F | 0x1F900..=0x1F9FF | 0x20000..=0x3FFFD);
    if wide { 2 } else { 1 }
}

/// Columns a text takes in a terminal.
pub fn display_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// Cuts `s` to `width` columns, ending with `…` when cut.
pub fn truncate(s: &str, width: usize) -> String {
    if display_width(s) <= width {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = char_width(c);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

fn pad(s: &str, width: usize) -> String {
    let w = display_width(s);
    let mut out = s.to_owned();
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(w)));
    out
}

/// The progress bar of an export: on stderr, only when stderr is a terminal and stdout is not
/// (records on a terminal show their own progress), never with `--no-progress`.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// Whether a bar would be visible.
    pub fn wanted(no_progress: bool) -> bool {
        !no_progress && io::stderr().is_terminal() && !io::stdout().is_terminal()
    }

    /// A bar for `total` records (a spinner when unknown), visible only if `visible`.
    pub fn new(visible: bool, total: Option<u64>) -> Self {
        // `ProgressDrawTarget::stderr()` is hidden by itself when stderr is not a terminal.
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(total, target);
        let template = if total.is_some() {
            "{spinner} {wide_bar} {human_pos}/{human_len} records  {rate}  ETA {eta}"
        } else {
            "{spinner} {human_pos} records  {rate}  {elapsed}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.with_key(
                "rate",
                |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0}/s", state.per_sec());
                },
            ));
        }
        if visible {
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        Self { bar }
    }

    /// One more record.
    pub fn inc(&self) {
        self.bar.inc(1);
    }

    /// Done: removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// Failed: removes the bar so the error line stands alone.
    pub fn abandon(&self) {
        self.bar.finish_and_clear();
    }
}

/// Reads `--data`: inline JSON, `@FILE`, or `-` for stdin; it must be a JSON object.
pub fn read_data(arg: &str) -> CliResult<Map<String, Value>> {
    let text = if arg == "-" {
        io::read_to_string(io::stdin())
            .map_err(|e| CliError::usage(format!("cannot read --data from stdin: {e}")))?
    } else if let Some(path) = arg.strip_prefix('@') {
        std::fs::read_to_string(path)
            .map_err(|e| CliError::usage(format!("cannot read --data file {path:?}: {e}")))?
    } else {
        arg.to_owned()
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(CliError::usage("--data must be a JSON object ({...})")),
        Err(e) => Err(CliError::usage(format!("--data is not valid JSON: {e}"))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn widths_and_truncation() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("样例客户"), 8);
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("样例客户", 5), "样例…");
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(pad("样", 4), "样  ");
    }

    #[test]
    fn cells() {
        assert_eq!(cell(Some(&json!(["a", "b"]))), "a,b");
        assert_eq!(cell(Some(&json!({"a": 1}))), r#"{"a":1}"#);
        assert_eq!(cell(Some(&json!("x\ny"))), "x y");
        assert_eq!(cell(None), "");
        assert_eq!(csv_cell(&json!([{"value": "1"}])), r#"[{"value":"1"}]"#);
    }

    #[test]
    fn records_go_on_one_line_unchanged() {
        let mut out = Vec::new();
        write_one_line(&mut out, r#"{"a": "x y",  "b":1.50}"#).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a": "x y",  "b":1.50}"#
        );
        let mut out = Vec::new();
        write_one_line(
            &mut out,
            "{\n  \"a\": \"line\\n \\\" q\",\n  \"b\": [1, 2]\n}",
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a":"line\n \" q","b":[1,2]}"#
        );
    }

    #[test]
    fn raw_cells_read_like_value_cells() {
        for json in [
            r#""text""#,
            r#""line\nbreak \" q \u00e9""#,
            "null",
            "true",
            "12",
            "-3.5",
            r#"["a", {"b": 1}]"#,
            r#"{"x":[1,2],"y":"z"}"#,
            "[]",
        ] {
            let value: Value = serde_json::from_str(json).unwrap();
            assert_eq!(raw_cell(json), csv_cell(&value), "{json}");
        }
        // Numbers keep the vendor's spelling (a `Value` would write 1.5 and 1000.0).
        assert_eq!(raw_cell("1.50"), "1.50");
        assert_eq!(raw_cell("1e3"), "1e3");
        // Nested values keep the vendor's key order and escapes, on one line.
        assert_eq!(
            raw_cell("{\"b\": 1,\n \"a\": \"\\u00e9 x\"}"),
            r#"{"b":1,"a":"\u00e9 x"}"#
        );
    }

    #[test]
    fn csv_header_is_the_union_of_top_level_keys() {
        let records = [
            json!({"b": 1, "a": {"deep": [1]}}),
            json!({"c": 3, "a": 4}),
            json!("not an object"),
        ];
        let mut buffer = CsvBuffer::default();
        for r in &records {
            buffer
                .push(serde_json::value::to_raw_value(r).unwrap())
                .unwrap();
        }
        assert_eq!(buffer.header, union_of_fields(&records));
        assert_eq!(buffer.header, ["a", "b", "c", "value"]);
        // Repeated keys: the last wins, as in a parsed map.
        let raw = RawValue::from_string(r#"{"k":1,"j":2,"k":3}"#.into()).unwrap();
        let fields = top_level_fields(&raw).unwrap().unwrap();
        let got: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_ref(), v.get())).collect();
        assert_eq!(got, [("j", "2"), ("k", "3")]);
        assert!(
            top_level_fields(&RawValue::from_string("[1]".into()).unwrap())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn union_keeps_first_seen_order() {
        let records = [json!({"b": 1, "a": 2}), json!({"c": 3, "a": 4})];
        let fields = union_of_fields(&records);
        // serde_json's map is ordered by key unless `preserve_order` is on.
        assert_eq!(fields.len(), 3);
        assert_eq!(fields.last().map(String::as_str), Some("c"));
    }
}
