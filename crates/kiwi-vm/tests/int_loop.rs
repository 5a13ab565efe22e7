//! Which functions start in the VM's integer loop (`FnProto::int_loop`): those made only of
//! locals, integer literals, arithmetic, comparisons, loops and calls by name. What they
//! compute is checked by the corpus (`tests/scripts/functions/integer_functions.kiwi`,
//! `tests/scripts/tasks/integer_function_preemption.kiwi`); this checks the selection.

mod common;

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
