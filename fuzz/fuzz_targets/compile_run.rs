//! Lexer + parser + compiler over arbitrary input, then a few VM rounds with a small fuel cap.
//! Any panic, stack overflow or abort is a bug: scripts must only ever produce Kiwi errors.

#![no_main]

use std::path::Path;
use std::sync::Once;
use std::time::Instant;

use kiwi_vm::stdlib::HostEnv;
use kiwi_vm::{Interp, RunState};
use libfuzzer_sys::fuzz_target;

/// Scripts write files (`fio`, `sqlite` paths made of random text): they go to a scratch
/// directory of this run, not into the checkout the fuzzer was started from.
static SCRATCH: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    SCRATCH.call_once(|| {
        let dir = std::env::temp_dir().join(format!("kiwi-fuzz-{}", std::process::id()));
        if std::fs::create_dir_all(&dir).is_ok() {
            let _ = std::env::set_current_dir(&dir);
        }
    });
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // `input()` would wait on the fuzzer's stdin, and `ipc::recv` on a peer process that the
    // fuzzer never starts (ipc runs on the blocking pool, which this harness runs in place).
    if text.contains("input") || text.contains("ipc::") {
        return;
    }
    if kiwi_syntax::parse(text).is_err() {
        return;
    }
    let mut interp = Interp::new(
        HostEnv::default(),
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
    );
    for package in kiwi_stdlib::PACKAGES {
        interp.register_package(package);
    }
    for (name, source) in kiwi_stdlib::SOURCES {
        interp.register_kiwi_source(name, source);
    }
    interp.set_fuel(64);
    let Ok(unit) = interp.compile_unit(Path::new("fuzz.kiwi"), text) else {
        return;
    };
    interp.start_main(unit);
    for _ in 0..64 {
        if let RunState::Exit(_) = interp.run_ready(Instant::now()) {
            break;
        }
        if !interp.has_ready() {
            break;
        }
    }
});
