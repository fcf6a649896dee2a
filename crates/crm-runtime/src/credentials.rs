//! What every client builder and `from_env` check the same way: credentials that are missing
//! (all named in one error), environment variables, the base URL.

use url::Url;

use crate::{Error, SecretString};

/// A credential that counts as missing when empty.
pub trait Credential {
    /// Whether the value is empty (or only white space).
    fn is_blank(&self) -> bool;
}

impl Credential for String {
    fn is_blank(&self) -> bool {
        self.trim().is_empty()
    }
}

impl Credential for SecretString {
    fn is_blank(&self) -> bool {
        self.expose_secret().trim().is_empty()
    }
}

/// The names of the credentials found missing so far, so that one error names all of them.
#[derive(Debug, Default)]
pub struct Missing(Vec<&'static str>);

impl Missing {
    /// Nothing missing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The environment variables of `names` that are unset or blank.
    pub fn env(names: &[&'static str]) -> Self {
        Self(
            names
                .iter()
                .copied()
                .filter(|n| env_var(n).is_none())
                .collect(),
        )
    }

    /// `value` when it is given and not blank; otherwise `None`, and `name` is missing.
    pub fn take<T: Credential>(&mut self, name: &'static str, value: Option<T>) -> Option<T> {
        let value = value.filter(|v| !v.is_blank());
        if value.is_none() {
            self.0.push(name);
        }
        value
    }

    /// Records `name` as missing.
    pub fn push(&mut self, name: &'static str) {
        self.0.push(name);
    }

    /// `Ok` when nothing is missing, else an [`Error::MissingCredential`] whose message is
    /// `message` applied to the names, comma-separated.
    pub fn check(self, message: impl FnOnce(&str) -> String) -> Result<(), Error> {
        if self.0.is_empty() {
            return Ok(());
        }
        Err(Error::MissingCredential(message(&self.0.join(", "))))
    }
}

/// The environment variable `name`, `None` when it is unset or blank.
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The base URL a builder was given, else `default`; an unparsable one is an [`Error::Config`].
pub fn base_url(given: Option<&str>, default: &str) -> Result<Url, Error> {
    let base = given.unwrap_or(default);
    Url::parse(base).map_err(|e| Error::Config(format!("invalid base URL {base:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_missing_credential_is_named_in_one_error() {
        let mut missing = Missing::new();
        assert_eq!(
            missing.take("a", Some("x".to_owned())).as_deref(),
            Some("x")
        );
        assert!(missing.take("b", Some(" ".to_owned())).is_none());
        assert!(missing.take::<SecretString>("c", None).is_none());
        missing.push("d");
        let err = missing.check(|names| format!("missing {names}"));
        assert!(
            matches!(&err, Err(Error::MissingCredential(m)) if m == "missing b, c, d"),
            "{err:?}"
        );
        assert!(Missing::new().check(|_| String::new()).is_ok());
    }

    #[test]
    fn a_bad_base_url_is_a_config_error() {
        assert!(matches!(
            base_url(Some("not a url"), "http://x"),
            Err(Error::Config(_))
        ));
        assert_eq!(
            base_url(None, "http://x/")
                .map(String::from)
                .ok()
                .as_deref(),
            Some("http://x/")
        );
    }
}
