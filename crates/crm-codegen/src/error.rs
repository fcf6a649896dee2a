//! The generator's error: one line that names the file and the JSON pointer where it can.

use std::fmt;

/// A generation failure. The message names the schema file and the JSON pointer of the
/// problem where there is one, e.g.
/// `schemas/u8/contacts.json: /$defs/Contact/properties/x/$ref: ... has no definition `Nope``.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    message: String,
}

impl Error {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// This error with `context` in front (`context: message`).
    pub fn context(self, context: impl fmt::Display) -> Self {
        Self {
            message: format!("{context}: {}", self.message),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Result of the generator.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `return Err(Error::new(format!(...)))`.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::Error::new(format!($($arg)*)))
    };
}
pub(crate) use bail;

/// `Error::new(format!(...))`.
macro_rules! err {
    ($($arg:tt)*) => {
        $crate::error::Error::new(format!($($arg)*))
    };
}
pub(crate) use err;
