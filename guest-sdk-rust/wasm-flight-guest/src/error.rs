use std::fmt;

/// The result type of every fallible SDK call and of user functions.
pub type Result<T> = core::result::Result<T, Error>;

/// What went wrong, as the host reports it to the client (ABI §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The function rejects its input: schema, types or options (`INVALID_ARGUMENT`).
    InvalidInput,
    /// The function failed while running (`INTERNAL`, "guest error").
    Execution,
    /// The guest could not allocate (`RESOURCE_EXHAUSTED`).
    OutOfMemory,
}

impl ErrorKind {
    /// The ABI status code: 1, 2 or 3.
    pub fn status(self) -> i32 {
        match self {
            ErrorKind::InvalidInput => 1,
            ErrorKind::Execution => 2,
            ErrorKind::OutOfMemory => 3,
        }
    }
}

/// An error returned to the host: a kind (the status) and a message (`wf_last_error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into() }
    }

    pub fn invalid_input(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, message)
    }

    pub fn execution(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Execution, message)
    }

    pub fn out_of_memory(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::OutOfMemory, message)
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The ABI status code of this error.
    pub fn status(&self) -> i32 {
        self.kind.status()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_statuses() {
        assert_eq!(Error::invalid_input("a").status(), 1);
        assert_eq!(Error::execution("b").status(), 2);
        assert_eq!(Error::out_of_memory("c").status(), 3);
        let e = Error::new(ErrorKind::Execution, format!("{} failed", "x"));
        assert_eq!(
            (e.kind(), e.message(), e.to_string()),
            (ErrorKind::Execution, "x failed", "x failed".into())
        );
    }
}
