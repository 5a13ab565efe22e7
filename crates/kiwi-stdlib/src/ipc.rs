//! The `ipc` package (upstream's `docs/lib/ipc.md`): one-to-one message pipes between
//! processes. A pipe named `n` is a Unix domain socket at `$TMPDIR/CoreFxPipe_n`, where .NET's
//! named pipes (upstream Kiwi's) put theirs on Unix, so a kiwi-rs program and an upstream one
//! can talk. Messages are framed with a 4-byte big-endian length. Every call runs on the
//! blocking pool: waiting for a peer or a message suspends only the calling task.

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kiwi_vm::error::{KResult, KiwiError};
use kiwi_vm::methods::check;
use kiwi_vm::native::{Arity, NativeCx, NativeFn, Package, Reply};
use kiwi_vm::net::Plain;
use kiwi_vm::value::Value;

/// The `ipc` package.
pub const PACKAGE: Package = Package {
    name: "ipc",
    functions: &[
        NativeFn::cx("create", Arity::exactly(1), create),
        NativeFn::cx("connect", Arity::exactly(1), connect),
        NativeFn::cx("send", Arity::exactly(2), send),
        NativeFn::cx("recv", Arity::exactly(1), recv),
        NativeFn::pure("close", Arity::exactly(1), |a| {
            let id = check::int_arg("ipc::close", a, 0)?;
            if let Some(pipe) = PIPES.remove(id) {
                let _ = lock(&pipe.write).shutdown(std::net::Shutdown::Both);
            }
            Ok(Value::Null)
        }),
    ],
};

/// Largest message accepted (a peer cannot make this process allocate more).
const MAX_MESSAGE: usize = 64 << 20;

/// How long `connect` waits for the server to appear.
const CONNECT_WAIT: Duration = Duration::from_secs(10);

/// One connected pipe; reads and writes are serialized separately, so one task can wait for
/// a message while another sends.
struct Pipe {
    read: Mutex<UnixStream>,
    write: Mutex<UnixStream>,
}

use crate::{lock, Handles, JobError as Failure};

/// The connected pipes.
static PIPES: Handles<Pipe> = Handles::new();

fn failed(what: String, e: &std::io::Error) -> Failure {
    (
        "SystemError",
        format!("{what}: {}", crate::fio::os_reason(e)),
    )
}

/// Where pipe `name` lives; a name with a path separator or NUL is refused.
fn pipe_path(fname: &str, args: &[Value]) -> KResult<(String, PathBuf)> {
    let name = check::str_arg(fname, args, 0)?.to_string();
    if name.is_empty() || name.contains(['/', '\0']) {
        return Err(KiwiError::custom(
            "SystemError",
            format!("{fname}: '{name}' cannot be a pipe name (empty, or with '/' or NUL)."),
        ));
    }
    Ok((
        name.clone(),
        std::env::temp_dir().join(format!("CoreFxPipe_{name}")),
    ))
}

fn register(stream: UnixStream, name: &str) -> Result<Plain, Failure> {
    let write = stream
        .try_clone()
        .map_err(|e| failed(format!("Cannot open pipe '{name}'"), &e))?;
    let pipe = Pipe {
        read: Mutex::new(stream),
        write: Mutex::new(write),
    };
    Ok(Plain::Int(PIPES.insert(pipe)))
}

/// `create(name)`: waits for one client, then gives the pipe's handle.
fn create(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let (name, path) = pipe_path("ipc::create", args)?;
    cx.run_blocking(Box::new(move || {
        // A socket file left by a process that is gone is stale; one with a listener is not.
        if path.exists() && UnixStream::connect(&path).is_err() {
            let _ = std::fs::remove_file(&path);
        }
        let listener = UnixListener::bind(&path)
            .map_err(|e| failed(format!("Cannot create pipe '{name}'"), &e))?;
        let accepted = listener.accept();
        // One client per pipe: the name is free again once it is connected.
        let _ = std::fs::remove_file(&path);
        let (stream, _) = accepted.map_err(|e| failed(format!("Pipe '{name}'"), &e))?;
        register(stream, &name)
    }))
}

/// `connect(name)`: connects to the server of `name`, waiting up to 10 s for it to appear.
fn connect(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let (name, path) = pipe_path("ipc::connect", args)?;
    cx.run_blocking(Box::new(move || {
        let deadline = Instant::now() + CONNECT_WAIT;
        loop {
            match UnixStream::connect(&path) {
                Ok(stream) => return register(stream, &name),
                Err(e) if Instant::now() >= deadline => {
                    return Err(failed(format!("Cannot connect to pipe '{name}'"), &e))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }))
}

fn pipe_of(fname: &str, args: &[Value]) -> KResult<Arc<Pipe>> {
    let id = check::int_arg(fname, args, 0)?;
    PIPES.get(id).ok_or_else(|| {
        KiwiError::custom(
            "SystemError",
            format!("{fname}: no open pipe has handle {id}."),
        )
    })
}

fn send(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let pipe = pipe_of("ipc::send", args)?;
    let message = match &args[1] {
        Value::Str(s) => s.as_bytes().to_vec(),
        Value::Bytes(b) => b.borrow().clone(),
        other => kiwi_vm::format::to_display(other).into_bytes(),
    };
    if message.len() > MAX_MESSAGE {
        return Err(KiwiError::custom(
            "SystemError",
            format!("ipc::send: a message is at most {MAX_MESSAGE} bytes."),
        ));
    }
    cx.run_blocking(Box::new(move || {
        let mut frame = (message.len() as u32).to_be_bytes().to_vec();
        frame.extend_from_slice(&message);
        lock(&pipe.write)
            .write_all(&frame)
            .map_err(|e| failed("ipc::send".into(), &e))?;
        Ok(Plain::Null)
    }))
}

fn recv(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let pipe = pipe_of("ipc::recv", args)?;
    cx.run_blocking(Box::new(move || {
        let mut stream = lock(&pipe.read);
        let mut len = [0u8; 4];
        stream.read_exact(&mut len).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                (
                    "SystemError",
                    "ipc::recv: the pipe was closed by the other side.".to_string(),
                )
            } else {
                failed("ipc::recv".into(), &e)
            }
        })?;
        let len = u32::from_be_bytes(len) as usize;
        if len > MAX_MESSAGE {
            return Err((
                "SystemError",
                format!("ipc::recv: a {len}-byte message is over the {MAX_MESSAGE}-byte limit."),
            ));
        }
        let mut body = vec![0u8; len];
        stream
            .read_exact(&mut body)
            .map_err(|e| failed("ipc::recv: the message was cut short".into(), &e))?;
        Ok(Plain::Str(String::from_utf8_lossy(&body).into_owned()))
    }))
}
