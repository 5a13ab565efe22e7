//! The `sys` package: running and managing processes (upstream's `docs/lib/sys.md`).
//!
//! Waiting for a process (`exec`, `execout`, `wait`) runs off the interpreter's thread, so
//! only the calling task waits while other tasks and servers keep running. Processes started
//! with `spawn` are kept (by pid) until `wait` or `kill` collects them. Process listings read
//! `/proc` (Linux).

use std::cell::RefCell;
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};

use kiwi_vm::error::{KResult, KiwiError};
use kiwi_vm::methods::check;
use kiwi_vm::native::{Arity, NativeCx, NativeFn, Package, Reply};
use kiwi_vm::net::Plain;
use kiwi_vm::value::{Key, Map, Value};

thread_local! {
    /// Children started with `spawn`, by pid, until `wait` or `kill` collects them.
    static SPAWNED: RefCell<HashMap<u32, Child>> = RefCell::new(HashMap::new());
}

/// The `sys` package.
pub const PACKAGE: Package = Package {
    name: "sys",
    functions: &[
        NativeFn::cx("exec", Arity::between(1, 2), exec),
        NativeFn::cx("execout", Arity::between(1, 2), execout),
        NativeFn::pure("open", Arity::between(1, 2), |a| {
            let mut cmd = command("sys::open", a)?;
            let started = cmd
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            // Reaped by a thread, so a detached program leaves no zombie behind.
            Ok(Value::Bool(match started {
                Ok(mut child) => {
                    std::thread::spawn(move || child.wait());
                    true
                }
                Err(_) => false,
            }))
        }),
        NativeFn::pure("spawn", Arity::between(1, 2), spawn),
        NativeFn::pure("pid", Arity::exactly(0), |_| {
            Ok(Value::Int(i64::from(std::process::id())))
        }),
        NativeFn::pure("running", Arity::exactly(1), |a| {
            let pid = pid_arg("sys::running", a)?;
            Ok(Value::Bool(running(pid)))
        }),
        NativeFn::pure("kill", Arity::exactly(1), kill),
        NativeFn::cx("wait", Arity::exactly(1), wait),
        NativeFn::pure("pids", Arity::between(0, 1), |a| {
            let name = name_filter(a)?;
            let pids = processes(&name).into_iter().map(|p| Value::Int(p.pid));
            Ok(Value::list(pids.collect()))
        }),
        NativeFn::pure("processes", Arity::between(0, 1), |a| {
            let name = name_filter(a)?;
            Ok(Value::list(
                processes(&name)
                    .into_iter()
                    .map(Process::into_value)
                    .collect(),
            ))
        }),
    ],
};

fn system_error(message: String) -> KiwiError {
    KiwiError::custom("SystemError", message)
}

/// The command for `program` with the list of string arguments `args[1]` (default none).
fn command(name: &str, args: &[Value]) -> KResult<Command> {
    let program = check::str_arg(name, args, 0)?;
    let mut cmd = Command::new(program.as_str());
    // What `env::set` changed reaches the program.
    cmd.envs(crate::env::overlay());
    match args.get(1) {
        None | Some(Value::Null) => {}
        Some(Value::List(items)) => {
            for item in items.borrow().iter() {
                match item {
                    Value::Str(s) => {
                        cmd.arg(s.as_str());
                    }
                    _ => {
                        return Err(KiwiError::custom(
                            "TypeError",
                            format!("{name}: the arguments must be a list of strings."),
                        ))
                    }
                }
            }
        }
        Some(other) => return Err(check::expected(name, 1, "List", other)),
    }
    Ok(cmd)
}

fn start_failed(program: &str, e: &std::io::Error) -> (&'static str, String) {
    (
        "SystemError",
        format!("Could not start '{program}': {}", crate::fio::os_reason(e)),
    )
}

/// The exit code, or -1 when a signal ended the process.
fn code(status: std::process::ExitStatus) -> i64 {
    status.code().map_or(-1, i64::from)
}

/// `exec(program, args = [])`: runs it with the script's own standard streams; its exit code.
fn exec(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let mut cmd = command("sys::exec", args)?;
    let program = cmd.get_program().to_string_lossy().into_owned();
    // What the script printed so far comes before what the program prints.
    cx.write_out("");
    cx.run_blocking(Box::new(move || {
        cmd.status()
            .map(|s| Plain::Int(code(s)))
            .map_err(|e| start_failed(&program, &e))
    }))
}

/// `execout(program, args = [])`: runs it capturing its output:
/// `{stdout, stderr, exit_code}`.
fn execout(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let mut cmd = command("sys::execout", args)?;
    let program = cmd.get_program().to_string_lossy().into_owned();
    cx.run_blocking(Box::new(move || {
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .map_err(|e| start_failed(&program, &e))?;
        Ok(Plain::Map(vec![
            (
                "stdout".into(),
                Plain::Str(String::from_utf8_lossy(&out.stdout).into_owned()),
            ),
            (
                "stderr".into(),
                Plain::Str(String::from_utf8_lossy(&out.stderr).into_owned()),
            ),
            ("exit_code".into(), Plain::Int(code(out.status))),
        ]))
    }))
}

/// `spawn(program, args = [])`: starts it without waiting; its pid.
fn spawn(args: &[Value]) -> KResult<Value> {
    let mut cmd = command("sys::spawn", args)?;
    let child = cmd.stdin(Stdio::null()).spawn().map_err(|e| {
        system_error(format!(
            "Could not start '{}': {}",
            cmd.get_program().to_string_lossy(),
            crate::fio::os_reason(&e)
        ))
    })?;
    let pid = child.id();
    SPAWNED.with(|s| s.borrow_mut().insert(pid, child));
    Ok(Value::Int(i64::from(pid)))
}

fn pid_arg(name: &str, args: &[Value]) -> KResult<u32> {
    let pid = check::int_arg(name, args, 0)?;
    u32::try_from(pid)
        .map_err(|_| KiwiError::custom("ValueError", format!("{name}: {pid} is not a process id.")))
}

/// Whether process `pid` exists and has not exited (a spawned child that exited is reaped
/// here, so it reads as not running).
fn running(pid: u32) -> bool {
    let spawned = SPAWNED.with(|s| {
        s.borrow_mut()
            .get_mut(&pid)
            .map(|child| matches!(child.try_wait(), Ok(None)))
    });
    match spawned {
        Some(alive) => alive,
        None => proc_state(pid).is_some_and(|state| state != 'Z' && state != 'X'),
    }
}

/// The state letter of `/proc/PID/stat` (`R`, `S`, `Z`, ...), if the process exists.
fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    after.trim_start().chars().next()
}

/// `kill(pid)`: stops the process (SIGKILL) and, for a spawned one, collects it; whether it
/// was stopped.
fn kill(args: &[Value]) -> KResult<Value> {
    let pid = pid_arg("sys::kill", args)?;
    if let Some(mut child) = SPAWNED.with(|s| s.borrow_mut().remove(&pid)) {
        let killed = child.kill().is_ok();
        let _ = child.wait();
        return Ok(Value::Bool(killed));
    }
    let status = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .stderr(Stdio::null())
        .status();
    Ok(Value::Bool(status.is_ok_and(|s| s.success())))
}

/// `wait(pid)`: waits for a process started with `spawn` to end; its exit code (-1 if it is
/// not one of ours).
fn wait(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let pid = pid_arg("sys::wait", args)?;
    let Some(mut child) = SPAWNED.with(|s| s.borrow_mut().remove(&pid)) else {
        return Ok(Value::Int(-1).into());
    };
    cx.run_blocking(Box::new(move || {
        child.wait().map(|s| Plain::Int(code(s))).map_err(|e| {
            (
                "SystemError",
                format!("Could not wait for process {pid}: {e}"),
            )
        })
    }))
}

fn name_filter(args: &[Value]) -> KResult<String> {
    match args.first() {
        None | Some(Value::Null) => Ok(String::new()),
        Some(_) => Ok(check::str_arg("sys::processes", args, 0)?.to_string()),
    }
}

/// One running process, as `/proc` describes it.
struct Process {
    pid: i64,
    name: String,
    path: String,
    memory: i64,
    threads: i64,
}

impl Process {
    fn into_value(self) -> Value {
        let mut m = Map::new();
        m.insert(Key::from("pid"), Value::Int(self.pid));
        m.insert(Key::from("name"), Value::str(self.name));
        m.insert(Key::from("path"), Value::str(self.path));
        m.insert(Key::from("memory"), Value::Int(self.memory));
        m.insert(Key::from("threads"), Value::Int(self.threads));
        // Start times need the boot time and clock rate; not read (upstream gives "" when
        // it cannot tell either).
        m.insert(Key::from("started"), Value::str(""));
        Value::map(m)
    }
}

/// The processes whose name is `name` (all for `""`), by pid.
fn processes(name: &str) -> Vec<Process> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found: Vec<Process> = dir
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i64>().ok())
        .filter_map(|pid| {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            let field = |key: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(key))
                    .map(|v| v.trim().to_string())
            };
            let pname = field("Name:")?;
            if !name.is_empty() && pname != name {
                return None;
            }
            let number = |key: &str| {
                field(key)
                    .and_then(|v| v.split_whitespace().next()?.parse::<i64>().ok())
                    .unwrap_or(0)
            };
            let path = std::fs::read_link(format!("/proc/{pid}/exe"))
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            Some(Process {
                pid,
                name: pname,
                path,
                memory: number("VmRSS:") * 1024,
                threads: number("Threads:"),
            })
        })
        .collect();
    found.sort_by_key(|p| p.pid);
    found
}
