//! The CLI's error type: what went wrong, and the exit code it earns.

use std::fmt;

/// A failed command, split by whose fault it is: exit code 2 for usage, 1 otherwise.
#[derive(Debug, PartialEq, Eq)]
pub enum CliError {
    /// The command line itself is malformed.
    Usage(String),
    /// The command was understood but could not be carried out.
    Failed(String),
}

impl CliError {
    /// A malformed command line.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::Usage(message.into())
    }

    /// A well-formed request that failed.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::Failed(message.into())
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => 2,
            Self::Failed(_) => 1,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(message) | Self::Failed(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for CliError {}
