//! The `kiwi` binary's command-line behaviour and its handling of bad input: every failure is
//! a clear message and a non-zero exit, never a panic or a stack overflow.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn kiwi() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kiwi"))
}

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("kiwi runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A temporary script file that is removed when dropped.
struct TempScript(PathBuf);

impl TempScript {
    fn new(name: &str, bytes: &[u8]) -> Self {
        let dir = std::env::temp_dir().join(format!("kiwi-cli-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(name);
        std::fs::File::create(&path)
            .and_then(|mut f| f.write_all(bytes))
            .expect("write script");
        TempScript(path)
    }
}

impl Drop for TempScript {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Asserts a failure that is reported as one `[Type]: ...` line (plus location lines) with
/// exit code 1, and no panic text.
fn assert_kiwi_error(o: &Output, ty: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "stderr: {err}");
    assert!(
        err.starts_with(&format!("[{ty}]: ")),
        "expected a {ty}, got: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn version_and_help() {
    let o = run(kiwi().arg("--version"));
    assert!(o.status.success());
    assert!(stdout(&o).starts_with("kiwi "), "{}", stdout(&o));
    let o = run(kiwi().arg("--help"));
    assert!(o.status.success());
    let help = stdout(&o);
    for flag in ["--eval", "--check", "FILE"] {
        assert!(help.contains(flag), "help lacks {flag}: {help}");
    }
}

#[test]
fn eval_passes_arguments_to_the_script() {
    let o = run(kiwi().args([
        "-e",
        "println env::args()\nprintln env::argv()",
        "--port",
        "8080",
        "-v",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "[\"--port\", \"8080\", \"-v\"]\n{\"port\": \"8080\", \"v\": \"true\"}\n"
    );
}

#[test]
fn file_arguments_and_exit_code() {
    let s = TempScript::new("args.kiwi", b"println env::args().join(\",\")\nexit 7\n");
    let o = run(kiwi().arg(&s.0).args(["a", "--b", "c"]));
    assert_eq!(o.status.code(), Some(7));
    assert_eq!(stdout(&o), "a,--b,c\n");
}

/// `exit n` as the process sees it (§0): out-of-range codes never turn a failure into 0, and
/// output printed before the exit is all there.
#[test]
fn exit_codes_reach_the_process() {
    for (code, status) in [
        ("0", 0),
        ("3", 3),
        ("255", 255),
        ("256", 255),
        ("4294967296", 255),
        ("-1", 255),
        ("-2", 254),
        ("-256", 255),
        ("\"text\"", 1),
    ] {
        let o = run(kiwi().args(["-e", &format!("println \"bye\"\nexit {code}")]));
        assert_eq!(o.status.code(), Some(status), "exit {code}");
        assert_eq!(stdout(&o), "bye\n", "exit {code}");
        assert_eq!(stderr(&o), "", "exit {code}");
    }
}

/// With stdout and stderr on one pipe (a terminal, `2>&1`), what the script printed to stdout
/// comes before what it wrote to stderr after it, and before the error report.
#[test]
fn stdout_is_flushed_before_stderr() {
    let s = TempScript::new(
        "order.kiwi",
        b"println \"one\"\nprint \"two \"\neprintln \"three\"\nprintln \"four\"\nthrow \"five\"\n",
    );
    // Both streams into one pipe, as a shell's `2>&1` does.
    let out = Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" \"$1\" 2>&1")
        .arg(env!("CARGO_BIN_EXE_kiwi"))
        .arg(&s.0)
        .stdin(Stdio::null())
        .output()
        .expect("sh runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let first_lines: Vec<&str> = text.lines().take(4).collect();
    assert_eq!(
        first_lines,
        ["one", "two three", "four", "[KiwiError]: five"],
        "{text}"
    );
    assert_eq!(out.status.code(), Some(1));
}

/// Long left-associative runs are flat, not nested: 10,000 terms parse, compile and run (the
/// parser once refused 129 as "nested too deeply").
#[test]
fn ten_thousand_term_expressions_run() {
    let sum = format!("println 1{}\n", " + 1".repeat(9_999));
    let words = format!("println (\"a\"{}).size()\n", " + \"b\"".repeat(9_999));
    let logic = format!("println true{}\n", " && 1 < 2 || false".repeat(5_000));
    let script = TempScript::new(
        "long_chains.kiwi",
        format!("{sum}{words}{logic}").as_bytes(),
    );
    let o = run(kiwi().arg(&script.0));
    assert_eq!(stderr(&o), "");
    assert_eq!(stdout(&o), "10000\n10000\ntrue\n");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn check_reports_every_syntax_error_and_runs_nothing() {
    let s = TempScript::new(
        "two_errors.kiwi",
        b"println \"side effect\"\nx = (1 +\ny = ]\nz = 3 +* 4\n",
    );
    let o = run(kiwi().arg("--check").arg(&s.0));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "", "--check must not run the script");
    let err = stderr(&o);
    assert!(
        err.matches("[SyntaxError]: ").count() >= 2,
        "expected several errors: {err}"
    );
    assert!(err.contains("File: "), "{err}");

    let good = TempScript::new("good.kiwi", b"println 1\n");
    let o = run(kiwi().arg("--check").arg(&good.0));
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "");
}

/// `kiwi --check a b c` checks every file, reports the errors of each in order, and fails if
/// any file has errors or cannot be read.
#[test]
fn check_checks_every_file() {
    let a = TempScript::new("check_a.kiwi", b"x = (1 +\n");
    let b = TempScript::new("check_b.kiwi", b"println 1\n");
    let c = TempScript::new("check_c.kiwi", b"\ny = ]\n");
    let o = run(kiwi().arg("--check").args([&a.0, &b.0, &c.0]));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    let files: Vec<&str> = err
        .lines()
        .filter_map(|l| l.strip_prefix("File: "))
        .collect();
    assert_eq!(
        files,
        [
            format!("{}:2:1", a.0.display()),
            format!("{}:2:5", c.0.display())
        ],
        "{err}"
    );
    // Errors only in a later file still fail the check.
    let o = run(kiwi().arg("--check").args([&b.0, &c.0]));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = run(kiwi().arg("--check").args([&b.0, &b.0]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let missing = b.0.with_file_name("check_missing.kiwi");
    let o = run(kiwi().arg("--check").arg(&b.0).arg(&missing));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("[SystemError]: Cannot read"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn syntax_errors_are_all_reported_before_anything_runs() {
    let s = TempScript::new("bad.kiwi", b"println \"ran\"\nx = = 1\ny = 2 +* 3\n");
    let o = run(kiwi().arg(&s.0));
    assert_kiwi_error(&o, "SyntaxError");
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).matches("[SyntaxError]").count() >= 2,
        "{}",
        stderr(&o)
    );
}

#[test]
fn uncaught_error_format() {
    let s = TempScript::new("div.kiwi", b"x = 1\ny = x / 0\n");
    let o = run(kiwi().arg(&s.0));
    assert_kiwi_error(&o, "DivideByZeroError");
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines[0], "[DivideByZeroError]: Division by zero.");
    assert!(
        lines[1].starts_with("File: /"),
        "absolute path: {}",
        lines[1]
    );
    assert!(lines[1].ends_with("div.kiwi:2:7"), "{}", lines[1]);
    assert_eq!(lines[2], "y = x / 0");
    assert_eq!(lines[3], "      ^");
}

#[test]
fn missing_file_is_one_line() {
    let o = run(kiwi().arg("/definitely/not/here.kiwi"));
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("No such file"), "{err}");
}

#[test]
fn invalid_utf8_is_one_line() {
    let s = TempScript::new("latin1.kiwi", b"println \"caf\xe9\"\n");
    let o = run(kiwi().arg(&s.0));
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not valid UTF-8"), "{err}");
}

#[test]
fn deep_nesting_is_a_syntax_error() {
    for (open, close) in [("(", ")"), ("[", "]"), ("{", "}")] {
        let src = format!("x = {}1{}\n", open.repeat(100_000), close.repeat(100_000));
        let s = TempScript::new("deep.kiwi", src.as_bytes());
        let o = run(kiwi().arg(&s.0));
        assert_kiwi_error(&o, "SyntaxError");
    }
    let src = format!("x = {}1\n", "- ".repeat(100_000));
    let s = TempScript::new("unary.kiwi", src.as_bytes());
    assert_kiwi_error(&run(kiwi().arg(&s.0)), "SyntaxError");
}

#[test]
fn a_flood_of_syntax_errors_is_capped_and_lines_are_cut() {
    // 50,000 bad operators on one 150 KB line.
    let src = format!("x = {}1\n", "-- ".repeat(50_000));
    let s = TempScript::new("flood.kiwi", src.as_bytes());
    let o = run(kiwi().arg(&s.0));
    assert_kiwi_error(&o, "SyntaxError");
    let err = stderr(&o);
    assert!(err.matches("[SyntaxError]").count() <= 101, "not capped");
    assert!(err.contains("Too many syntax errors"), "{}", &err[..200]);
    assert!(err.len() < 100_000, "{} bytes of errors", err.len());
}

#[test]
fn unterminated_string_is_a_syntax_error() {
    let s = TempScript::new("open.kiwi", b"println \"never closed\n");
    assert_kiwi_error(&run(kiwi().arg(&s.0)), "SyntaxError");
}

#[test]
fn deep_recursion_is_a_runtime_error() {
    let s = TempScript::new("rec.kiwi", b"fn f(n) return f(n + 1) end\nf(0)\n");
    let o = run(kiwi().arg(&s.0));
    assert_kiwi_error(&o, "RuntimeError");
    assert!(stderr(&o).starts_with("[RuntimeError]: Stack overflow."));
}

#[test]
fn repl_reads_multi_line_input_and_echoes_values() {
    let mut child = kiwi()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kiwi runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"x = 20\nfn inc(a)\n  a + 1\nend\ninc(x) * 2\n1 / 0\n\"alive\"\n")
        .expect("write");
    let o = child.wait_with_output().expect("exit");
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("\n42\n"), "{out}");
    assert!(out.contains("\"alive\"\n"), "{out}");
    assert!(!out.contains("\n20\n"), "assignments are not echoed: {out}");
    assert!(
        stderr(&o).starts_with("[DivideByZeroError]"),
        "{}",
        stderr(&o)
    );
}

/// A kiwi process running `script` with piped standard streams, and its stdout as lines
/// that `next_line` hands out, each within 10 s (a hang fails the test instead of holding it).
struct Interactive {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Interactive {
    fn start(script: &TempScript) -> Interactive {
        use std::io::{BufRead, BufReader};
        let mut child = kiwi()
            .arg(&script.0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kiwi starts");
        let stdin = child.stdin.take();
        let out = BufReader::new(child.stdout.take().expect("stdout"));
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in out.lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Interactive {
            child,
            stdin,
            lines,
        }
    }

    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("a line from kiwi within 10 s")
    }

    /// Types `text` on the script's standard input, then closes it.
    fn type_and_close(&mut self, text: &[u8]) {
        let mut stdin = self.stdin.take().expect("stdin still open");
        stdin.write_all(text).expect("write to kiwi");
    }
}

/// `input()` suspends only its task: another task runs to the end (and says so) while the
/// line has not been typed yet; the line is read after that.
#[test]
fn input_suspends_only_its_task() {
    // (With a blocking input() the ticker's line never comes: the read below times out.)
    let s = TempScript::new(
        "input.kiwi",
        b"task::spawn(with do\n  repeat 5 do task::sleep(5) end\n  println \"ticker done\"\nend)\nname = input(\"name? \")\nprintln \"hello ${name}\"\nprintln input() == null\n",
    );
    let mut kiwi = Interactive::start(&s);
    // The prompt has no newline; the ticker's line follows it while input() still waits.
    assert_eq!(kiwi.next_line(), "name? ticker done");
    kiwi.type_and_close(b"kiwi\n");
    assert_eq!(kiwi.next_line(), "hello kiwi");
    assert_eq!(kiwi.next_line(), "true");
    assert!(kiwi.child.wait().expect("exit").success());
}

/// Cancelling a task that waits in `input()` loses no line: the line typed afterwards goes
/// to the next `input()`, and the ones after it follow in order.
#[test]
fn a_cancelled_input_keeps_its_line_for_the_next() {
    let s = TempScript::new(
        "cancel_input.kiwi",
        b"t = task::spawn(with do input() end)\ntask::sleep(20)\nprintln task::cancel(t)\ntry\n  task::await(t)\ncatch e\n  println e[\"error\"]\nend\nprintln input()\nprintln input()\nprintln input() == null\n",
    );
    let mut kiwi = Interactive::start(&s);
    // Both lines are typed only once the reader was cancelled (the thread still waits in
    // the cancelled task's read).
    assert_eq!(kiwi.next_line(), "true");
    assert_eq!(kiwi.next_line(), "CancelledError");
    kiwi.type_and_close(b"first\nsecond\n");
    assert_eq!(kiwi.next_line(), "first");
    assert_eq!(kiwi.next_line(), "second");
    assert_eq!(kiwi.next_line(), "true");
    assert!(kiwi.child.wait().expect("exit").success());
}

/// A script that exits while a task waits in `input()` ends at once: the read does not hold
/// the process.
#[test]
fn exit_does_not_wait_for_a_pending_input() {
    let mut child = kiwi()
        .args([
            "-e",
            "task::spawn(with do\n  task::sleep(20)\n  exit 3\nend)\nprintln input()",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("kiwi starts");
    let _open_stdin = child.stdin.take();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "kiwi did not exit while input() waited"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(3));
}

/// A directory of package files for the stdlib-path tests, removed afterwards.
struct LibDir(PathBuf);

impl LibDir {
    fn new(tag: &str, files: &[(&str, &str)]) -> LibDir {
        let dir = std::env::temp_dir().join(format!("kiwi-stdlib-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("lib dir");
        for (name, text) in files {
            std::fs::write(dir.join(name), text).expect("write lib file");
        }
        LibDir(dir)
    }
}

impl Drop for LibDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `--stdlib-path DIR` (repeatable) and `KIWI_STDLIB` (colon-separated) add package files
/// that load on first use of `pkg::name`, of a struct they define, on `require`, or of a
/// type-extension method (`hashmap.kiwi` adds methods to hashmaps), once;
/// built-in packages win over a file of the same name; a package file that does not compile
/// is reported, naming the file.
#[test]
fn stdlib_path_packages_load_on_first_use() {
    let first = LibDir::new(
        "first",
        &[
            (
                "greet.kiwi",
                "package greet\n  loads = 0\n  fn hello(n)\n    \"hello, ${n}\"\n  end\nend\neprintln \"greet loaded\"\n",
            ),
            // Must never replace the built-in package.
            ("math.kiwi", "package math\n  fn sqrt(x) \"not the built-in\" end\nend\n"),
        ],
    );
    let second = LibDir::new(
        "second",
        &[
            ("count.kiwi", "package count\n  fn three() 3 end\nend\n"),
            ("broken.kiwi", "package broken\n  fn f( end\n"),
            (
                "geometry.kiwi",
                "package geometry\n  fn unit() 1 end\nend\nstruct Circle\n  fn new(r) @r = r end\n  fn area() 3 * @r * @r end\nend\n",
            ),
            ("needed.kiwi", "package needed\n  fn ok() \"required\" end\nend\n"),
            // A type extension: `{"h": 1, "i": 2}.shout()`; builtins win (`size`).
            (
                "hashmap.kiwi",
                "package hashmap\n  fn shout(h, mark = \"!\") h.keys().join(\"\").uppercase() + mark end\n  fn size(h) 99 end\nend\n",
            ),
        ],
    );
    let script = TempScript::new(
        "uses_stdlib.kiwi",
        b"println greet::hello(\"a\")\nprintln greet::hello(\"b\")\nprintln count::three()\nprintln math::sqrt(16.0)\ntry\n  broken::f()\ncatch e\n  println e[\"error\"]\nend\nprintln Circle.new(2).area()\nprintln geometry::unit()\nrequire \"needed\"\nprintln needed::ok()\nprintln {\"h\": 1, \"i\": 2}.shout()\nprintln {\"h\": 1, \"i\": 2}.shout(\"?\")\nprintln {\"a\": 1, \"b\": 2, \"c\": 3}.size()\n",
    );
    let out = kiwi()
        .arg("--stdlib-path")
        .arg(&first.0)
        .arg(&script.0)
        .env(
            "KIWI_STDLIB",
            format!("/nonexistent:{}", second.0.display()),
        )
        .output()
        .expect("kiwi runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello, a\nhello, b\n3\n4\nPackageUndefinedError\n12\n1\nrequired\nHI!\nHI?\n3\n"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("greet loaded").count(), 1, "{err}");
    assert!(
        err.contains("[SyntaxError]") && err.contains("broken.kiwi:2:"),
        "{err}"
    );
    assert!(out.status.success());
    // Without the path, the same script fails at its first line.
    let out = kiwi()
        .arg(&script.0)
        .env_remove("KIWI_STDLIB")
        .output()
        .expect("kiwi runs");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .starts_with("[PackageUndefinedError]: The package is undefined: 'greet'"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
