//! The native half of the `smtp` package: one call that sends a message through the host's
//! SMTP client (the calling task waits, the others run). `Message` is Kiwi, in
//! `kiwi/smtp.kiwi`.

use kiwi_vm::error::{KResult, KiwiError};
use kiwi_vm::native::{Arity, NativeCx, NativeFn, Package, Reply};
use std::time::Duration;

use kiwi_vm::net::{SmtpMail, SmtpSecurity};
use kiwi_vm::value::{Key, Value};

use crate::net::{arg_type_error, reply};

/// The Kiwi part of `smtp`.
pub const SOURCE: &str = include_str!("kiwi/smtp.kiwi");

/// The `smtp` natives.
pub const PACKAGE: Package = Package {
    name: "smtp",
    functions: &[NativeFn::cx("__send__", Arity::exactly(1), send)],
};

fn text(v: Option<Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(v) => kiwi_vm::format::to_display(&v),
    }
}

fn list(v: Option<Value>) -> Vec<String> {
    match v {
        Some(Value::List(l)) => l.borrow().iter().map(kiwi_vm::format::to_display).collect(),
        None | Some(Value::Null) => Vec::new(),
        Some(v) => vec![kiwi_vm::format::to_display(&v)],
    }
}

/// `smtp::__send__({host, port, from, to, cc, bcc, subject, body, html, username, password,
/// use_tls, timeout_ms})`: the server's final reply `{ok, code, message}`.
fn send(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let Some(Value::Map(m)) = args.first() else {
        return Err(arg_type_error("smtp::send", 0, "Hashmap", args.first()));
    };
    let get = |k: &str| m.borrow().get(&Key::from(k)).cloned();
    let port = match get("port") {
        Some(Value::Int(p)) if (1..=65535).contains(&p) => u16::try_from(p).unwrap_or(587),
        None | Some(Value::Null) => 587,
        Some(other) => {
            return Err(KiwiError::custom(
                "ValueError",
                format!(
                    "smtp::send: invalid port {}",
                    kiwi_vm::format::to_display(&other)
                ),
            ))
        }
    };
    let timeout_ms = match get("timeout_ms") {
        Some(Value::Int(ms)) if ms > 0 => ms.unsigned_abs(),
        _ => 30_000,
    };
    // use_tls: true (port 465: TLS from the start, else STARTTLS), false, "implicit" or
    // "starttls".
    let (use_tls, implicit_tls) = match get("use_tls") {
        Some(Value::Bool(false)) => (false, false),
        Some(Value::Str(s)) if s.as_str() == "implicit" => (true, true),
        Some(Value::Str(s)) if s.as_str() == "starttls" => (true, false),
        None | Some(Value::Null) | Some(Value::Bool(true)) => (true, port == 465),
        Some(other) => {
            return Err(KiwiError::custom(
                "ValueError",
                format!(
                    "smtp::send: use_tls must be true, false, \"implicit\" or \"starttls\", not {}",
                    kiwi_vm::format::to_display(&other)
                ),
            ))
        }
    };
    let security = match (use_tls, implicit_tls) {
        (false, _) => SmtpSecurity::None,
        (true, true) => SmtpSecurity::Implicit,
        (true, false) => SmtpSecurity::StartTls,
    };
    let mail = SmtpMail {
        host: text(get("host")),
        port,
        security,
        username: text(get("username")),
        password: text(get("password")),
        from: text(get("from")),
        to: list(get("to")),
        cc: list(get("cc")),
        bcc: list(get("bcc")),
        subject: text(get("subject")),
        body: text(get("body")),
        html: matches!(get("html"), Some(Value::Bool(true))),
        timeout: Duration::from_millis(timeout_ms),
    };
    let started = cx.begin_op(Ok(()), |net, op| net.smtp_send(op, mail));
    reply(cx, started)
}
