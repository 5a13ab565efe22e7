//! The native half of the `udp` package: sockets, datagrams out, datagrams in (a receive
//! suspends only its task, with an optional timeout). `Socket` is Kiwi, in `kiwi/udp.kiwi`.

use kiwi_vm::error::{ErrorType, KiwiError};
use kiwi_vm::native::{Arity, NativeFn, Package, Started};
use kiwi_vm::value::Value;

use crate::net::{
    arg_type_error, id_arg, int_arg, opt_bool_arg, port_arg, reply, reuse_port_default, str_arg,
    str_ref_arg, timeout_arg,
};

/// The Kiwi part of `udp`.
pub const SOURCE: &str = include_str!("kiwi/udp.kiwi");

/// The `udp` natives.
pub const PACKAGE: Package = Package {
    name: "udp",
    functions: &[
        NativeFn::cx("__socket__", Arity::exactly(0), |cx, _| {
            let id = cx
                .net()
                .udp_socket()
                .map_err(|f| network_error(f.message))?;
            Ok(Value::Int(id).into())
        }),
        NativeFn::cx("__bind__", Arity::between(2, 4), |cx, a| {
            const NAME: &str = "udp::bind";
            let id = id_arg(NAME, a, 0)?;
            let port = port_arg(NAME, a, 1)?;
            let host = match a.get(2) {
                None | Some(Value::Null) => "0.0.0.0".to_string(),
                _ => str_arg(NAME, a, 2)?,
            };
            let reuse = opt_bool_arg(NAME, a, 3, reuse_port_default())?;
            cx.net()
                .udp_bind(id, &host, port, reuse)
                .map_err(|f| network_error(f.message))?;
            Ok(Value::Null.into())
        }),
        NativeFn::cx("__send__", Arity::exactly(4), |cx, a| {
            const NAME: &str = "udp::send";
            let id = id_arg(NAME, a, 0)?;
            let host = str_ref_arg(NAME, a, 1)?;
            let port = port_arg(NAME, a, 2)?;
            // Bytes as they are (borrowed while the send is made), a string as UTF-8, anything
            // else as it prints.
            let (lent, shown);
            let data: &[u8] = match a.get(3) {
                Some(Value::Str(s)) => s.as_bytes(),
                Some(Value::Bytes(b)) => {
                    lent = b.borrow();
                    &lent
                }
                Some(other) => {
                    shown = kiwi_vm::format::to_display(other).into_bytes();
                    &shown
                }
                None => return Err(arg_type_error(NAME, 3, "String or Bytes", None)),
            };
            let started = cx.begin_op(Ok(()), |net, op| net.udp_send(op, id, host, port, data));
            reply(cx, started)
        }),
        NativeFn::cx("__recv__", Arity::between(1, 3), |cx, a| {
            const NAME: &str = "udp::recv";
            let id = id_arg(NAME, a, 0)?;
            let max = int_arg(NAME, a, 1, Some(65_535))?;
            if max <= 0 {
                return Err(KiwiError::new(
                    ErrorType::ValueError,
                    format!("{NAME}: buffer_size must be positive, not {max}"),
                ));
            }
            let max = usize::try_from(max).unwrap_or(usize::MAX);
            let timeout = timeout_arg(NAME, a, 2)?;
            let started = cx.begin_op(Ok(()), |net, op| net.udp_recv(op, id, max));
            if let (Started::Pending(op), Some(ms)) = (&started, timeout) {
                cx.arm_deadline(*op, Some(id), format!("udp recv on socket {id}"), "", ms);
            }
            reply(cx, started)
        }),
        NativeFn::cx("__close__", Arity::exactly(1), |cx, a| {
            let id = id_arg("udp::close", a, 0)?;
            cx.net().close(id);
            cx.poll_net();
            Ok(Value::Null.into())
        }),
        NativeFn::cx("__port__", Arity::exactly(1), |cx, a| {
            let id = id_arg("udp::port", a, 0)?;
            let addr = cx
                .net()
                .local_addr(id)
                .map_err(|f| network_error(f.message))?;
            Ok(Value::Int(i64::from(addr.port())).into())
        }),
    ],
};

fn network_error(m: String) -> KiwiError {
    KiwiError::custom("NetworkError", m)
}
