//! What can go wrong, as one readable line and an exit code.

use std::fmt;
use std::process::ExitCode;

use crm_runtime::Error;

/// The exit codes of `crm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: not an error after all (stdout was closed by the reader, e.g. `crm ... | head`).
    Success = 0,
    /// 1: a failure of `crm` itself (cannot write the output, cannot start a mock).
    Internal = 1,
    /// 2: bad usage (clap reports its own errors with this code too).
    Usage = 2,
    /// 3: missing or invalid configuration, or the vendor rejected the credentials.
    Config = 3,
    /// 4: the vendor answered with an error (or with something undecodable).
    Api = 4,
    /// 5: the vendor could not be reached or answered with an HTTP error.
    Network = 5,
}

/// An error of a command: its exit code and one line for stderr.
#[derive(Debug)]
pub struct CliError {
    /// The exit code.
    pub exit: Exit,
    /// The message, without the `error: ` prefix.
    pub message: String,
}

/// Result of a command.
pub type CliResult<T = ()> = Result<T, CliError>;

impl CliError {
    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Usage,
            message: message.into(),
        }
    }

    /// A configuration error (exit 3).
    pub fn config(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Config,
            message: message.into(),
        }
    }

    /// A vendor-side failure that is not an error code, e.g. a record that does not exist
    /// (exit 4).
    pub fn api(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Api,
            message: message.into(),
        }
    }

    /// An internal failure (exit 1).
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Internal,
            message: message.into(),
        }
    }

    /// Names the vendor and its address in a network error ("which server could not be
    /// reached?"); other errors already name the vendor.
    pub fn at(mut self, vendor: &str, base_url: &str) -> Self {
        if self.exit == Exit::Network {
            self.message = format!("{vendor} at {base_url}: {}", self.message);
        }
        self
    }

    /// The process exit code.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.exit as u8)
    }

    /// The message on one line (vendor messages may contain line breaks).
    pub fn line(&self) -> String {
        self.message
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line())
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        Self {
            exit: classify(&e),
            message: e.to_string(),
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Self {
                exit: Exit::Success,
                message: "stdout closed".into(),
            };
        }
        Self::internal(format!("cannot write the output: {e}"))
    }
}

/// The exit code of a client error. Auth failures are recognised by each vendor crate's own
/// code table ([`Error::is_auth`]).
pub fn classify(e: &Error) -> Exit {
    match e {
        Error::Config(_) | Error::MissingCredential(_) => Exit::Config,
        e if e.is_invalid_input() => Exit::Usage,
        Error::OutcomeUnknown { source, .. } => classify(source),
        Error::Transport { .. }
        | Error::HttpStatus { .. }
        | Error::ResponseTooLarge { .. }
        | Error::Protocol { .. }
        | Error::Deadline { .. } => Exit::Network,
        e if e.is_auth() => Exit::Config,
        _ => Exit::Api,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_runtime::ApiError;

    fn api(vendor: &'static str, operation: &'static str, code: &str, message: &str) -> Error {
        let mut api = ApiError::new(vendor, operation, code, message);
        api.kind = match vendor {
            "fxiaoke" => fxiaoke_crm::kind_of(code.parse().unwrap_or_default(), message, operation),
            "useasy" => openapi_crm::kind_of(code),
            _ => u8_contacts::kind_of(&api),
        };
        Error::Api(api)
    }

    #[test]
    fn classification() {
        // A vendor's answer: (vendor, operation, code, message) and the exit code it maps to.
        for (vendor, operation, code, message, exit) in [
            (
                "fxiaoke",
                "get_data",
                "20016",
                "token expired",
                Exit::Config,
            ),
            ("fxiaoke", "get_data", "32000", "数据不存在", Exit::Api),
            (
                "fxiaoke",
                "query_data",
                "10013",
                "offset out of range 10000",
                Exit::Api,
            ),
            (
                "fxiaoke",
                "get_corp_access_token",
                "10006",
                "the parameter appSecret is missing or illegal",
                Exit::Config,
            ),
            (
                "fxiaoke",
                "query_data",
                "10006",
                "unknown operator FOO",
                Exit::Api,
            ),
            (
                "useasy",
                "list_customers",
                "401",
                "签名验证失败",
                Exit::Config,
            ),
            (
                "useasy",
                "find_customer_by_id",
                "404",
                "not found",
                Exit::Api,
            ),
            (
                "u8",
                "get_token",
                "40001",
                "app_key或app_secret错误",
                Exit::Config,
            ),
            ("u8", "get_contact", "40005", "客户联系人不存在", Exit::Api),
        ] {
            let error = api(vendor, operation, code, message);
            assert_eq!(
                classify(&error),
                exit,
                "{vendor} {operation} {code} {message}"
            );
        }
        assert_eq!(classify(&Error::Config("x".into())), Exit::Config);
        assert_eq!(
            classify(&Error::MissingCredential("set X".into())),
            Exit::Config
        );
        assert_eq!(
            classify(&Error::InvalidArgument("page size 0".into())),
            Exit::Usage
        );
        let net = Error::HttpStatus {
            operation: "x",
            status: 502,
            excerpt: String::new(),
            retry_after: None,
        };
        assert_eq!(classify(&net), Exit::Network);
        let too_large = Error::ResponseTooLarge {
            operation: "x",
            limit: 1,
        };
        assert_eq!(classify(&too_large), Exit::Network);
    }

    #[test]
    fn one_line() {
        let e = CliError::api("a\nb\r\n  c");
        assert_eq!(e.to_string(), "a b c");
    }
}
