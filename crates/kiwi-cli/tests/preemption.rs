//! Preemption by time: a task whose every step is a costly native call (milliseconds each,
//! next to nothing in fuel) must not starve timers, timeouts or I/O of the other tasks. Each
//! bound is a few times the measured cost of one such call, with slack for a loaded machine;
//! before time-based preemption, the sleeper never woke while the loop ran.

mod util;

use std::time::Duration;

use util::{run_ok, TempDir};

const BUSY: &str = r#"
# A CPU-bound task whose every iteration is two costly natives (deserialize and sort of
# 200,000 items): the fuel counts almost nothing, the clock counts everything.
items = []
for i in [0 to 199999] do items.push((i * 7919) % 200003) end
s = serialize(items)
stop = false
cpu = task::spawn(with do
  n = 0
  while !stop do
    x = deserialize(s)
    x = x.sort()
    n += 1
  end
  n
end)
# How long one iteration takes alone, for the bound.
t = time::ticks()
x = deserialize(s)
x = x.sort()
println "native_ms ${((time::ticks() - t) / 1000000).to_integer()}"

sleeper = task::spawn(with do
  t = time::ticks()
  task::sleep(200)
  (time::ticks() - t) / 1000000
end)
println "sleep_ms ${task::await(sleeper).to_integer()}"

srv = socket::tcpserver("127.0.0.1", 0)
port = socket::local_addr(srv)["port"]
task::spawn(with do
  c = task::await(socket::accept(srv))
  while true do
    data = task::await(socket::recv(c))
    break when data.size() == 0
    task::await(socket::send(c, data))
  end
  socket::close(c)
end)
client = socket::tcpconnect("127.0.0.1", port)
worst = 0
repeat 5 do
  t = time::ticks()
  task::await(socket::send(client, "ping".to_bytes()))
  task::await(socket::recv(client))
  ms = (time::ticks() - t) / 1000000
  worst = ms when ms > worst
end
println "echo_worst_ms ${worst.to_integer()}"

t = time::ticks()
try
  task::await(socket::recv(client), 300)
catch e
  println "${e["error"]} after_ms ${((time::ticks() - t) / 1000000).to_integer()}"
end
stop = true
task::await(cpu)
socket::close(client)
"#;

/// The number after `key ` in the script's output.
fn value(out: &str, key: &str) -> u64 {
    out.lines()
        .find_map(|l| {
            l.strip_prefix(key)?
                .strip_prefix(' ')?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no `{key}` in {out:?}"))
}

#[test]
fn costly_natives_do_not_starve_timers_timeouts_or_io() {
    let dir = TempDir::new("preemption");
    let script = dir.file("busy.kiwi", BUSY);
    let out = run_ok(
        "busy.kiwi",
        util::kiwi().arg(&script),
        Duration::from_secs(60),
        String::new,
    );
    let native = value(&out, "native_ms");
    let slack = 3 * native + 200;
    let slept = value(&out, "sleep_ms");
    assert!(
        (200..=200 + slack).contains(&slept),
        "task::sleep(200) woke after {slept} ms (one native call: {native} ms)\n{out}"
    );
    let echo = value(&out, "echo_worst_ms");
    assert!(
        echo <= slack,
        "an echo took {echo} ms (one native call: {native} ms)\n{out}"
    );
    let timed_out = value(&out, "TimeoutError after_ms");
    assert!(
        (300..=300 + slack).contains(&timed_out),
        "await(op, 300) timed out after {timed_out} ms (one native call: {native} ms)\n{out}"
    );
}
