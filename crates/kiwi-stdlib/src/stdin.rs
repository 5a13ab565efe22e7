//! The `stdin` package (upstream's `docs/lib/stdin.md`): standard input read to its end on
//! the blocking pool (so a pipe that is slow to close suspends only the reading task), line
//! by line through the runtime's stdin reader (`readline`, the Kiwi part, is `input()` without
//! a prompt, so the two share one buffer), and a check for waiting data.

use std::io::Read;

use kiwi_vm::error::{KResult, KiwiError};
use kiwi_vm::native::{Arity, NativeCx, NativeFn, Package, Reply};
use kiwi_vm::net::Plain;
use kiwi_vm::value::Value;

use crate::fio::text_of;

/// The natives under the package's Kiwi part.
pub const PACKAGE: Package = Package {
    name: "stdin",
    functions: &[
        NativeFn::cx("read", Arity::exactly(0), |cx, _| {
            read_all(cx, |bytes| Plain::Str(text_of(bytes)))
        }),
        NativeFn::cx("readbytes", Arity::exactly(0), |cx, _| {
            read_all(cx, Plain::Bytes)
        }),
        NativeFn::cx("lines", Arity::exactly(0), |cx, _| {
            read_all(cx, |bytes| {
                let text = text_of(bytes);
                Plain::List(
                    crate::fio::lines(&text)
                        .map(|l| Plain::Str(l.to_string()))
                        .collect(),
                )
            })
        }),
        NativeFn::pure("empty", Arity::exactly(0), |_| empty().map(Value::Bool)),
    ],
};

/// The Kiwi part (`readline`).
pub const SOURCE: &str = "package stdin\n  fn readline()\n    input()\n  end\nend\n";

fn read_all(cx: &mut NativeCx<'_>, shape: fn(Vec<u8>) -> Plain) -> KResult<Reply> {
    cx.run_blocking(Box::new(move || {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(|e| {
                (
                    "IOError",
                    format!("cannot read standard input: {}", crate::fio::os_reason(&e)),
                )
            })?;
        Ok(shape(bytes))
    }))
}

/// True when no data waits on standard input right now (a closed input has none either).
fn empty() -> KResult<bool> {
    use rustix::event::{poll, PollFd, PollFlags};
    let stdin = std::io::stdin();
    let mut fds = [PollFd::new(&stdin, PollFlags::IN)];
    let zero = rustix::event::Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let ready = poll(&mut fds, Some(&zero))
        .map_err(|e| KiwiError::custom("IOError", format!("cannot poll standard input: {e}")))?;
    // A closed pipe polls as ready (HUP) but has nothing to read.
    let readable = fds[0].revents().contains(PollFlags::IN);
    Ok(ready == 0 || !readable)
}
