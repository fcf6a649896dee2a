//! Rust names: typify's PascalCase rule, field and variant names for tenant types, and
//! `names.json`, where a tenant folder pins every Rust name once it is chosen.
//!
//! # `names.json`
//!
//! ```json
//! {
//!   "objects": {
//!     "object_8W9cb__c": {
//!       "type": "Visit",
//!       "fields": { "_id": "id", "field_SdEgv__c": "field_sd_egv_c" },
//!       "options": {
//!         "field_k1__c": {
//!           "type": "VisitFieldK1",
//!           "variants": { "h3mB6wAoj": "H3mB6wAoj", "1": "V1" }
//!         }
//!       }
//!     }
//!   }
//! }
//! ```
//!
//! Keys are the vendor's names (object API name, field API name or id, option value); values
//! are Rust names. A name in the file is never changed by a pull; a new field, object or option
//! gets a new name chosen by the rules below, which avoid every name already taken, and is
//! recorded. Editing the file renames on the next `crm codegen` (that is the only way to rename).
//!
//! | what | rule | collisions |
//! |---|---|---|
//! | object type | `OBJECT=RustName` on the command line, else the API name in PascalCase without `__c` (`object_8W9cb__c` → `Object8W9cb`) | a number is appended (`Name2`) |
//! | field | snake_case of the API name (`Name__c` → `name_c`, `_id` → `id`); a Rust keyword or `extra` (the catch-all) gets a trailing `_` | a number is appended (`name_2`); names equal to their API name win |
//! | option enum | object type + field in PascalCase without `__c` (`VisitFieldK1`) | a number is appended |
//! | variant | the value in PascalCase if it is ASCII (`h3mB6wAoj` → `H3mB6wAoj`, `1` → `V1`), else `Option<n>` by position (Chinese-only values) | a number is appended |

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::error::{Result, bail, err};

/// The file in a tenant folder that pins the Rust names.
pub const NAMES_FILE: &str = "names.json";

/// Rust keywords (strict, reserved and weak), which cannot be field names.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Field names a generated struct uses itself.
const RESERVED_FIELDS: &[&str] = &["extra"];

/// The type name typify gives a definition named `s` (its `sanitize(_, Pascal)`: heck's
/// PascalCase after replacing characters that cannot continue an identifier, `X` in front of
/// one that cannot start it, `_` after a keyword). Operations, the registry and tenant names
/// all refer to typify's types by this name.
pub fn pascal_case(s: &str) -> String {
    use heck::ToPascalCase;
    let cleaned: String = s
        .chars()
        .filter(|c| *c != '\'')
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let out = cleaned.to_pascal_case();
    let out = match out.chars().next() {
        None => "X".to_owned(),
        Some(c) if c.is_alphabetic() => out,
        Some(_) => format!("X{out}"),
    };
    if KEYWORDS.contains(&out.as_str()) {
        format!("{out}_")
    } else {
        out
    }
}

/// snake_case: `_` between a lower-case letter or digit and an upper-case letter, everything
/// lower-case, anything but ASCII letters and digits becomes `_`, no leading, trailing or
/// doubled `_` (`field_SdEgv__c` → `field_sd_egv_c`, `_id` → `id`).
pub fn snake_case(s: &str) -> String {
    let mut out = String::new();
    let mut prev: Option<char> = None;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase()
                && prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
            {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
        prev = Some(c);
    }
    out.trim_end_matches('_').to_owned()
}

/// Whether `s` is a plain Rust identifier (ASCII, not a keyword).
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s != "_"
        && !KEYWORDS.contains(&s)
}

/// A type name that typify keeps as it is: PascalCase by typify's own rule, a valid identifier.
pub fn is_type_name(s: &str) -> bool {
    is_identifier(s) && pascal_case(s) == s
}

/// `base`, else `base` with the first number from 2 that is not `taken`.
fn unique(base: &str, sep: &str, taken: &BTreeSet<String>) -> String {
    if !taken.contains(base) {
        return base.to_owned();
    }
    (2..)
        .map(|n| format!("{base}{sep}{n}"))
        .find(|c| !taken.contains(c))
        .unwrap_or_else(|| base.to_owned())
}

/// The type name derived from a vendor name (without a custom object's `__c`).
fn derive_type_name(api: &str) -> String {
    let api = api.strip_suffix("__c").unwrap_or(api);
    let mut name = pascal_case(api);
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name = pascal_case(&format!("object_{api}"));
    }
    let name: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
    // typify PascalCases the name again: settle on its fixed point.
    let mut settled = name;
    for _ in 0..4 {
        let again = pascal_case(&settled);
        if again == settled {
            break;
        }
        settled = again;
    }
    if is_type_name(&settled) {
        settled
    } else {
        "Object".to_owned()
    }
}

/// The field name derived from a vendor field name.
fn derive_field_name(api: &str) -> String {
    let mut name = snake_case(api);
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("f_{name}");
    }
    if KEYWORDS.contains(&name.as_str()) || RESERVED_FIELDS.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// The variant name derived from an option value (`position` is 1-based).
fn derive_variant_name(value: &str, position: usize) -> String {
    let ascii = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ' ' | '.'));
    let name = if ascii {
        use heck::ToPascalCase;
        value.replace('.', "_").to_pascal_case()
    } else {
        String::new()
    };
    match name.chars().next() {
        None => format!("Option{position}"),
        Some(c) if c.is_ascii_digit() => format!("V{name}"),
        Some(_) if name == "Self" => "SelfValue".to_owned(),
        Some(_) => name,
    }
}

/// The pinned names of one option enum.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OptionNames {
    /// The enum's Rust name.
    pub type_name: String,
    /// Option value → variant name.
    pub variants: BTreeMap<String, String>,
}

/// The pinned names of one object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectNames {
    /// The struct's Rust name.
    pub type_name: String,
    /// Field API name (or id) → Rust field name.
    pub fields: BTreeMap<String, String>,
    /// Field API name → its option enum.
    pub options: BTreeMap<String, OptionNames>,
}

/// Every pinned Rust name of a tenant folder (`names.json`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameBook {
    /// Object API name (useasy: `customer`) → its names.
    pub objects: BTreeMap<String, ObjectNames>,
    /// Type names no object or enum may take (runtime scalars, shared definitions).
    reserved: BTreeSet<String>,
}

impl NameBook {
    /// An empty book in which the type names `reserved` are taken.
    pub fn new(reserved: impl IntoIterator<Item = String>) -> Self {
        Self {
            objects: BTreeMap::new(),
            reserved: reserved.into_iter().collect(),
        }
    }

    /// Reads `dir/names.json`; an empty book if the file does not exist.
    pub fn load(dir: &Path, reserved: impl IntoIterator<Item = String>) -> Result<Self> {
        let mut book = Self::new(reserved);
        let path = dir.join(NAMES_FILE);
        if !path.exists() {
            return Ok(book);
        }
        let shown = path.display().to_string();
        let doc = crate::schema::read_json(&path, &shown)?;
        let objects = match doc.get("objects") {
            Some(Value::Object(o)) => o,
            None => return Ok(book),
            Some(_) => bail!("{shown}: /objects: must be an object"),
        };
        let names = |v: Option<&Value>, at: &str| -> Result<BTreeMap<String, String>> {
            let Some(v) = v else {
                return Ok(BTreeMap::new());
            };
            let map = v
                .as_object()
                .ok_or_else(|| err!("{shown}: {at}: must be an object of names"))?;
            map.iter()
                .map(|(k, v)| {
                    v.as_str()
                        .map(|s| (k.clone(), s.to_owned()))
                        .ok_or_else(|| err!("{shown}: {at}/{k}: must be a string"))
                })
                .collect()
        };
        for (api, entry) in objects {
            let at = format!("/objects/{}", crate::schema::ptr_token(api));
            let type_name = entry
                .get("type")
                .and_then(Value::as_str)
                .ok_or_else(|| err!("{shown}: {at}/type: missing or not a string"))?
                .to_owned();
            let mut object = ObjectNames {
                type_name,
                fields: names(entry.get("fields"), &format!("{at}/fields"))?,
                options: BTreeMap::new(),
            };
            if let Some(options) = entry.get("options") {
                let options = options
                    .as_object()
                    .ok_or_else(|| err!("{shown}: {at}/options: must be an object"))?;
                for (field, o) in options {
                    let oat = format!("{at}/options/{}", crate::schema::ptr_token(field));
                    let type_name = o
                        .get("type")
                        .and_then(Value::as_str)
                        .ok_or_else(|| err!("{shown}: {oat}/type: missing or not a string"))?
                        .to_owned();
                    object.options.insert(
                        field.clone(),
                        OptionNames {
                            type_name,
                            variants: names(o.get("variants"), &format!("{oat}/variants"))?,
                        },
                    );
                }
            }
            book.objects.insert(api.clone(), object);
        }
        book.validate().map_err(|e| e.context(&shown))?;
        Ok(book)
    }

    /// Checks that every name is a usable identifier and unique where it has to be.
    pub fn validate(&self) -> Result<()> {
        let mut types: BTreeMap<String, String> = BTreeMap::new();
        let mut claim = |name: &str, whose: String| -> Result<()> {
            if !is_type_name(name) {
                bail!(
                    "{whose}: `{name}` is not a type name typify keeps (PascalCase, ASCII; e.g. `{}`)",
                    derive_type_name(name)
                );
            }
            if self.reserved.contains(name) {
                bail!("{whose}: `{name}` is the name of a shared definition");
            }
            if let Some(prev) = types.insert(name.to_owned(), whose.clone()) {
                bail!("{whose}: type name `{name}` is also used by {prev}");
            }
            Ok(())
        };
        for (api, o) in &self.objects {
            claim(&o.type_name, format!("object {api}"))?;
            let mut fields = BTreeSet::new();
            for (f, name) in &o.fields {
                if !is_identifier(name) || RESERVED_FIELDS.contains(&name.as_str()) {
                    bail!("object {api}, field {f}: `{name}` is not a usable field name");
                }
                if !fields.insert(name) {
                    bail!("object {api}: field name `{name}` is used twice");
                }
            }
            for (f, e) in &o.options {
                claim(&e.type_name, format!("object {api}, options of {f}"))?;
                let mut variants = BTreeSet::new();
                for (value, name) in &e.variants {
                    if !is_identifier(name) {
                        bail!(
                            "object {api}, option {value:?} of {f}: `{name}` is not a usable variant name"
                        );
                    }
                    if !variants.insert(name) {
                        bail!("object {api}, options of {f}: variant name `{name}` is used twice");
                    }
                }
            }
        }
        Ok(())
    }

    fn type_names(&self) -> BTreeSet<String> {
        let mut taken = self.reserved.clone();
        for o in self.objects.values() {
            taken.insert(o.type_name.clone());
            taken.extend(o.options.values().map(|e| e.type_name.clone()));
        }
        taken
    }

    /// The type name of object `api`: pinned, else `requested`, else derived. A `requested`
    /// name that differs from a pinned one is an error (rename by editing `names.json`).
    pub fn object(&mut self, api: &str, requested: Option<&str>) -> Result<String> {
        if let Some(o) = self.objects.get(api) {
            if let Some(r) = requested.filter(|r| *r != o.type_name) {
                bail!(
                    "{api} is pinned to `{}` in {NAMES_FILE}; to rename it to `{r}`, edit {NAMES_FILE}",
                    o.type_name
                );
            }
            return Ok(o.type_name.clone());
        }
        let taken = self.type_names();
        let name = match requested {
            Some(r) => {
                if !is_type_name(r) {
                    bail!(
                        "{api}={r}: not a type name typify keeps (PascalCase, ASCII; e.g. `{}`)",
                        derive_type_name(r)
                    );
                }
                if taken.contains(r) {
                    bail!("{api}={r}: the type name `{r}` is taken");
                }
                r.to_owned()
            }
            None => unique(&derive_type_name(api), "", &taken),
        };
        self.objects.insert(
            api.to_owned(),
            ObjectNames {
                type_name: name.clone(),
                ..ObjectNames::default()
            },
        );
        Ok(name)
    }

    /// Names every field of `fields` (API names) of object `api` that has none yet, in a
    /// deterministic order (fields whose API name is already a good Rust name first, then by
    /// API name). The object must have a type name.
    pub fn fields<'a>(&mut self, api: &str, fields: impl IntoIterator<Item = &'a str>) {
        let object = self.objects.entry(api.to_owned()).or_default();
        let mut new: Vec<&str> = fields
            .into_iter()
            .filter(|f| !object.fields.contains_key(*f))
            .collect();
        new.sort_by_key(|f| (derive_field_name(f) != *f, *f));
        new.dedup();
        let mut taken: BTreeSet<String> = object.fields.values().cloned().collect();
        for f in new {
            let name = unique(&derive_field_name(f), "_", &taken);
            taken.insert(name.clone());
            object.fields.insert(f.to_owned(), name);
        }
    }

    /// Names the option enum of field `field` of object `api` and each of its `values` that
    /// has no name yet (`values` in the tenant's order).
    pub fn options(&mut self, api: &str, field: &str, values: &[&str]) {
        let type_taken = self.type_names();
        let object = self.objects.entry(api.to_owned()).or_default();
        let object_type = object.type_name.clone();
        let entry = object.options.entry(field.to_owned()).or_insert_with(|| {
            let stem = field.strip_suffix("__c").unwrap_or(field);
            let base = derive_type_name(&format!("{object_type}_{stem}"));
            OptionNames {
                type_name: unique(&base, "", &type_taken),
                variants: BTreeMap::new(),
            }
        });
        let mut taken: BTreeSet<String> = entry.variants.values().cloned().collect();
        for (i, value) in values.iter().enumerate() {
            if entry.variants.contains_key(*value) {
                continue;
            }
            let name = unique(&derive_variant_name(value, i + 1), "", &taken);
            taken.insert(name.clone());
            entry.variants.insert((*value).to_owned(), name);
        }
    }

    /// The book as `names.json` text (sorted keys, two-space indent, final newline).
    pub fn to_json(&self) -> String {
        let objects: Map<String, Value> = self
            .objects
            .iter()
            .map(|(api, o)| {
                let mut entry = Map::new();
                entry.insert("type".into(), json!(o.type_name));
                entry.insert("fields".into(), json!(o.fields));
                if !o.options.is_empty() {
                    let options: Map<String, Value> = o
                        .options
                        .iter()
                        .map(|(f, e)| {
                            (
                                f.clone(),
                                json!({ "type": e.type_name, "variants": e.variants }),
                            )
                        })
                        .collect();
                    entry.insert("options".into(), Value::Object(options));
                }
                (api.clone(), Value::Object(entry))
            })
            .collect();
        crate::output::pretty_json(&json!({ "objects": objects }))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pascal() {
        assert_eq!(pascal_case("create_data"), "CreateData");
        assert_eq!(pascal_case("CustomerFieldVO"), "CustomerFieldVo");
        assert_eq!(pascal_case("PaymentObj"), "PaymentObj");
        assert_eq!(pascal_case("LifeStatusKnown"), "LifeStatusKnown");
    }

    #[test]
    fn snake() {
        assert_eq!(snake_case("field_SdEgv__c"), "field_sd_egv_c");
        assert_eq!(snake_case("_id"), "id");
        assert_eq!(snake_case("Name__c"), "name_c");
        assert_eq!(snake_case("accountId"), "account_id");
        assert_eq!(
            snake_case("text_6ts9_1687316347239"),
            "text_6ts9_1687316347239"
        );
        assert_eq!(snake_case("客户"), "");
    }

    #[test]
    fn derived_names_are_identifiers() {
        for api in ["object_8W9cb__c", "AccountObj", "9abc", "客户", "a-b c"] {
            let t = derive_type_name(api);
            assert!(is_type_name(&t), "{api} → {t}");
        }
        for api in ["type", "extra", "_id", "Name__c", "9x", "客户", "self"] {
            let f = derive_field_name(api);
            assert!(is_identifier(&f) && f != "extra", "{api} → {f}");
        }
        assert_eq!(derive_variant_name("h3mB6wAoj", 1), "H3mB6wAoj");
        assert_eq!(derive_variant_name("1", 1), "V1");
        assert_eq!(derive_variant_name("重要", 3), "Option3");
        assert_eq!(derive_variant_name("", 2), "Option2");
    }

    #[test]
    fn collisions_are_resolved_deterministically_and_pinned() {
        let mut book = NameBook::new(["AttachmentFile".to_owned()]);
        assert_eq!(book.object("AccountObj", None).unwrap(), "AccountObj");
        book.fields(
            "AccountObj",
            ["Name", "name", "Name__c", "type", "extra", "_id"],
        );
        let f = &book.objects["AccountObj"].fields;
        assert_eq!(f["name"], "name");
        assert_eq!(f["Name"], "name_2");
        assert_eq!(f["Name__c"], "name_c");
        assert_eq!(f["type"], "type_");
        assert_eq!(f["extra"], "extra_");
        assert_eq!(f["_id"], "id");
        book.options("AccountObj", "level__c", &["重要", "普通", "1", "V1"]);
        let o = &book.objects["AccountObj"].options["level__c"];
        assert_eq!(o.type_name, "AccountObjLevel");
        assert_eq!(o.variants["重要"], "Option1");
        assert_eq!(o.variants["普通"], "Option2");
        assert_eq!(o.variants["1"], "V1");
        assert_eq!(o.variants["V1"], "V12");
        book.validate().unwrap();

        // A second pull with more fields never renames, and a name requested later fails.
        let before = book.clone();
        book.fields("AccountObj", ["name_2", "Name"]);
        assert_eq!(book.objects["AccountObj"].fields["Name"], "name_2");
        assert_eq!(book.objects["AccountObj"].fields["name_2"], "name_2_2");
        for (k, v) in &before.objects["AccountObj"].fields {
            assert_eq!(&book.objects["AccountObj"].fields[k], v);
        }
        assert!(book.object("AccountObj", Some("Account")).is_err());
        assert!(book.object("Other", Some("AttachmentFile")).is_err());
        assert!(book.object("Other", Some("not_pascal")).is_err());
        assert_eq!(book.object("Account-Obj", None).unwrap(), "AccountObj2");
    }
}
