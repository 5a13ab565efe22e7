//! `kiwi`: run a Kiwi script, evaluate code from the command line, check syntax, or open a REPL.

// Only `alloc` (the allocator shim) may use `unsafe`; it says why.
#![deny(unsafe_code)]

mod alloc;
mod repl;
mod source;
mod workers;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use kiwi_runtime::Runtime;
use kiwi_vm::stdlib::HostEnv;

/// mimalloc instead of the system allocator: Kiwi programs allocate and free many small
/// values, and glibc's allocator spends its time returning pages to the kernel and faulting
/// them back in (bench/RESULTS.md, "Allocator"). See `alloc` for how it is called.
#[global_allocator]
static GLOBAL: alloc::Mimalloc = alloc::Mimalloc;

/// The Kiwi scripting language (kiwi-rs).
#[derive(Parser, Debug)]
#[command(name = "kiwi", version, about, long_about = None)]
struct Cli {
    /// Run CODE instead of a file (remaining arguments go to the script).
    #[arg(
        short = 'e',
        long = "eval",
        value_name = "CODE",
        conflicts_with = "check"
    )]
    eval: Option<String>,

    /// Only check each FILE for syntax errors; run nothing (exit 1 if any file has errors).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    check: Vec<PathBuf>,

    /// A directory of Kiwi package files (`<package>.kiwi`), loaded on first use of the
    /// package; may be given several times. Added before the directories of `KIWI_STDLIB`
    /// (colon-separated).
    #[arg(long = "stdlib-path", value_name = "DIR")]
    stdlib_path: Vec<PathBuf>,

    /// Run N copies of the script, each a process of its own sharing the script's listening
    /// ports (SO_REUSEPORT), so a server uses N cores. Nothing else is shared.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    workers: Option<u16>,

    /// The script to run, then the arguments it sees in env::args().
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "FILE [ARGS]"
    )]
    rest: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = run(cli);
    ExitCode::from(code.clamp(0, 255) as u8)
}

fn stdout() -> Box<dyn Write> {
    Box::new(std::io::BufWriter::with_capacity(
        64 * 1024,
        std::io::stdout(),
    ))
}

/// `--check`: every file is read and parsed, and all their errors are reported; 1 if any
/// file could not be read or has a syntax error.
fn check(paths: &[PathBuf]) -> i32 {
    let mut rt = Runtime::new(HostEnv::default(), stdout(), Box::new(std::io::stderr()));
    let mut status = 0;
    for path in paths {
        match source::read(path) {
            Ok(text) => {
                if let Err(errs) = kiwi_syntax::parse(&text) {
                    let diags = source::syntax_diagnostics(rt.interp(), path, &text, errs);
                    rt.report_all(&diags);
                    status = 1;
                }
            }
            Err(msg) => status = source::fail(&msg),
        }
    }
    status
}

/// The standard-library search path: `--stdlib-path` directories, then `KIWI_STDLIB`'s.
fn stdlib_dirs(flags: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs = flags.to_vec();
    if let Some(env) = std::env::var_os("KIWI_STDLIB") {
        dirs.extend(std::env::split_paths(&env).filter(|d| !d.as_os_str().is_empty()));
    }
    dirs
}

/// A runtime for `host`, with the standard-library search path set.
fn runtime(host: HostEnv, stdlib: &[PathBuf]) -> Runtime {
    let mut rt = Runtime::new(host, stdout(), Box::new(std::io::stderr()));
    rt.interp().set_stdlib_paths(stdlib.to_vec());
    rt
}

fn run(cli: Cli) -> i32 {
    let stdlib = stdlib_dirs(&cli.stdlib_path);
    if !cli.check.is_empty() {
        // `--check a.kiwi b.kiwi`: clap gives the first file to --check and may leave the
        // others in `rest`.
        let mut paths = cli.check;
        paths.extend(cli.rest.into_iter().map(PathBuf::from));
        return check(&paths);
    }
    if let Some(code) = cli.eval {
        let host = HostEnv {
            args: cli.rest,
            script_path: "-e".into(),
        };
        let mut rt = runtime(host, &stdlib);
        return rt.run_source(Path::new("<eval>"), &code);
    }
    if let Some(n) = cli.workers.filter(|&n| n > 1) {
        if cli.rest.is_empty() {
            return source::fail("--workers needs a script to run");
        }
        return workers::run(usize::from(n));
    }
    let mut rest = cli.rest.into_iter();
    let Some(file) = rest.next() else {
        return repl::run(&stdlib);
    };
    let path = PathBuf::from(&file);
    let text = match source::read(&path) {
        Ok(t) => t,
        Err(msg) => return source::fail(&msg),
    };
    let host = HostEnv {
        args: rest.collect(),
        script_path: file,
    };
    let mut rt = runtime(host, &stdlib);
    rt.run_source(&path, &text)
}
