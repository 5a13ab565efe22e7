//! The `socket` and `tls` packages (§0, §11): natives that validate their arguments, hand the
//! work to the host's network through the [`NativeCx`] and return task ids. Both packages
//! share one implementation; a [`Family`] says which one a call came through, and an id of the
//! other family is refused with a message saying what it is.

use kiwi_vm::error::{ErrorType, KResult, KiwiError};
use kiwi_vm::native::{Arity, IdKind, NativeCx, NativeFn, Package, Reply, Started};
use kiwi_vm::net::{Identity, NetFailure, NetId, OptionValue, SocketKind};
use kiwi_vm::value::{Key, Value};

/// `recv`'s default `max_bytes`.
const DEFAULT_RECV: i64 = 4096;
/// `recv_until`'s default `max_bytes`.
const DEFAULT_RECV_UNTIL: i64 = 65536;
/// `tcpserver`'s default backlog.
const DEFAULT_BACKLOG: i64 = 128;
/// `tls::tcpconnect`'s default port.
const DEFAULT_TLS_PORT: i64 = 443;

/// Which package a call came through.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Family {
    /// `socket::`, plain TCP.
    Tcp,
    /// `tls::`.
    Tls,
}

impl Family {
    fn package(self) -> &'static str {
        match self {
            Family::Tcp => "socket",
            Family::Tls => "tls",
        }
    }

    /// `package::function`, for argument error messages without allocating.
    fn qualified(self, function: &str) -> &'static str {
        match (self, function) {
            (Family::Tcp, "tcpserver") => "socket::tcpserver",
            (Family::Tls, "tcpserver") => "tls::tcpserver",
            (Family::Tcp, "tcpconnect") => "socket::tcpconnect",
            (Family::Tls, "tcpconnect") => "tls::tcpconnect",
            (Family::Tcp, "accept") => "socket::accept",
            (Family::Tls, "accept") => "tls::accept",
            (Family::Tcp, "recv") => "socket::recv",
            (Family::Tls, "recv") => "tls::recv",
            (Family::Tcp, "recv_until") => "socket::recv_until",
            (Family::Tls, "recv_until") => "tls::recv_until",
            (Family::Tcp, "send") => "socket::send",
            (Family::Tls, "send") => "tls::send",
            (Family::Tcp, "close") => "socket::close",
            (Family::Tls, "close") => "tls::close",
            (Family::Tcp, "shutdown") => "socket::shutdown",
            (Family::Tls, "shutdown") => "tls::shutdown",
            (Family::Tcp, "local_addr") => "socket::local_addr",
            (Family::Tls, "local_addr") => "tls::local_addr",
            (Family::Tcp, "peer_addr") => "socket::peer_addr",
            (Family::Tls, "peer_addr") => "tls::peer_addr",
            (Family::Tcp, "setopt") => "socket::setopt",
            (Family::Tls, "setopt") => "tls::setopt",
            (Family::Tcp, "getopt") => "socket::getopt",
            (Family::Tls, "getopt") => "tls::getopt",
            (Family::Tcp, "resolve") => "socket::resolve",
            (Family::Tls, "resolve") => "tls::resolve",
            (Family::Tcp, _) => "socket",
            (Family::Tls, _) => "tls",
        }
    }

    fn listener(self) -> SocketKind {
        match self {
            Family::Tcp => SocketKind::Listener,
            Family::Tls => SocketKind::TlsListener,
        }
    }

    fn stream(self) -> SocketKind {
        match self {
            Family::Tcp => SocketKind::Stream,
            Family::Tls => SocketKind::TlsStream,
        }
    }
}

/// What a socket of kind `k` is, for messages.
fn describe(k: SocketKind) -> &'static str {
    match k {
        SocketKind::Listener => "a listening TCP socket",
        SocketKind::Stream => "a TCP connection",
        SocketKind::TlsListener => "a listening TLS socket",
        SocketKind::TlsStream => "a TLS connection",
    }
}

/// The package a socket of kind `k` belongs to.
fn family_of(k: SocketKind) -> Family {
    match k {
        SocketKind::Listener | SocketKind::Stream => Family::Tcp,
        SocketKind::TlsListener | SocketKind::TlsStream => Family::Tls,
    }
}

/// Which kinds of socket a function accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    Listener,
    Stream,
    Any,
}

/// A network package: the functions `socket` and `tls` share (over `$family`, with the given
/// arities of `tcpserver` and `tcpconnect`), then `$extra` ones.
macro_rules! net_package {
    ($name:literal, $family:expr, server: $server:expr, connect: $connect:expr, [$($extra:expr),*]) => {
        Package {
            name: $name,
            functions: &[
                NativeFn::cx("tcpserver", $server, |cx, a| server(cx, $family, a)),
                NativeFn::cx("tcpconnect", $connect, |cx, a| connect(cx, $family, a)),
                NativeFn::cx("accept", Arity::exactly(1), |cx, a| accept(cx, $family, a)),
                NativeFn::cx("recv", Arity::between(1, 3), |cx, a| recv(cx, $family, a)),
                NativeFn::cx("recv_until", Arity::between(2, 4), |cx, a| {
                    recv_until(cx, $family, a)
                }),
                NativeFn::cx("send", Arity::exactly(2), |cx, a| send(cx, $family, a)),
                NativeFn::cx("close", Arity::exactly(1), |cx, a| close(cx, $family, a)),
                NativeFn::cx("shutdown", Arity::exactly(1), |cx, a| shutdown(cx, $family, a)),
                NativeFn::cx("local_addr", Arity::exactly(1), |cx, a| {
                    address(cx, $family, "local_addr", a)
                }),
                NativeFn::cx("peer_addr", Arity::exactly(1), |cx, a| {
                    address(cx, $family, "peer_addr", a)
                }),
                NativeFn::cx("setopt", Arity::between(2, 3), |cx, a| setopt(cx, $family, a)),
                NativeFn::cx("getopt", Arity::exactly(2), |cx, a| getopt(cx, $family, a)),
                NativeFn::cx("resolve", Arity::exactly(1), |cx, a| resolve(cx, $family, a)),
                $($extra),*
            ],
        }
    };
}

/// The `socket` package: plain TCP.
pub const SOCKET: Package = net_package!(
    "socket",
    Family::Tcp,
    server: Arity::between(2, 4),
    connect: Arity::between(2, 3),
    []
);

/// The `tls` package: the `socket` functions over TLS (`tcpserver` also takes a certificate
/// and key, `tcpconnect` a server name), plus `trust` and `last_error`.
pub const TLS: Package = net_package!(
    "tls",
    Family::Tls,
    server: Arity::between(2, 6),
    connect: Arity::between(1, 4),
    [
        NativeFn::cx("trust", Arity::exactly(1), trust),
        NativeFn::cx("last_error", Arity::exactly(0), |cx, _| {
            Ok(Value::str(cx.tls_last_error()).into())
        })
    ]
);

/// The value of a started operation: awaited in the call when the script awaits it at once
/// (`task::await(socket::recv(...))`), else its task id.
pub(crate) fn reply(cx: &mut NativeCx<'_>, started: Started) -> KResult<Reply> {
    if cx.awaited_at_once() {
        cx.await_started(started)
    } else {
        Ok(cx.op_value(started).into())
    }
}

/// `recv(id, max_bytes = 4096, timeout_ms = 0)`.
fn recv(cx: &mut NativeCx<'_>, family: Family, args: &[Value]) -> KResult<Reply> {
    let name = family.qualified("recv");
    let sock = id_arg(name, args, 0)?;
    let max = positive_arg(name, args, 1, DEFAULT_RECV, "max_bytes")?;
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let timeout = timeout_arg(name, args, 2)?;
    let checked = check_kind(cx, family, sock, Want::Stream, "recv");
    let started = cx.begin_op(checked, |net, op| net.recv(op, sock, max));
    if let (Started::Pending(op), Some(ms)) = (&started, timeout) {
        cx.arm_deadline(*op, Some(sock), format!("{name} on socket {sock}"), "", ms);
    }
    reply(cx, started)
}

/// `recv_until(id, delimiter, max_bytes = 65536, timeout_ms = 0)`.
fn recv_until(cx: &mut NativeCx<'_>, family: Family, args: &[Value]) -> KResult<Reply> {
    let name = family.qualified("recv_until");
    let sock = id_arg(name, args, 0)?;
    let delimiter = match args.get(1) {
        Some(Value::Str(s)) => s.as_bytes().to_vec(),
        Some(Value::Bytes(b)) => b.borrow().clone(),
        other => return Err(arg_type_error(name, 1, "String or Bytes", other)),
    };
    if delimiter.is_empty() {
        return Err(KiwiError::new(
            ErrorType::ValueError,
            format!("{name}: the delimiter must not be empty"),
        ));
    }
    let max = positive_arg(name, args, 2, DEFAULT_RECV_UNTIL, "max_bytes")?;
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let timeout = timeout_arg(name, args, 3)?;
    let checked = check_kind(cx, family, sock, Want::Stream, "recv_until");
    let started = cx.begin_op(checked, |net, op| net.recv_until(op, sock, &delimiter, max));
    if let (Started::Pending(op), Some(ms)) = (&started, timeout) {
        cx.arm_deadline(*op, Some(sock), format!("{name} on socket {sock}"), "", ms);
    }
    reply(cx, started)
}

/// `send(id, data)`.
fn send(cx: &mut NativeCx<'_>, family: Family, args: &[Value]) -> KResult<Reply> {
    let name = family.qualified("send");
    let sock = id_arg(name, args, 0)?;
    let data = bytes_arg(name, args, 1)?;
    let checked = check_kind(cx, family, sock, Want::Stream, "send");
    // The bytes are lent to the network, which copies them only if the send must wait.
    let data = data.borrow();
    let started = cx.begin_op(checked, |net, op| net.send(op, sock, &data));
    drop(data);
    reply(cx, started)
}

/// `accept(id)`: the operation's task id; its result is the new connection's id.
fn accept(cx: &mut NativeCx<'_>, family: Family, args: &[Value]) -> KResult<Reply> {
    let server = id_arg(family.qualified("accept"), args, 0)?;
    let checked = check_kind(cx, family, server, Want::Listener, "accept");
    let started = cx.begin_op(checked, |net, op| net.accept(op, server));
    Ok(cx.op_value(started).into())
}

/// `resolve(host)`: the addresses `host` resolves to; only the calling task waits.
fn resolve(cx: &mut NativeCx<'_>, family: Family, args: &[Value]) -> KResult<Reply> {
    let host = str_arg(family.qualified("resolve"), args, 0)?;
    let op = cx.register_op();
    cx.net().resolve(op, &host);
    cx.wait_for_op(op)
}

/// `close(id)`: an id of the other package is refused; an unknown id is a no-op (§0).
fn close(cx: &mut NativeCx<'_>, family: Family, args: &[Value]) -> KResult<Reply> {
    let id = id_arg(family.qualified("close"), args, 0)?;
    if let Some(k) = cx.net().kind(id) {
        if family_of(k) != family {
            return Err(system_error(wrong_family(id, k, "close")));
        }
        cx.net().close(id);
        // Deliver the faults now, so tasks awaiting them wake in this round.
        cx.poll_net();
    }
    Ok(Value::Null.into())
}

/// `shutdown(id)`: no more sending on a connection.
fn shutdown(cx: &mut NativeCx<'_>, family: Family, args: &[Value]) -> KResult<Reply> {
    let id = id_arg(family.qualified("shutdown"), args, 0)?;
    check_kind(cx, family, id, Want::Stream, "shutdown")
        .map_err(NetFailure::from)
        .and_then(|()| cx.net().shutdown(id))
        .map_err(system_error)?;
    Ok(Value::Null.into())
}

/// `local_addr(id)` / `peer_addr(id)`: `{"host": ..., "port": ...}`.
fn address(
    cx: &mut NativeCx<'_>,
    family: Family,
    function: &str,
    args: &[Value],
) -> KResult<Reply> {
    let id = id_arg(family.qualified(function), args, 0)?;
    let addr = if function == "local_addr" {
        check_kind(cx, family, id, Want::Any, function)
            .map_err(NetFailure::from)
            .and_then(|()| cx.net().local_addr(id))
    } else {
        check_kind(cx, family, id, Want::Stream, function)
            .map_err(NetFailure::from)
            .and_then(|()| cx.net().peer_addr(id))
    }
    .map_err(system_error)?;
    Ok(Value::map(
        [
            (Key::from("host"), Value::str(addr.ip().to_string())),
            (Key::from("port"), Value::Int(i64::from(addr.port()))),
        ]
        .into_iter()
        .collect(),
    )
    .into())
}

/// `getopt(id, option)`: the option's value (null when it is off).
fn getopt(cx: &mut NativeCx<'_>, family: Family, args: &[Value]) -> KResult<Reply> {
    let name = family.qualified("getopt");
    let id = id_arg(name, args, 0)?;
    let option = str_arg(name, args, 1)?;
    check_kind(cx, family, id, Want::Any, "getopt").map_err(system_error)?;
    Ok(
        match cx.net().get_option(id, &option).map_err(option_error)? {
            OptionValue::Bool(b) => Value::Bool(b),
            OptionValue::Int(n) => Value::Int(n),
            OptionValue::Off => Value::Null,
        }
        .into(),
    )
}

/// `setopt(id, option, value)`: a boolean, an integer, or null to turn it off.
fn setopt(cx: &mut NativeCx<'_>, family: Family, args: &[Value]) -> KResult<Reply> {
    let name = family.qualified("setopt");
    let id = id_arg(name, args, 0)?;
    let option = str_arg(name, args, 1)?;
    check_kind(cx, family, id, Want::Any, "setopt").map_err(system_error)?;
    let value = match args.get(2) {
        Some(Value::Bool(b)) => OptionValue::Bool(*b),
        Some(Value::Int(n)) => OptionValue::Int(*n),
        Some(Value::Null) | None => OptionValue::Off,
        Some(other) => {
            return Err(arg_type_error(
                name,
                2,
                "Boolean, Integer or null",
                Some(other),
            ))
        }
    };
    cx.net()
        .set_option(id, &option, value)
        .map_err(option_error)?;
    Ok(Value::Null.into())
}

/// `tls::trust(path)`: adds the PEM certificates of `path` to the trusted roots; how many.
fn trust(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let path = str_arg("tls::trust", args, 0)?;
    let added = cx.net().tls_trust(&path).map_err(system_error)?;
    Ok(Value::Int(i64::try_from(added).unwrap_or(i64::MAX)).into())
}

/// Whether listeners share their port by default: in a worker started by `kiwi --workers N`
/// (which sets `KIWI_WORKER`), so N copies of a server script can all bind it.
pub(crate) fn reuse_port_default() -> bool {
    std::env::var_os("KIWI_WORKER").is_some()
}

/// An optional boolean argument (`default` when missing or null).
pub(crate) fn opt_bool_arg(name: &str, args: &[Value], i: usize, default: bool) -> KResult<bool> {
    match args.get(i) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        other => Err(arg_type_error(name, i, "Boolean", other)),
    }
}

/// `tcpserver(host, port, backlog = 128, reuse_port = false)`, and for TLS
/// `tcpserver(host, port, backlog = 128, cert = "", key = "", reuse_port = false)`.
fn server(cx: &mut NativeCx<'_>, family: Family, args: &[Value]) -> KResult<Reply> {
    let name = family.qualified("tcpserver");
    let host = str_arg(name, args, 0)?;
    let port = port_arg(name, args, 1)?;
    let backlog = positive_arg(name, args, 2, DEFAULT_BACKLOG, "backlog")?;
    let backlog = u32::try_from(backlog).unwrap_or(u32::MAX);
    let reuse_at = match family {
        Family::Tcp => 3,
        Family::Tls => 5,
    };
    let reuse_port = opt_bool_arg(name, args, reuse_at, reuse_port_default())?;
    let made = match family {
        Family::Tcp => cx.net().tcp_server(&host, port, backlog, reuse_port),
        Family::Tls => {
            let cert = opt_str_arg(name, args, 3)?;
            let key = opt_str_arg(name, args, 4)?;
            let identity = match (cert.as_str(), key.as_str()) {
                ("", "") => None,
                ("", _) | (_, "") => {
                    return Err(KiwiError::new(
                        ErrorType::ValueError,
                        "tls::tcpserver needs both cert and key (or neither, for the \
                         development certificate)",
                    ))
                }
                (cert, key) => Some(Identity { cert, key }),
            };
            cx.net()
                .tls_server(&host, port, backlog, reuse_port, identity)
        }
    };
    made.map(|id| Value::Int(id).into()).map_err(system_error)
}

/// `tcpconnect`: suspends only the calling task, on a hidden connect operation.
fn connect(cx: &mut NativeCx<'_>, family: Family, args: &[Value]) -> KResult<Reply> {
    let name = family.qualified("tcpconnect");
    let host = str_arg(name, args, 0)?;
    let (op, port, timeout) = match family {
        Family::Tcp => {
            let port = port_arg(name, args, 1)?;
            let timeout = timeout_arg(name, args, 2)?;
            let op = cx.register_op();
            cx.net().connect(op, &host, port);
            (op, port, timeout)
        }
        Family::Tls => {
            let port = int_arg(name, args, 1, Some(DEFAULT_TLS_PORT))?;
            let port = u16::try_from(port).map_err(|_| port_range_error(port))?;
            let sni = opt_str_arg(name, args, 2)?;
            let timeout = timeout_arg(name, args, 3)?;
            let op = cx.register_op();
            // Its failure becomes a negative code and `last_error`, not an exception.
            cx.watch_tls_connect(op);
            cx.net().tls_connect(op, &host, port, &sni);
            (op, port, timeout)
        }
    };
    if let Some(ms) = timeout {
        let peer = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        cx.arm_deadline(op, None, format!("connect to {peer}"), &peer, ms);
    }
    cx.wait_for_op(op)
}

/// `Ok` if `id` is a live socket of `family` that `function` can use, else the reason,
/// saying what `id` is.
fn check_kind(
    cx: &mut NativeCx<'_>,
    family: Family,
    id: NetId,
    want: Want,
    function: &str,
) -> Result<(), String> {
    let Some(k) = cx.net().kind(id) else {
        return Err(not_a_socket(cx, id));
    };
    if family_of(k) != family {
        return Err(wrong_family(id, k, function));
    }
    match want {
        Want::Any => Ok(()),
        Want::Listener if k == family.listener() => Ok(()),
        Want::Stream if k == family.stream() => Ok(()),
        Want::Listener => Err(format!(
            "socket {id} is {}, not a listening socket",
            describe(k)
        )),
        Want::Stream => Err(format!("socket {id} is {}, not a connection", describe(k))),
    }
}

fn wrong_family(id: NetId, k: SocketKind, function: &str) -> String {
    format!(
        "socket {id} is {}: use {}::{function}",
        describe(k),
        family_of(k).package()
    )
}

/// "invalid socket id N", with what the id names instead when it names something.
fn not_a_socket(cx: &NativeCx<'_>, id: NetId) -> String {
    match cx.id_kind(id) {
        Some(IdKind::Operation) => {
            format!("invalid socket id {id} (it is the task id of a socket operation)")
        }
        Some(_) => format!("invalid socket id {id} (it is a task id)"),
        None => format!("invalid socket id {id}"),
    }
}

/// A bad option name or value is the script's mistake (`ValueError`); anything else is the OS's.
fn option_error(f: NetFailure) -> KiwiError {
    if f.message.starts_with("unknown socket option") || f.message.starts_with("socket option '") {
        KiwiError::new(ErrorType::ValueError, f.message)
    } else {
        system_error(f)
    }
}

pub(crate) fn system_error(reason: impl std::fmt::Display) -> KiwiError {
    KiwiError::new(ErrorType::SystemError, reason.to_string())
}

pub(crate) fn arg_type_error(
    name: &str,
    i: usize,
    expected: &str,
    got: Option<&Value>,
) -> KiwiError {
    KiwiError::param_type(
        name,
        i + 1,
        expected,
        got.map_or("None", Value::dotnet_type_name),
    )
}

/// A string argument, borrowed (no copy, for calls made once per datagram or request).
pub(crate) fn str_ref_arg<'a>(name: &str, args: &'a [Value], i: usize) -> KResult<&'a str> {
    match args.get(i) {
        Some(Value::Str(s)) => Ok(s.as_str()),
        other => Err(arg_type_error(name, i, "String", other)),
    }
}

pub(crate) fn str_arg(name: &str, args: &[Value], i: usize) -> KResult<String> {
    match args.get(i) {
        Some(Value::Str(s)) => Ok(s.to_string()),
        other => Err(arg_type_error(name, i, "String", other)),
    }
}

/// A string argument that defaults to `""` when missing or null.
pub(crate) fn opt_str_arg(name: &str, args: &[Value], i: usize) -> KResult<String> {
    match args.get(i) {
        None | Some(Value::Null) => Ok(String::new()),
        _ => str_arg(name, args, i),
    }
}

pub(crate) fn int_arg(name: &str, args: &[Value], i: usize, default: Option<i64>) -> KResult<i64> {
    match (args.get(i), default) {
        (Some(Value::Int(n)), _) => Ok(*n),
        (None | Some(Value::Null), Some(d)) => Ok(d),
        (other, _) => Err(arg_type_error(name, i, "Integer", other)),
    }
}

/// An integer argument that must be positive (default `default` when missing or null).
pub(crate) fn positive_arg(
    name: &str,
    args: &[Value],
    i: usize,
    default: i64,
    what: &str,
) -> KResult<i64> {
    let n = int_arg(name, args, i, Some(default))?;
    if n <= 0 {
        return Err(KiwiError::new(
            ErrorType::ValueError,
            format!("{what} must be a positive integer, got {n}"),
        ));
    }
    Ok(n)
}

/// An optional `timeout_ms` argument: `None` for none (0 or absent, the OS's own limits).
pub(crate) fn timeout_arg(name: &str, args: &[Value], i: usize) -> KResult<Option<i64>> {
    match int_arg(name, args, i, Some(0))? {
        0 => Ok(None),
        ms if ms > 0 => Ok(Some(ms)),
        ms => Err(KiwiError::new(
            ErrorType::ValueError,
            format!("{name}: timeout_ms must be 0 (none) or more, not {ms}"),
        )),
    }
}

pub(crate) fn id_arg(name: &str, args: &[Value], i: usize) -> KResult<NetId> {
    int_arg(name, args, i, None)
}

fn port_range_error(port: i64) -> KiwiError {
    system_error(format!(
        "port {port} is out of range (a port is 0 to 65535)"
    ))
}

pub(crate) fn port_arg(name: &str, args: &[Value], i: usize) -> KResult<u16> {
    let port = int_arg(name, args, i, None)?;
    u16::try_from(port).map_err(|_| port_range_error(port))
}

fn bytes_arg<'a>(
    name: &str,
    args: &'a [Value],
    i: usize,
) -> KResult<&'a std::cell::RefCell<Vec<u8>>> {
    match args.get(i) {
        Some(Value::Bytes(b)) => Ok(b),
        Some(Value::Str(_)) => Err(KiwiError::new(
            ErrorType::ParameterTypeMismatchError,
            format!(
                "The type for parameter {} of `{name}` is not an expected type. Expected Bytes but received String. Send text as bytes: data.to_bytes().",
                i + 1
            ),
        )),
        other => Err(arg_type_error(name, i, "Bytes", other)),
    }
}
