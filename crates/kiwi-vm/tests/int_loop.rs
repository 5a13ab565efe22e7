//! Which functions start in the VM's integer loop (`FnProto::int_loop`): those made only of
//! locals, integer literals, arithmetic, comparisons, loops and calls by name; and the
//! corpus scripts written for that loop (`tests/scripts/functions/integer_functions.kiwi`,
//! `tests/scripts/tasks/integer_function_preemption.kiwi`) run in-process, with little fuel
//! too, so that Miri can check the loop's borrow of the running closure (ARCHITECTURE.md,
//! "The running closure").

mod common;

/// The stdout a corpus script's `# expect:` lines call for (tests/scripts/README.md).
fn expected_stdout(src: &str) -> String {
    src.lines()
        .filter_map(|line| line.split_once("# expect: "))
        .map(|(_, text)| format!("{text}\n"))
        .collect()
}

#[test]
fn the_integer_loop_scripts_print_what_they_expect() {
    let functions = include_str!("../../../tests/scripts/functions/integer_functions.kiwi");
    // A small fuel makes calls and back edges yield often: every frame the loop left is
    // resumed there, with the code it borrowed from the frame.
    for fuel in [1000, 7] {
        let expected = expected_stdout(functions);
        common::assert_prints("integer_functions.kiwi", functions, fuel, &expected);
    }
    let preemption = include_str!("../../../tests/scripts/tasks/integer_function_preemption.kiwi");
    let expected = expected_stdout(preemption);
    common::assert_prints(
        "integer_function_preemption.kiwi",
        preemption,
        1000,
        &expected,
    );
}

/// Whether function `name` in `src` starts in the integer loop.
fn int_loop(src: &str, name: &str) -> bool {
    common::function_named(src, name).int_loop
}

#[test]
fn recursive_integer_functions_and_counting_loops_start_there() {
    let fib = "fn fib(n)\n  if n < 2\n    return n\n  end\n  return fib(n - 1) + fib(n - 2)\nend\n";
    assert!(int_loop(fib, "fib"));
    let spin = "fn spin(n)\n  i = 0\n  while i >= 0 do\n    i += n\n  end\n  return i\nend\n";
    assert!(int_loop(spin, "spin"));
    let sum = "fn sum(a, b)\n  t = a * b % 7\n  t -= 1\n  return t\nend\n";
    assert!(int_loop(sum, "sum"));
    // The loop runs there; the `println` after it goes back to the general loop.
    let main = "fn main()\n  t = 0\n  i = 0\n  while i < 10 do\n    t += i\n    i += 1\n  end\n  println t\nend\n";
    assert!(int_loop(main, "main"));
    // A function value called from the loop (a local function, a lambda) is a call it takes.
    let apply = "fn apply(f, n)\n  i = 0\n  while i < n do\n    i = f(i)\n  end\n  return i\nend\n";
    assert!(int_loop(apply, "apply"));
}

#[test]
fn anything_else_keeps_the_general_loop() {
    for (src, name) in [
        ("fn f(n)\n  println n\nend\n", "f"),
        ("fn f(s)\n  return s + \"x\"\nend\n", "f"),
        ("fn f(n)\n  return n.to_string()\nend\n", "f"),
        ("fn f(n)\n  try\n    return n\n  catch e\n  end\nend\n", "f"),
        (
            "fn f(n)\n  g = with (x) do return x + n end\n  return g(1)\nend\n",
            "f",
        ),
        ("fn f(n)\n  return 1.5 * n\nend\n", "f"),
        ("fn f(n)\n  return [n]\nend\n", "f"),
        (
            "fn f(n)\n  while n > 0 do\n    println n\n    n -= 1\n  end\nend\n",
            "f",
        ),
        (
            "fn f(n)\n  for i in [1 to n] do\n    n += i\n  end\n  return n\nend\n",
            "f",
        ),
    ] {
        assert!(!int_loop(src, name), "{src}");
    }
}
