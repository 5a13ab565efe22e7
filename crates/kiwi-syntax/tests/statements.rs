//! Statement forms: §3.4 assignments, §4 control flow and guards, §5 functions, §6 errors,
//! §7 packages, §8 printing.

mod common;
use common::{assert_error, error, ok, program};
use kiwi_syntax::ast::{AssignOp, AssignTarget, BinOp, StmtKind};

// ----- §1.7 statement separation ---------------------------------------------------------------

#[test]
fn statements_need_no_terminator() {
    assert_eq!(ok("a = 1 b = 2"), "(= a 1) (= b 2)");
    assert_eq!(ok("a = 1\nb = 2"), "(= a 1) (= b 2)");
}

#[test]
fn stray_commas_between_statements_are_ignored() {
    assert_eq!(ok("a = 0, b = 0"), "(= a 0) (= b 0)");
    assert_eq!(ok(", , a = 1 ,"), "(= a 1)");
    assert_eq!(ok("x = 1, 2"), "(= x 1) 2");
}

#[test]
fn pass() {
    assert_eq!(ok("...\nfn f() ... end"), "pass (fn f () [pass])");
}

// ----- §3.4 assignment -------------------------------------------------------------------------

#[test]
fn assignment_targets() {
    assert_eq!(ok("x = 1"), "(= x 1)");
    assert_eq!(ok("x[i] = v"), "(= (index x i) v)");
    assert_eq!(ok("x[i][j] = v"), "(= (index (index x i) j) v)");
    assert_eq!(ok("h.key = v"), "(= (. h key) v)");
    assert_eq!(ok("a.b[1] = 2"), "(= (index (. a b) 1) 2)");
    assert_eq!(ok("pkg::x = 1"), "(= pkg::x 1)");
    assert_eq!(ok("x[i] += 1"), "(+= (index x i) 1)");
    assert_eq!(ok("f().x = 1"), "(= (. (call f) x) 1)");
}

#[test]
fn assignment_has_no_line_rule() {
    assert_eq!(ok("x\n  = 1"), "(= x 1)");
    assert_eq!(ok("x =\n  1"), "(= x 1)");
}

#[test]
fn compound_assignment_ops_map_to_binops() {
    let p = program("a **= 2\nb //= 3\nc >>>= 1");
    let ops: Vec<AssignOp> = p
        .body
        .iter()
        .map(|s| match &s.kind {
            StmtKind::Assign { op, .. } => *op,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        ops,
        vec![
            AssignOp::Compound(BinOp::Pow),
            AssignOp::Compound(BinOp::FloorDiv),
            AssignOp::Compound(BinOp::UShr)
        ]
    );
}

#[test]
fn invalid_assignment_targets() {
    assert_eq!(error("f() = 1"), "Invalid assignment target at 1:2");
    assert_error("1 = x", "Invalid assignment target");
    assert_error("a + b = 1", "Invalid assignment target");
    assert_eq!(ok("x[1:2] = [1]"), "(= (slice x 1 2 _) (list 1))");
    assert_error("obj.m() = 1", "Invalid assignment target");
}

#[test]
fn pack_assignment() {
    assert_eq!(ok("a, b = b, a"), "(= (a b) (b a))");
    assert_eq!(ok("a, b, c = lst"), "(= (a b c) (lst))");
    assert_eq!(ok("a, b = 1, 2, 3"), "(= (a b) (1 2 3))");
    assert_eq!(ok("a, b = 1, 2, c = 3"), "(= (a b) (1 2)) (= c 3)");
    assert_eq!(
        ok("a, b = f(1, 2), [3, 4]"),
        "(= (a b) ((call f 1 2) (list 3 4)))"
    );
    let p = program("first, second = 1, 2");
    let StmtKind::Assign { targets, .. } = &p.body[0].kind else {
        panic!()
    };
    assert!(matches!(&targets[1], AssignTarget::Name(n, span) if n == "second" && span.col == 8));
}

#[test]
fn comma_after_expression_is_not_pack_assignment() {
    assert_eq!(ok("a, b"), "a b");
    assert_eq!(ok("f(x), y = 1"), "(call f x) (= y 1)");
}

#[test]
fn constants() {
    assert_eq!(ok("const MAX_SIZE2 = 10"), "(const MAX_SIZE2 10)");
    assert_eq!(
        error("const max = 1"),
        "The constant name 'max' must be upper-case (letters, digits and '_') at 1:7"
    );
    assert_error("const X", "expected '=' after the constant name");
    assert_error(
        "const X 1",
        "Expected '=' after the constant name, found '1'",
    );
    assert_error("const string = 1", "cannot be used as a variable name");
}

#[test]
fn var_declarations() {
    assert_eq!(ok("var x"), "(var (x _ _))");
    assert_eq!(ok("var x: integer = 5"), "(var (x integer 5))");
    assert_eq!(ok("var s: string"), "(var (s string _))");
    assert_eq!(ok("var y = [1]"), "(var (y _ (list 1)))");
    assert_eq!(
        ok("var (\n  f: float = 0.5,\n  s = \"x\",\n  n,\n  b: boolean,\n)"),
        "(var (f float 0.5) (s _ \"x\") (n _ _) (b boolean _))"
    );
    assert_eq!(ok("var (a = 1, b: list)"), "(var (a _ 1) (b list _))");
    assert_eq!(ok("var x: string|integer? = null"), "(var (x string null))");
    assert_error("var list", "cannot be used as a variable name");
    assert_error("var (a b)", "Expected ',' or ')' in the 'var' list");
}

// ----- §4 control flow -------------------------------------------------------------------------

#[test]
fn if_elsif_else() {
    assert_eq!(
        ok("if n > 10\n  println \"big\"\nelsif n > 5\n  println \"medium\"\nelse\n  println \"small\"\nend"),
        "(if ((> n 10) [(println \"big\")]) ((> n 5) [(println \"medium\")]) (else [(println \"small\")]))"
    );
    assert_eq!(ok("if a end"), "(if (a []))");
    assert_eq!(ok("if a b else c end"), "(if (a [b]) (else [c]))");
    assert_eq!(
        ok("if a\nelsif b\nelsif c\nend"),
        "(if (a []) (b []) (c []))"
    );
}

#[test]
fn if_condition_must_start_on_the_if_line() {
    assert_eq!(
        error("if\n  a\nend"),
        "The 'if' condition must start on the same line as 'if' at 1:1"
    );
}

#[test]
fn conditions_may_be_assignments() {
    assert_eq!(
        ok("while v = ch.recv() do println v end"),
        "(while (= v (method ch recv)) [(println v)])"
    );
    assert_eq!(ok("if x = f() x end"), "(if ((= x (call f)) [x]))");
    assert_eq!(
        ok("if a\nelsif m = g()\n  m\nend"),
        "(if (a []) ((= m (call g)) [m]))"
    );
    assert_eq!(ok("while n -= 1 do end"), "(while (-= n 1) [])");
}

#[test]
fn loops() {
    assert_eq!(ok("while true do\n  break\nend"), "(while true [break])");
    assert_eq!(ok("for x in coll do next end"), "(for x _ coll [next])");
    assert_eq!(
        ok("for x, i in [1, 2] do println i end"),
        "(for x i (list 1 2) [(println i)])"
    );
    assert_eq!(
        ok("for k in h.keys() do end"),
        "(for k _ (method h keys) [])"
    );
    assert_eq!(
        ok("repeat 3 do println 1 end"),
        "(repeat 3 _ [(println 1)])"
    );
    assert_eq!(
        ok("repeat n + 1 as i do println i end"),
        "(repeat (+ n 1) i [(println i)])"
    );
}

#[test]
fn loops_require_do() {
    assert_eq!(
        error("while x\n  println x\nend"),
        "Expected 'do' to start the 'while' body, found 'println' at 2:3"
    );
    assert_error("for x in y\nend", "Expected 'do' to start the 'for' body");
    assert_error("repeat 3\nend", "Expected 'do' to start the 'repeat' body");
    assert_error("for x y do end", "Expected 'in' after the loop variable");
    assert_error(
        "for a, b, c in m do end",
        "Expected 'in' after the loop variable",
    );
}

#[test]
fn jumps_take_optional_values() {
    assert_eq!(ok("fn f()\n  return\nend"), "(fn f () [(return _)])");
    assert_eq!(ok("fn f()\n  return 1\nend"), "(fn f () [(return 1)])");
    assert_eq!(ok("throw \"boom\""), "(throw \"boom\")");
    assert_eq!(ok("throw"), "(throw _)");
    assert_eq!(ok("exit"), "(exit _)");
    assert_eq!(ok("exit(0)"), "(exit 0)");
    assert_eq!(ok("exit 3"), "(exit 3)");
    assert_eq!(ok("return b\"x\""), "(return (bytes [120]))");
    assert_eq!(ok("return {\"a\": 1}"), "(return (map (\"a\" 1)))");
    assert_eq!(ok("return -1"), "(return (neg 1))");
    assert_eq!(ok("return not x"), "(return (not x))");
    assert_eq!(ok("return with do end"), "(return (lambda () []))");
    assert_eq!(ok("return case x end"), "(return (case x))");
    assert_eq!(ok("return string"), "(return (type string))");
}

#[test]
fn jump_value_may_be_on_the_next_line() {
    assert_eq!(ok("fn f()\n  return\n  5\nend"), "(fn f () [(return 5)])");
}

#[test]
fn bare_jumps_before_block_keywords() {
    assert_eq!(
        ok("if a return else throw end"),
        "(if (a [(return _)]) (else [(throw _)]))"
    );
    assert_eq!(
        ok("try return catch exit end"),
        "(try [(return _)] (catch () [(exit _)]))"
    );
    assert_eq!(
        ok("try return finally return end"),
        "(try [(return _)] (finally [(return _)]))"
    );
    assert_eq!(
        ok("case x when 1 return when 2 exit end"),
        "(case x (when (1) [(return _)]) (when (2) [(exit _)]))"
    );
    assert_eq!(
        ok("if a\n  return\nelsif b\nend"),
        "(if (a [(return _)]) (b []))"
    );
    assert_eq!(ok("return when x"), "(guard (return _) x)");
}

#[test]
fn break_and_next() {
    assert_eq!(
        ok("while true do break next end"),
        "(while true [break next])"
    );
}

// ----- guards ----------------------------------------------------------------------------------

#[test]
fn trailing_guards() {
    assert_eq!(ok("break when done"), "(guard break done)");
    assert_eq!(ok("next when x == 0"), "(guard next (== x 0))");
    assert_eq!(ok("return x when x < 0"), "(guard (return x) (< x 0))");
    assert_eq!(
        ok("throw \"bad\" when !ok"),
        "(guard (throw \"bad\") (not ok))"
    );
    assert_eq!(ok("exit 1 when failed"), "(guard (exit 1) failed)");
    assert_eq!(
        ok("println \"hi\" when verbose"),
        "(guard (println \"hi\") verbose)"
    );
    assert_eq!(ok("x = a when cond"), "(guard (= x a) cond)");
    assert_eq!(ok("f(x) when y"), "(guard (call f x) y)");
    assert_eq!(ok("if a b end when c"), "(guard (if (a [b])) c)");
}

#[test]
fn guards_with_else() {
    assert_eq!(
        ok("println \"a\" when v else println \"b\""),
        "(guard (println \"a\") v (println \"b\"))"
    );
    assert_eq!(ok("f() when v else g()"), "(guard (call f) v (call g))");
    assert_eq!(ok("x = a when cond else b"), "(guard (= x a) cond (= x b))");
    assert_eq!(ok("x += 1 when c else 2"), "(guard (+= x 1) c (+= x 2))");
    assert_eq!(
        ok("h[k] = 1 when c else 2"),
        "(guard (= (index h k) 1) c (= (index h k) 2))"
    );
    assert_eq!(
        ok("a, b = 1, 2 when c else 3, 4"),
        "(guard (= (a b) (1 2)) c (= (a b) (3 4)))"
    );
}

#[test]
fn guard_else_on_a_new_line_belongs_to_the_enclosing_if() {
    assert_eq!(
        ok("if a\n  println 1 when b\nelse\n  println 2\nend"),
        "(if (a [(guard (println 1) b)]) (else [(println 2)]))"
    );
    assert_eq!(
        ok("if a\n  x = 1 when b\nelse\n  x = 2\nend"),
        "(if (a [(guard (= x 1) b)]) (else [(= x 2)]))"
    );
}

#[test]
fn jumps_take_no_else() {
    // `else` after a guarded jump is left for the enclosing `if`.
    assert_eq!(
        ok("if a break when b else next end"),
        "(if (a [(guard break b)]) (else [next]))"
    );
    assert_error("break when b else next", "Unexpected 'else'");
}

#[test]
fn guard_needs_a_condition() {
    assert_error(
        "x = 1 when",
        "Unexpected end of file: expected an expression",
    );
}

// ----- §5 functions ----------------------------------------------------------------------------

#[test]
fn function_definitions() {
    assert_eq!(
        ok("fn hello println \"hi\" end"),
        "(fn hello () [(println \"hi\")])"
    );
    assert_eq!(ok("fn hello()\nend"), "(fn hello () [])");
    assert_eq!(ok("def add(a, b) a + b end"), "(fn add (a b) [(+ a b)])");
    assert_eq!(
        ok("fn connect_all(hosts: list, port: integer = 80, *extra): list\n  hosts.map(do (h) => \"${h}:${port}\")\nend"),
        "(fn connect_all (hosts port=80 *extra) [(method hosts map (lambda (h) [(interp h \":\" port)]))])"
    );
    assert_eq!(
        ok("fn f(a = [], b: hashmap = {}) end"),
        "(fn f (a=(list) b=(map)) [])"
    );
    assert_eq!(ok("fn f(x: Point) x end"), "(fn f (x) [x])");
    assert_eq!(
        ok("fn f(x: string?, y: integer|float) end"),
        "(fn f (x y) [])"
    );
    assert_eq!(ok("fn f(\n  a,\n  b,\n)\nend"), "(fn f (a b) [])");
    assert_eq!(ok("fn f(): none end"), "(fn f () [])");
}

#[test]
fn nested_functions() {
    assert_eq!(
        ok("fn outer()\n  fn inner() 1 end\n  inner()\nend"),
        "(fn outer () [(fn inner () [1]) (call inner)])"
    );
}

#[test]
fn function_name_must_be_on_the_fn_line() {
    assert_eq!(
        error("fn\nfoo() end"),
        "The function name must be on the same line as 'fn' at 1:1"
    );
    assert_error("def\nfoo() end", "same line as 'def'");
}

#[test]
fn rest_parameter_must_be_last() {
    assert_error(
        "fn f(*a, b) end",
        "The '*rest' parameter must be the last parameter",
    );
}

#[test]
fn bad_parameter_lists() {
    assert_error("fn f(1) end", "Expected a parameter name, found '1'");
    assert_error("fn f(a b) end", "Expected ',' or ')' in the parameter list");
    assert_error(
        "fn f(a",
        "Unexpected end of file: expected ',' or ')' in the parameter list",
    );
    assert_error(
        "fn f(",
        "Expected ')' to close the parameter list opened at line 1",
    );
    assert_error("fn f(a:) end", "Expected a type name");
}

#[test]
fn function_spans() {
    let p = program("\n  fn f()\n  end");
    let StmtKind::FnDef(def) = &p.body[0].kind else {
        panic!()
    };
    assert_eq!((def.span.line, def.span.col), (2, 3));
    assert_eq!((p.body[0].span.line, p.body[0].span.col), (2, 3));
}

// ----- §6 errors -------------------------------------------------------------------------------

#[test]
fn try_catch_finally_forms() {
    assert_eq!(
        ok("try\n  a\ncatch e\n  b\nfinally\n  c\nend"),
        "(try [a] (catch (e) [b]) (finally [c]))"
    );
    assert_eq!(ok("try a catch (e) b end"), "(try [a] (catch (e) [b]))");
    assert_eq!(ok("try a catch t, m b end"), "(try [a] (catch (t m) [b]))");
    assert_eq!(
        ok("try a catch (t, m) b end"),
        "(try [a] (catch (t m) [b]))"
    );
    assert_eq!(ok("try a catch\n  b\nend"), "(try [a] (catch () [b]))");
    assert_eq!(ok("try a catch end"), "(try [a] (catch () []))");
    assert_eq!(ok("try a finally b end"), "(try [a] (finally [b]))");
    assert_eq!(ok("try a end"), "(try [a])");
    assert_eq!(ok("try\ncatch e\nend"), "(try [] (catch (e) []))");
}

#[test]
fn catch_name_binds_only_on_the_catch_line() {
    assert_eq!(ok("try a catch\n  e\nend"), "(try [a] (catch () [e]))");
    assert_eq!(ok("try a catch e\n  e\nend"), "(try [a] (catch (e) [e]))");
}

#[test]
fn catch_errors() {
    assert_error("try a catch (1) end", "Expected a catch variable name");
    assert_error("try a catch (a, b, c) end", "at most two names");
    assert_error(
        "try a catch string end",
        "The type name 'string' cannot be used as a variable name",
    );
    assert_error(
        "try a catch e",
        "Expected 'end' to close 'try' started at line 1",
    );
}

// ----- §7 packages -----------------------------------------------------------------------------

#[test]
fn packages() {
    assert_eq!(
        ok("package util\n  fn f() 1 end\nend"),
        "(package util [(fn f () [1])])"
    );
    assert_eq!(ok("package a::b x = 1 end"), "(package a::b [(= x 1)])");
    assert_error("package \"x\" end", "Expected a package name");
}

#[test]
fn import_export_require() {
    assert_eq!(ok("export \"util\""), "(export \"util\")");
    assert_eq!(ok("require \"util\""), "(require \"util\")");
    assert_eq!(ok("require util"), "(require \"util\")");
    assert_eq!(ok("require a::b"), "(require \"a::b\")");
    assert_eq!(ok("require util\nx = 1"), "(require \"util\") (= x 1)");
    assert_eq!(ok("require name.x"), "(require (. name x))");
    assert_error("require", "expected a package name after 'require'");
    assert_error(
        "require +",
        "Expected a package name after 'require', found '+'",
    );
}

// ----- §8 print ----------------------------------------------------------------------------------

#[test]
fn print_statements() {
    assert_eq!(ok("print 1"), "(print 1)");
    assert_eq!(ok("println \"a\" + x"), "(println (+ \"a\" x))");
    assert_eq!(ok("eprint e"), "(eprint e)");
    assert_eq!(ok("eprintln e"), "(eprintln e)");
    assert_eq!(ok("println(x)"), "(println x)");
    assert_eq!(ok("println (1 + 2) * 3"), "(println (* (+ 1 2) 3))");
    assert_eq!(ok("println b\"hi\""), "(println (bytes [104, 105]))");
}

#[test]
fn print_needs_an_expression() {
    assert_eq!(
        error("println"),
        "'println' needs exactly one expression (write println \"\" for an empty line) at 1:1"
    );
    assert_error("if a println end", "'println' needs exactly one expression");
    assert_error("eprint", "'eprint' needs exactly one expression");
}

// ----- out of subset ---------------------------------------------------------------------------

#[test]
fn out_of_subset_keywords() {
    assert_error("x = eval \"1\"", "'eval' is not supported");
    assert_error("interface I end", "'interface' is not supported");
}

// ----- a realistic program ---------------------------------------------------------------------

#[test]
fn echo_server_example_parses() {
    let src = r#"
srv = socket::tcpserver("127.0.0.1", 9100)
while true do
  c = await(socket::accept(srv))
  spawn(with (sock) do
    chunk = null                               # makes `chunk` lambda-local
    try
      while true do
        chunk = await(socket::recv(sock))      # faults at EOF upstream
        await(socket::send(sock, chunk))
      end
    catch e
    end
    socket::close(sock)
  end, [c])
end
"#;
    assert_eq!(
        ok(src),
        "(= srv (call socket::tcpserver \"127.0.0.1\" 9100)) (while true [(= c (call await (call socket::accept srv))) (call spawn (lambda (sock) [(= chunk null) (try [(while true [(= chunk (call await (call socket::recv sock))) (call await (call socket::send sock chunk))])] (catch (e) [])) (call socket::close sock)]) (list c))])"
    );
}

#[test]
fn tls_client_example_parses() {
    let src = r#"
sock = await(tls::tcpconnect("example.org", 443))
await(tls::send(sock, "HEAD / HTTP/1.1\r\nHost: example.org\r\nConnection: close\r\n\r\n".to_bytes()))
reply = [].to_bytes()
while true do
  part = await(tls::recv(sock))
  break when part.size() == 0
  reply = reply.concat(part)
end
tls::close(sock)
println reply.to_string().split("\r\n")[0]
"#;
    let p = program(src);
    assert_eq!(p.body.len(), 6);
}

#[test]
fn include_is_an_expression() {
    assert_eq!(ok("include \"lib/a\""), "(include \"lib/a\")");
    assert_eq!(
        ok("p = include \"suite/${n}\""),
        "(= p (include (interp \"suite/\" n)))"
    );
}

#[test]
fn decorators_apply_bottom_up() {
    assert_eq!(
        ok("@outer(1, k: 2)\n@pkg::inner\nfn f(x) x end"),
        "(decorated (fn f (x) [x]) (= f (call outer (call pkg::inner f) 1 (named k 2))))"
    );
    assert_eq!(
        ok("@obj.wrap\ndef g() 1 end"),
        "(decorated (fn g () [1]) (= g (method obj wrap g)))"
    );
    assert_error(
        "@deco\nx = 1",
        "Expected 'fn' after the decorators, found 'x'",
    );
}

#[test]
fn yield_with_and_without_a_value() {
    assert_eq!(ok("yield 1"), "(yield 1)");
    assert_eq!(ok("yield\nx = 1"), "(yield) (= x 1)");
}
