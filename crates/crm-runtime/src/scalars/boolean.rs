//! [`StrBool`]: booleans sent as strings, numbers or booleans.

use std::fmt;

use serde::{Serialize, Serializer};

use super::{EmptyForm, Repr, Scalar, repr_scalar, scalar_schema};

/// How a boolean appeared on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum BoolForm {
    /// `"1"` / `"0"` (U8; the default for values built in code).
    #[default]
    OneZero,
    /// `"true"` / `"false"` (in any letter case).
    TrueFalseString,
    /// JSON `true` / `false`.
    Json,
    /// JSON `1` / `0`.
    Integer,
}

/// A boolean sent as `"1"`/`"0"`, `"true"`/`"false"`, `true`/`false` or `1`/`0`, as U8 sends
/// `be_main_linker` and `default` (and as one U8 example sends `end_rank_flag: 1`).
///
/// - **Value**: the forms above; the strings also in other letter cases (`"True"`, as .NET
///   writes it) or with spaces around, kept verbatim.
/// - **Empty**: `""` or `null`; [`get`](Self::get) is `None`.
/// - **Unparsed**: anything else (`"yes"`, `2`, the U8 document's placeholder `"xxxxx"`).
///
/// Re-encodes exactly as received; equality compares values (`"1"` equals `true`).
///
/// ```
/// use crm_runtime::StrBool;
///
/// for wire in [r#""1""#, "1", "true", r#""false""#, r#""True""#, r#""""#, "null", r#""yes""#] {
///     let b: StrBool = serde_json::from_str(wire)?;
///     assert_eq!(serde_json::to_string(&b)?, wire);
/// }
/// let b: StrBool = serde_json::from_str("1")?;
/// assert_eq!(b.get(), Some(true));
/// let unset: StrBool = serde_json::from_str(r#""""#)?;
/// assert_eq!((unset.get(), unset.is_empty()), (None, true));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct StrBool(Repr<BoolValue>);

#[derive(Clone)]
struct BoolValue {
    value: bool,
    form: BoolForm,
    /// The string as received when it is not the form's own spelling (`"True"`, `" 1"`).
    raw: Option<Box<str>>,
}

impl BoolValue {
    fn canonical(&self) -> &'static str {
        match (self.form, self.value) {
            (BoolForm::OneZero | BoolForm::Integer, true) => "1",
            (BoolForm::OneZero | BoolForm::Integer, false) => "0",
            (BoolForm::TrueFalseString | BoolForm::Json, true) => "true",
            (BoolForm::TrueFalseString | BoolForm::Json, false) => "false",
        }
    }
}

fn read_bool(scalar: &Scalar<'_>) -> Option<BoolValue> {
    let plain = |value, form| BoolValue {
        value,
        form,
        raw: None,
    };
    match scalar {
        Scalar::Bool(b) => Some(plain(*b, BoolForm::Json)),
        Scalar::I64(v @ (0 | 1)) => Some(plain(*v == 1, BoolForm::Integer)),
        Scalar::U64(v @ (0 | 1)) => Some(plain(*v == 1, BoolForm::Integer)),
        Scalar::Str(s) => {
            let trimmed = s.trim();
            let (value, form) = if trimmed == "1" || trimmed == "0" {
                (trimmed == "1", BoolForm::OneZero)
            } else if trimmed.eq_ignore_ascii_case("true") {
                (true, BoolForm::TrueFalseString)
            } else if trimmed.eq_ignore_ascii_case("false") {
                (false, BoolForm::TrueFalseString)
            } else {
                return None;
            };
            let mut v = plain(value, form);
            if v.canonical() != s.as_ref() {
                v.raw = Some(s.as_ref().into());
            }
            Some(v)
        }
        Scalar::I64(_) | Scalar::U64(_) | Scalar::F64(_) => None,
    }
}

impl StrBool {
    /// A boolean written `"1"`/`"0"`.
    pub fn new(value: bool) -> Self {
        Self::with_form(value, BoolForm::OneZero)
    }

    /// A boolean written in the given form.
    pub fn with_form(value: bool, form: BoolForm) -> Self {
        Self(Repr::Value(BoolValue {
            value,
            form,
            raw: None,
        }))
    }

    /// No value, written as `""` or `null`.
    pub fn empty(form: EmptyForm) -> Self {
        Self(Repr::Empty(form))
    }

    /// The value; `None` when the field is empty or unparsed.
    pub fn get(&self) -> Option<bool> {
        self.0.value().map(|v| v.value)
    }

    /// Whether the value is true: `false` for a false, empty or unparsed value, which is how a
    /// flag reads (`"be_main_linker": ""` is not a main contact).
    pub fn is_true(&self) -> bool {
        self.get() == Some(true)
    }

    /// The form a value arrived in; `None` when there is no value.
    pub fn form(&self) -> Option<BoolForm> {
        self.0.value().map(|v| v.form)
    }

    /// A value as a query-string or wire string, as received (`"1"`, `"true"`, `"True"`);
    /// `None` when there is no value.
    pub fn as_wire_str(&self) -> Option<&str> {
        self.0
            .value()
            .map(|v| v.raw.as_deref().unwrap_or(v.canonical()))
    }
}

impl From<bool> for StrBool {
    fn from(value: bool) -> Self {
        Self::new(value)
    }
}

impl PartialEq for StrBool {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_by(&other.0, |a, b| a.value == b.value)
    }
}

impl fmt::Debug for StrBool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug(f, "StrBool", |v, f| match (v.form, &v.raw) {
            (BoolForm::Json, _) => write!(f, "{}", v.value),
            (_, Some(raw)) => write!(f, "{} ({raw:?})", v.value),
            (_, None) => write!(f, "{} ({:?})", v.value, v.canonical()),
        })
    }
}

/// `true`/`false`; nothing when empty; the text when unparsed.
impl fmt::Display for StrBool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.display(f, |v, f| fmt::Display::fmt(&v.value, f))
    }
}

impl Serialize for StrBool {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0
            .serialize(serializer, |v, serializer| match (v.form, &v.raw) {
                (_, Some(raw)) => serializer.serialize_str(raw),
                (BoolForm::Json, None) => serializer.serialize_bool(v.value),
                (BoolForm::Integer, None) => serializer.serialize_u8(u8::from(v.value)),
                (BoolForm::OneZero | BoolForm::TrueFalseString, None) => {
                    serializer.serialize_str(v.canonical())
                }
            })
    }
}

repr_scalar!(
    StrBool,
    not: "a boolean",
    expecting: r#"a boolean: "1"/"0", "true"/"false", true/false, 1/0, "" or null"#,
    read: read_bool
);

scalar_schema!(
    StrBool,
    {
        "description": "A boolean as \"1\"/\"0\", \"true\"/\"false\", true/false or 1/0; \"\" or null for none.",
        "anyOf": [
            { "type": "boolean" },
            { "enum": ["0", "1", "true", "false", 0, 1, "", null] },
            { "type": "string", "pattern": r"^\s*([01]|[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])\s*$" }
        ]
    }
);
