//! Deterministic scheduler tests: scripts run on a virtual clock that jumps straight to the
//! next timer, so sleeps cost no wall time and every interleaving the rules fix is checked.

mod common;

use std::time::Duration;

use common::{run, run_with_fuel};

#[test]
fn cpu_bound_task_cannot_starve_main() {
    let r = run(r#"
        spin = task::spawn(with do
          x = 0
          while true do x += 1 end
        end)
        println "main still runs"
        exit 0
    "#);
    assert_eq!(r.out, "main still runs\n");
    assert_eq!(r.code, 0);
}

#[test]
fn preemption_interleaves_two_cpu_bound_tasks() {
    let r = run(r#"
        a = 0
        b = 0
        task::spawn(with do while true do a += 1 end end)
        task::spawn(with do while true do b += 1 end end)
        # Main waits in a busy loop too: it only gets turns because everyone is preempted.
        while a < 5000 || b < 5000 do end
        println "both progressed"
        exit 0
    "#);
    assert_eq!(r.out, "both progressed\n");
    assert!(r.rounds > 2, "needed several rounds, got {}", r.rounds);
}

#[test]
fn sleepers_wake_in_deadline_order_in_virtual_time() {
    let r = run(r#"
        for ms in [30, 10, 20] do
          task::spawn(with (d) do
            task::sleep(d)
            println "woke ${d}"
          end, [ms])
        end
    "#);
    assert_eq!(r.out, "woke 10\nwoke 20\nwoke 30\n");
    assert_eq!(r.elapsed, Duration::from_millis(30));
    assert_eq!(r.code, 0);
}

#[test]
fn end_of_script_waits_for_spawned_tasks_only() {
    let r = run(r#"
        task::spawn(with do
          task::sleep(100)
          println "late task"
        end)
        println "main done"
    "#);
    assert_eq!(r.out, "main done\nlate task\n");
    assert_eq!(r.elapsed, Duration::from_millis(100));
}

#[test]
fn await_with_timeout_then_again() {
    let r = run(r#"
        t = task::spawn(with do
          task::sleep(1000)
          "finished"
        end)
        try
          task::await(t, 50)
        catch e
          println e["error"]
        end
        println task::status(t)
        println task::await(t)
        println task::status(t)
    "#);
    assert_eq!(r.out, "TimeoutError\nRunning\nfinished\nUnknown\n");
    assert_eq!(r.elapsed, Duration::from_millis(1000));
}

#[test]
fn faulted_task_raises_system_error_in_awaiter() {
    let r = run(r#"
        t = task::spawn(with do throw {"error": "NetErr", "message": "link down"} end)
        task::sleep(1)
        println task::status(t)
        try
          task::await(t)
        catch e
          println e["error"] + ": " + e["message"]
        end
        println task::status(t)
    "#);
    assert_eq!(r.out, "Faulted\nSystemError: link down\nUnknown\n");
}

#[test]
fn bounded_channel_blocks_the_producer_and_keeps_fifo_order() {
    let r = run(r#"
        ch = task::channel(2)
        log = []
        p = task::spawn(with do
          for i in [1 to 5] do
            ch.send(i)
            log.push("sent ${i}")
          end
          ch.close()
        end)
        task::sleep(5)
        # The producer filled the buffer (2) and is suspended on the third send.
        println log
        got = []
        while v = ch.recv() do got.push(v) end
        task::await(p)
        println got
        println ch.closed()
    "#);
    assert_eq!(r.out, "[\"sent 1\", \"sent 2\"]\n[1, 2, 3, 4, 5]\ntrue\n");
}

#[test]
fn deadlock_in_main_is_an_error_not_a_hang() {
    let r = run(r#"
        ch = task::channel()
        v = ch.recv()
        println "unreachable"
    "#);
    assert_eq!(r.code, 1);
    assert_eq!(r.out, "");
    assert!(
        r.err.starts_with("[RuntimeError]: Deadlock"),
        "stderr was {:?}",
        r.err
    );
}

#[test]
fn deadlocked_leftover_tasks_do_not_keep_the_process_alive() {
    let r = run(r#"
        ch = task::channel()
        task::spawn(with do ch.recv() end)
        println "main done"
    "#);
    assert_eq!(r.code, 0);
    assert_eq!(r.out, "main done\n");
}

#[test]
fn wait_returns_once_nothing_is_running() {
    let r = run(r#"
        results = []
        for ms in [3, 1, 2] do
          task::spawn(with (d) do
            task::sleep(d)
            results.push(d)
          end, [ms])
        end
        println task::busy()
        task::wait()
        println results
        println task::busy()
        println task::list()
    "#);
    assert_eq!(r.out, "true\n[1, 2, 3]\nfalse\n[]\n");
}

#[test]
fn timer_and_interval() {
    let r = run(r#"
        println task::timer(20, with do "fired" end)
        n = 0
        id = task::interval(10, with do n += 1 end)
        task::sleep(35)
        println n
        exit 0
    "#);
    // The interval runs at 0, 10, 20 and 30 ms after it started.
    assert_eq!(r.out, "fired\n4\n");
    assert_eq!(r.elapsed, Duration::from_millis(55));
}

#[test]
fn ten_thousand_sleeping_tasks() {
    let r = run(r#"
        done = task::channel()
        repeat 10000 as i do
          task::spawn(with (n) do
            task::sleep(n % 100)
            done.send(n)
          end, [i])
        end
        total = 0
        repeat 10000 do total += done.recv() end
        println total
    "#);
    assert_eq!(r.out, "50005000\n");
    assert_eq!(r.elapsed, Duration::from_millis(99));
}

#[test]
fn callbacks_of_higher_order_methods_may_suspend() {
    let r = run(r#"
        ch = task::channel()
        task::spawn(with do for i in [1, 2, 3] do ch.send(i * 10) end end)
        println [1, 2, 3].map(with (x) do
          task::sleep(1)
          x + ch.recv()
        end)
    "#);
    assert_eq!(r.out, "[11, 22, 33]\n");
}

#[test]
fn await_unknown_and_self() {
    let r = run(r#"
        try
          task::await(123456)
        catch e
          println e["error"] + ": " + e["message"]
        end
        me = null
        me = task::spawn(with do
          task::sleep(1)
          try
            task::await(me)
          catch e
            println e["error"] + ": " + e["message"]
          end
          "went on"
        end)
        println task::await(me)
    "#);
    assert_eq!(
        r.out,
        "InvalidOperationError: Task 123456 not found.\n\
         InvalidOperationError: A task cannot await itself.\nwent on\n"
    );
}

#[test]
fn a_loop_spinning_through_next_is_still_preempted() {
    let r = run_with_fuel(
        r#"
        task::spawn(with do
          n = 0
          while true do
            n += 1
            next
          end
        end)
        task::sleep(5)
        println "main woke up"
        exit 0
    "#,
        1000,
        Duration::from_millis(1),
    );
    assert_eq!(r.out, "main woke up\n");
}

#[test]
fn yielding_at_every_call_keeps_results_exact() {
    // Fuel 1: tasks yield at nearly every call and loop edge, so every preemption point is
    // exercised mid-expression.
    let src = r#"
        fn fib(n)
          if n < 2 return n end
          return fib(n - 1) + fib(n - 2)
        end
        inc = with (x) do x + 1 end
        t = task::spawn(with do fib(15) end)
        u = task::spawn(with do
          s = 0
          repeat 200 as i do s += inc(i) end
          s
        end)
        println [fib(12), task::await(t), task::await(u)]
    "#;
    for fuel in [1, 2, 7, 1000] {
        let r = run_with_fuel(src, fuel, Duration::ZERO);
        assert_eq!(r.out, "[144, 610, 20300]\n", "fuel {fuel}: {}", r.err);
    }
}

#[test]
fn ids_thrown_away_at_once_do_not_outlive_their_task() {
    // A server spawning a task per client never awaits them; their entries must go when the
    // tasks finish. Ids the script keeps stay until awaited (status and result still work).
    let r = run(r#"
        repeat 1000 do
          task::spawn(with do task::sleep(1) end)
        end
        kept = task::spawn(with do 42 end)
        task::sleep(10)
        println task::status(kept)
        println task::result(kept)
    "#);
    assert_eq!(r.out, "Completed\n42\n");
    // The main task and `kept`.
    assert!(r.registered <= 2, "{} ids still registered", r.registered);
}
