//! `console::read_key` and `console::read_secret` on a real terminal: the script runs under a
//! pseudo-terminal (Python's `pty`, the test's peer), which types a key, then a secret with a
//! Backspace. Without a terminal, `read_secret` reads a line and `read_key` raises an IOError.

mod util;

use std::time::Duration;

use util::{kiwi, python, run, TempDir};

const SCRIPT: &str = r#"k = console::read_key()
println [k["key"], k["char"], k["is_printable"], k["is_control"]]
s = console::read_secret("pw: ", "*")
println "got " + s
"#;

/// Runs `kiwi script` under a pty, types `q`, then `ab<Backspace>c<Enter>`; its output.
const DRIVER: &str = r#"
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], ["kiwi", sys.argv[2]])
out = b""
def drain(seconds):
    global out
    end = time.time() + seconds
    while time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                out += os.read(fd, 4096)
            except OSError:
                return
def wait_for(text, seconds=10):
    end = time.time() + seconds
    while text not in out and time.time() < end:
        drain(0.1)
time.sleep(0.2)
os.write(fd, b"q")
wait_for(b"pw: ")
os.write(fd, b"ab\x7fc\r")
wait_for(b"got ")
drain(0.3)
os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
"#;

#[test]
fn keys_and_secrets_from_a_terminal() {
    let dir = TempDir::new("console-keys");
    let script = dir.file("keys.kiwi", SCRIPT);
    let out = run(
        "pty driver",
        python(DRIVER).arg(env!("CARGO_BIN_EXE_kiwi")).arg(&script),
        b"",
        Duration::from_secs(30),
    );
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(text.contains("[\"Q\", \"q\", true, false]\n"), "{text}");
    // The mask shows two stars, one rubbed out, then one more; the secret itself never shows.
    assert!(text.contains("pw: **\x08 \x08*"), "{text}");
    assert!(text.contains("got ac\n"), "{text}");
    assert!(!text.contains("abc"), "{text}");
}

#[test]
fn without_a_terminal_secrets_are_lines_and_keys_fail() {
    let dir = TempDir::new("console-keys-pipe");
    let script = dir.file(
        "pipe.kiwi",
        "println console::read_secret(\"pw: \")\ntry\n  console::read_key()\ncatch (e)\n  println e[\"error\"]\nend\n",
    );
    let out = run(
        "kiwi without a terminal",
        kiwi().arg(&script),
        b"hunter2\n",
        Duration::from_secs(10),
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "pw: hunter2\nIOError\n"
    );
}
