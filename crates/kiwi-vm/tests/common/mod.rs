//! The deterministic test harness: scripts run on a virtual clock that jumps straight to the
//! next timer, optionally with a fake network installed.

#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::io::Write;
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

use kiwi_vm::net::NetDriver;
use kiwi_vm::stdlib::HostEnv;
use kiwi_vm::{Interp, RunState};

/// A `Write` into a shared buffer.
#[derive(Clone, Default)]
pub struct Buffer(Rc<RefCell<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.borrow()).into_owned()
    }
}

/// What a run produced.
pub struct Run {
    pub out: String,
    pub err: String,
    pub code: i32,
    /// Virtual time that passed.
    pub elapsed: Duration,
    /// Scheduler rounds (calls of `run_ready`).
    pub rounds: usize,
    /// Ids the scheduler still held at the end.
    pub registered: usize,
}

/// Runs `src` to completion on a virtual clock with the given fuel. The clock jumps to the
/// next timer when nothing is ready, and moves `tick` per scheduler round otherwise (so that
/// time passes while CPU-bound tasks keep the queue busy).
/// Builds a network driver that takes socket ids from the interpreter's counter.
pub type MakeNet = Box<dyn FnOnce(Rc<Cell<i64>>) -> Box<dyn NetDriver>>;

pub fn run_with_fuel(src: &str, fuel: u32, tick: Duration) -> Run {
    run_full(src, fuel, tick, None)
}

/// Like [`run_with_fuel`], with `net` installed as the interpreter's network. The fake network
/// has no outside events: everything it completes is queued while tasks run, so "nothing
/// ready and no timer" is still a deadlock.
/// An interpreter with the standard library built in, writing into `out` and `err`.
pub fn stdlib_interp(out: &Buffer, err: &Buffer) -> Interp {
    let mut interp = Interp::new(
        HostEnv::default(),
        Box::new(out.clone()),
        Box::new(err.clone()),
    );
    for package in kiwi_stdlib::PACKAGES {
        interp.register_package(package);
    }
    for (name, source) in kiwi_stdlib::SOURCES {
        interp.register_kiwi_source(name, source);
    }
    interp
}

pub fn run_full(src: &str, fuel: u32, tick: Duration, net: Option<MakeNet>) -> Run {
    let out = Buffer::default();
    let err = Buffer::default();
    let mut interp = stdlib_interp(&out, &err);
    let start = Instant::now();
    let now = Rc::new(Cell::new(start));
    let clock = now.clone();
    interp.set_clock(Box::new(move || clock.get()));
    interp.set_fuel(fuel);
    if let Some(make) = net {
        interp.set_net(make(interp.id_counter()));
    }
    let unit = match interp.compile_unit(Path::new("test.kiwi"), src) {
        Ok(u) => u,
        Err(d) => panic!("does not compile: {:?}", d[0].error),
    };
    interp.start_main(unit);
    let mut rounds = 0;
    let code = loop {
        rounds += 1;
        assert!(rounds < 1_000_000, "scheduler did not settle");
        if let RunState::Exit(code) = interp.run_ready(now.get()) {
            break code;
        }
        if interp.has_ready() {
            now.set(now.get() + tick);
            continue;
        }
        match interp.next_deadline() {
            Some(at) => now.set(at.max(now.get())),
            None => {
                if let RunState::Exit(code) = interp.break_deadlock() {
                    break code;
                }
            }
        }
    };
    Run {
        out: out.text(),
        err: err.text(),
        code,
        elapsed: now.get() - start,
        rounds,
        registered: interp.registered_ids(),
    }
}

pub fn run(src: &str) -> Run {
    run_with_fuel(src, 1000, Duration::ZERO)
}

/// Runs `src` (called `name` in failure messages) with `fuel` and checks that it printed
/// exactly `expected` and exited cleanly.
pub fn assert_prints(name: &str, src: &str, fuel: u32, expected: &str) {
    let run = run_with_fuel(src, fuel, Duration::from_millis(1));
    assert_eq!(run.out, expected, "{name}: stdout (stderr: {})", run.err);
    assert_eq!(run.code, 0, "{name}: exit code (stderr: {})", run.err);
}

pub mod fake_net;

/// The compiled function `name` defined at the top level of `src` (panics if `src` does not
/// compile or defines no such function).
pub fn function_named(src: &str, name: &str) -> Rc<kiwi_vm::bytecode::FnProto> {
    let mut interp = Interp::new(
        HostEnv::default(),
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
    );
    let unit = interp
        .compile_unit(Path::new("function_named.kiwi"), src)
        .unwrap_or_else(|d| panic!("does not compile: {:?}", d[0].error));
    unit.proto
        .consts
        .iter()
        .find_map(|c| match c {
            kiwi_vm::bytecode::Const::Proto(p) if &*p.name == name => Some(p.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no function {name}"))
}
