//! Kiwi errors: a type string and a message, catchable as `{"error": type, "message": msg}`.

use std::fmt;
use std::rc::Rc;

/// The error types the runtime raises (§6.3). Thrown values may carry any other type string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    /// Syntax error (also raised at run time, e.g. list repetition by zero).
    SyntaxError,
    /// Read of a global that was never assigned.
    VariableUndefinedError,
    /// Unknown method.
    FunctionUndefinedError,
    /// Wrong kind of value (e.g. spawning a non-callable).
    TypeError,
    /// A builtin got an argument of the wrong type.
    ParameterTypeMismatchError,
    /// A builtin got the wrong number of arguments, or a required parameter was left unfilled.
    ParameterCountMismatchError,
    /// Operator or conversion on incompatible values.
    ConversionError,
    /// Division or remainder by zero.
    DivideByZeroError,
    /// Index out of range.
    IndexError,
    /// Bad range bounds.
    RangeError,
    /// Bad argument value.
    ValueError,
    /// Operation not valid on this value.
    InvalidOperationError,
    /// Unknown package.
    PackageUndefinedError,
    /// Stack overflow, bad named argument.
    RuntimeError,
    /// Awaiting a faulted task; OS-level failures.
    SystemError,
    /// A thrown string or other non-hashmap value.
    KiwiError,
    /// `task::await(id, timeout_ms)` ran out of time.
    TimeoutError,
    /// `task::cancel` stopped the task or the operation.
    CancelledError,
}

impl ErrorType {
    /// The type string scripts see in `e["error"]`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorType::SyntaxError => "SyntaxError",
            ErrorType::VariableUndefinedError => "VariableUndefinedError",
            ErrorType::FunctionUndefinedError => "FunctionUndefinedError",
            ErrorType::TypeError => "TypeError",
            ErrorType::ParameterTypeMismatchError => "ParameterTypeMismatchError",
            ErrorType::ParameterCountMismatchError => "ParameterCountMismatchError",
            ErrorType::ConversionError => "ConversionError",
            ErrorType::DivideByZeroError => "DivideByZeroError",
            ErrorType::IndexError => "IndexError",
            ErrorType::RangeError => "RangeError",
            ErrorType::ValueError => "ValueError",
            ErrorType::InvalidOperationError => "InvalidOperationError",
            ErrorType::PackageUndefinedError => "PackageUndefinedError",
            ErrorType::RuntimeError => "RuntimeError",
            ErrorType::SystemError => "SystemError",
            ErrorType::KiwiError => "KiwiError",
            ErrorType::TimeoutError => "TimeoutError",
            ErrorType::CancelledError => "CancelledError",
        }
    }
}

/// A Kiwi error value: what `catch e` sees as `e["error"]` and `e["message"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KiwiError {
    /// The type string (`"ValueError"`, or whatever a thrown hashmap said).
    pub error: Rc<str>,
    /// The message.
    pub message: Rc<str>,
}

impl KiwiError {
    /// An error of one of the runtime's own types.
    pub fn new(ty: ErrorType, message: impl Into<String>) -> Self {
        KiwiError {
            error: Rc::from(ty.name()),
            message: Rc::from(message.into()),
        }
    }

    /// An error with an arbitrary type string (from `throw {"error": ..}`).
    pub fn custom(error: impl Into<String>, message: impl Into<String>) -> Self {
        KiwiError {
            error: Rc::from(error.into()),
            message: Rc::from(message.into()),
        }
    }

    /// The standard "wrong argument count" error of a builtin method or function.
    pub fn param_count(name: &str, expected: usize, received: usize) -> Self {
        KiwiError::new(
            ErrorType::ParameterCountMismatchError,
            format!(
                "The parameter count for function `{name}` does not match parameters passed. Expected {expected} but received {received}."
            ),
        )
    }

    /// The standard "wrong argument type" error of a builtin.
    pub fn param_type(name: &str, position: usize, expected: &str, received: &str) -> Self {
        KiwiError::new(
            ErrorType::ParameterTypeMismatchError,
            format!(
                "The type for parameter {position} of `{name}` is not an expected type. Expected {expected} but received {received}."
            ),
        )
    }
}

impl KiwiError {
    /// Whether this is a cancellation (`task::cancel`), which a `try` without `catch` does
    /// not swallow and which is never reported as an unretrieved failure.
    pub fn is_cancellation(&self) -> bool {
        &*self.error == ErrorType::CancelledError.name()
    }
}

impl fmt::Display for KiwiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}]: {}", self.error, self.message)
    }
}

impl std::error::Error for KiwiError {}

/// Shorthand for building an `Err(KiwiError)` of a runtime type.
pub fn err<T>(ty: ErrorType, message: impl Into<String>) -> Result<T, KiwiError> {
    Err(KiwiError::new(ty, message))
}

/// The result type of every fallible runtime operation.
pub type KResult<T> = Result<T, KiwiError>;
