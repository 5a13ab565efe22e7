//! The instruction loops borrow the running frame's closure instead of cloning its `Rc`
//! (`vm/running.rs`, the VM's one `unsafe` function). These scripts leave a running function
//! with its frame as the only owner (a lambda called where it was made, a global reassigned
//! from inside the function it holds) and take
//! frames off the task in every way there is (returns of each kind, an error unwinding
//! several frames, a generator's `yield` and end, a task switch), so that a wrong borrow shows
//! up as a wrong result here, and under Miri as undefined behaviour:
//! `MIRIFLAGS=-Zmiri-disable-isolation cargo +nightly miri test -p kiwi-vm --test running_closure`.

mod common;

/// Every script runs with plenty of fuel and with so little that calls and back edges yield
/// all the time (each frame is then left and re-entered through the top of the loop).
fn prints_at_any_fuel(src: &str, expected: &str) {
    for fuel in [1000, 3] {
        common::assert_prints("script", src, fuel, expected);
    }
}

#[test]
fn a_function_whose_frame_is_its_only_owner_runs_to_its_end() {
    prints_at_any_fuel(
        r#"
fn make(k)
  return with (x) do return x + k end
end
println make(1)(41)
g = with (x) do
  g = null
  s = "" + x
  return s + s
end
println g(21)
fn count(n)
  if n == 0
    return 0
  end
  return 1 + count(n - 1)
end
h = with (n) do
  h = 0
  return count(n)
end
println h(30)
"#,
        "42\n2121\n30\n",
    );
}

#[test]
fn frames_leave_by_every_kind_of_return_and_by_errors() {
    prints_at_any_fuel(
        r#"
struct P
  fn new(x) @x = x end
  fn to_string() "P(${@x})" end
  fn twice() return P.new(@x * 2) end
end
println P.new(3).twice()
fn deep(n)
  if n == 0
    throw "bottom"
  end
  return deep(n - 1) + 1
end
try
  deep(20)
catch (e)
  println e["message"]
end
fn squares(n)
  i = 0
  while i < n do
    yield i * i
    i += 1
  end
end
for v in squares(4) do
  print "${v} "
end
println ""
fn fib(n)
  if n < 2
    return n
  end
  return fib(n - 1) + fib(n - 2)
end
t = task::spawn(with do return fib(12) end)
println fib(11) + task::await(t)
"#,
        "P(6)\nbottom\n0 1 4 9 \n233\n",
    );
}
