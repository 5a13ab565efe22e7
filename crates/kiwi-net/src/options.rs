//! Socket options a script may read and set (`socket::setopt` / `socket::getopt`), by name.

use std::time::Duration;

use socket2::SockRef;

use crate::{ErrorKind, NetError};

/// An option's value as scripts see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionValue {
    /// `nodelay`, `keepalive`.
    Bool(bool),
    /// `recv_buffer`, `send_buffer` (bytes), `linger` (seconds).
    Int(i64),
    /// `linger` off.
    Off,
}

/// The option names, for messages.
pub const OPTION_NAMES: &str = "nodelay, keepalive, recv_buffer, send_buffer, linger";

fn unknown(name: &str) -> NetError {
    NetError::new(
        ErrorKind::InvalidInput,
        format!("unknown socket option '{name}' (known: {OPTION_NAMES})"),
    )
}

fn bad_value(name: &str, wanted: &str) -> NetError {
    NetError::new(
        ErrorKind::InvalidInput,
        format!("socket option '{name}' takes {wanted}"),
    )
}

/// Sets option `name` on `sock`.
pub(crate) fn set(sock: SockRef<'_>, name: &str, value: OptionValue) -> Result<(), NetError> {
    let io = |e: std::io::Error| NetError::io(format!("setting '{name}'"), &e);
    match (name, value) {
        ("nodelay", OptionValue::Bool(on)) => sock.set_tcp_nodelay(on).map_err(io),
        ("keepalive", OptionValue::Bool(on)) => sock.set_keepalive(on).map_err(io),
        ("recv_buffer" | "send_buffer", OptionValue::Int(n)) if n > 0 => {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            if name == "recv_buffer" {
                sock.set_recv_buffer_size(n).map_err(io)
            } else {
                sock.set_send_buffer_size(n).map_err(io)
            }
        }
        ("linger", OptionValue::Off) => sock.set_linger(None).map_err(io),
        ("linger", OptionValue::Int(secs)) if secs >= 0 => sock
            .set_linger(Some(Duration::from_secs(secs.unsigned_abs())))
            .map_err(io),
        ("nodelay" | "keepalive", _) => Err(bad_value(name, "true or false")),
        ("recv_buffer" | "send_buffer", _) => Err(bad_value(name, "a positive number of bytes")),
        ("linger", _) => Err(bad_value(
            name,
            "a number of seconds (0 or more) or null (off)",
        )),
        _ => Err(unknown(name)),
    }
}

/// Reads option `name` of `sock`.
pub(crate) fn get(sock: SockRef<'_>, name: &str) -> Result<OptionValue, NetError> {
    let io = |e: std::io::Error| NetError::io(format!("reading '{name}'"), &e);
    let int = |n: usize| OptionValue::Int(i64::try_from(n).unwrap_or(i64::MAX));
    match name {
        "nodelay" => sock.tcp_nodelay().map(OptionValue::Bool).map_err(io),
        "keepalive" => sock.keepalive().map(OptionValue::Bool).map_err(io),
        "recv_buffer" => sock.recv_buffer_size().map(int).map_err(io),
        "send_buffer" => sock.send_buffer_size().map(int).map_err(io),
        "linger" => sock
            .linger()
            .map(|l| l.map_or(OptionValue::Off, |d| int(d.as_secs() as usize)))
            .map_err(io),
        _ => Err(unknown(name)),
    }
}
