//! File work suspends only its task. A read of a FIFO blocks until someone writes to it; the
//! script reads it in one task and writes it from another. Were the read done on the
//! interpreter's thread, the writer could never run and the script would hang (the timeout
//! fails the test). A ticker task shows the scheduler kept running while the read waited.

mod util;

use std::process::Command;
use std::time::Duration;

use util::{kiwi, run_ok, TempDir};

#[test]
fn a_blocked_file_read_suspends_only_its_task() {
    let dir = TempDir::new("blocking-io");
    let fifo = dir.0.join("pipe");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo failed");
    let script = dir.file(
        "fifo.kiwi",
        &format!(
            r#"
path = "{}"
ticks = 0
ticker = task::spawn(with do
  repeat 5 do
    task::sleep(10)
    ticks += 1
  end
end)
reader = task::spawn(with do fio::read(path) end)
task::await(ticker)
println "ticks while the read waited: ${{ticks}}"
fio::write(path, "through the pipe")
println task::await(reader)
"#,
            fifo.display()
        ),
    );
    let out = run_ok(
        "fifo script",
        kiwi().arg(&script),
        Duration::from_secs(20),
        String::new,
    );
    assert_eq!(
        out, "ticks while the read waited: 5\nthrough the pipe\n",
        "stdout: {out}"
    );
}
