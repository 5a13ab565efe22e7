//! The parser must never panic or overflow the stack, whatever the input.

use kiwi_syntax::parse;

/// Runs `parse` on a thread with `stack` bytes of stack and returns whether it produced errors.
fn parse_on_stack(src: String, stack: usize) -> Result<(), Vec<String>> {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            parse(&src)
                .map(|_| ())
                .map_err(|errs| errs.into_iter().map(|e| e.to_string()).collect())
        })
        .expect("spawn")
        .join()
        .expect("parser thread panicked or overflowed")
}

const SMALL_STACK: usize = 2 * 1024 * 1024;

fn nested(open: &str, inner: &str, close: &str, n: usize) -> String {
    format!("x = {}{}{}", open.repeat(n), inner, close.repeat(n))
}

fn assert_too_deep(src: String) {
    let errs = parse_on_stack(src, SMALL_STACK).expect_err("expected a nesting error");
    assert!(
        errs.iter().any(|e| e.contains("nested too deeply")),
        "{errs:?}"
    );
}

/// Deep-but-allowed nesting (just under the limit) must fit in a small stack too.
fn assert_ok_small_stack(src: String) {
    parse_on_stack(src, SMALL_STACK).expect("should parse");
}

#[test]
fn hundred_thousand_parens() {
    assert_too_deep(nested("(", "1", ")", 100_000));
}

#[test]
fn hundred_thousand_brackets() {
    assert_too_deep(nested("[", "1", "]", 100_000));
}

#[test]
fn hundred_thousand_braces() {
    assert_too_deep(nested("{1: ", "1", "}", 100_000));
}

#[test]
fn hundred_thousand_unary_minus() {
    assert_too_deep(format!("x = {}1", "- ".repeat(100_000)));
    assert_too_deep(format!("x = {}1", "! ".repeat(100_000)));
    assert_too_deep(format!("x = {}1", "not ".repeat(100_000)));
}

/// A left-associative run of operators is flat, not nested: any length parses, in a small
/// stack too.
#[test]
fn long_operator_chain() {
    assert_ok_small_stack(format!("x = 1{}", " + 1".repeat(100_000)));
    assert_ok_small_stack(format!("x = 1{}", " ?? 1".repeat(100_000)));
    assert_ok_small_stack(format!("x = a{}", " && b || c".repeat(50_000)));
    assert_ok_small_stack(format!("x = 1{}", " + 2 * 3 - 4".repeat(30_000)));
}

#[test]
fn long_postfix_chains() {
    assert_too_deep(format!("x = f{}", "()".repeat(100_000)));
    assert_too_deep(format!("x = a{}", ".b".repeat(100_000)));
    assert_too_deep(format!("x = a{}", "[0]".repeat(100_000)));
    assert_too_deep(format!("x = a{}", ".m()".repeat(100_000)));
}

#[test]
fn deep_ternary() {
    assert_too_deep(format!("x = {}1", "a ? b : ".repeat(100_000)));
}

#[test]
fn deep_blocks() {
    assert_too_deep(format!(
        "{}{}",
        "if x\n".repeat(100_000),
        "end\n".repeat(100_000)
    ));
    assert_too_deep(format!(
        "{}{}",
        "while x do\n".repeat(100_000),
        "end\n".repeat(100_000)
    ));
    assert_too_deep(format!(
        "{}{}",
        "fn f()\n".repeat(100_000),
        "end\n".repeat(100_000)
    ));
    assert_too_deep(format!(
        "{}{}",
        "try\n".repeat(100_000),
        "end\n".repeat(100_000)
    ));
    assert_too_deep(format!(
        "x = {}1{}",
        "with do ".repeat(100_000),
        " end".repeat(100_000)
    ));
    assert_too_deep(format!("x = {}1", "do (a) => ".repeat(100_000)));
    assert_too_deep(format!(
        "x = {}1{}",
        "case when ".repeat(100_000),
        " end".repeat(100_000)
    ));
}

#[test]
fn deep_interpolation() {
    let mut s = String::from("1");
    for _ in 0..5_000 {
        s = format!("\"${{{s}}}\"");
    }
    assert_too_deep(format!("x = {s}"));
}

#[test]
fn unterminated_deep_interpolation_is_an_error() {
    let src = format!("x = {}", "\"${".repeat(100_000));
    parse_on_stack(src, SMALL_STACK).expect_err("unterminated");
}

#[test]
fn nesting_just_under_the_limit_fits_small_stacks() {
    // Mixed nesting: every level goes through the statement, lambda and expression paths.
    let mut s = String::from("1");
    for _ in 0..11 {
        s = format!("with do\n if (a)\n  x = [{{1: -(f({s}))}}]\n end\nend");
    }
    assert_ok_small_stack(format!("y = {s}"));
    assert_ok_small_stack(nested("(", "1", ")", 125));
    assert_ok_small_stack(nested("[", "1", "]", 125));
    assert_ok_small_stack(format!("x = {}1", "- ".repeat(125)));
    assert_ok_small_stack(format!("{}{}", "if x\n".repeat(125), "end\n".repeat(125)));
}

/// A program touching every construct, used for mutation tests.
const SAMPLE: &str = r#"
/# header #/ const LIMIT = 0xFF
package net::util
  fn connect_all(hosts: list, port: integer = 80, *extra): list
    hosts.map(do (h) => "${h}:${port}")
  end
end
var (a = 1, b: list)
x, y = y, x
kind = case port as p
       when 22: "ssh"
       when 80, 8080: "http"
       when 1000 to 1999: 'high ${p["k"]}'
       else "other"
       end
try
  data = task::await(socket::recv(sock, 4096))
catch (t, m)
  eprintln "${t}: ${m}" when m else println "?"
finally
  socket::close(sock)
end
while v = ch.recv() do
  next when v == 0
  for k, i in [1..3] do repeat i as j do l[j] += b"\x41\n"[1:2:-1] end end
end
f = with (q): integer do q ?? -1 ** 2 end
println (f)(1) + 2.5e3 - x[] & ~y | z ^ w << 1 >>> 2 // 3 % 4
if !ok and not done or x in y
  return
elsif x != 1.
  throw {error: "E", message: "m"}
else
  exit(0)
end
require util
export "util"
m = import "math"
...
"#;

#[test]
fn sample_parses() {
    parse_on_stack(SAMPLE.to_string(), SMALL_STACK).expect("sample must be valid");
}

#[test]
fn every_prefix_of_the_sample_is_handled() {
    let chars: Vec<char> = SAMPLE.chars().collect();
    let prefixes: Vec<String> = (0..=chars.len())
        .map(|n| chars[..n].iter().collect())
        .collect();
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(move || {
            for p in prefixes {
                let _ = parse(&p);
            }
        })
        .expect("spawn")
        .join()
        .expect("a prefix made the parser panic");
}

/// xorshift64*: deterministic, dependency-free randomness for fuzz-style tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn run_many(programs: Vec<String>) {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(move || {
            for p in &programs {
                let _ = parse(p);
            }
        })
        .expect("spawn")
        .join()
        .expect("a generated program made the parser panic");
}

#[test]
fn random_token_soup_never_panics() {
    let vocab = [
        "x", "f", "1", "2.5", "0x1F", "\"s\"", "'r'", "\"${x}\"", "b\"b\"", "(", ")", "[", "]",
        "{", "}", ",", ".", ":", "::", "..", "...", "+", "-", "*", "**", "/", "//", "=", "==",
        "+=", "=<", "=>", "?", "??", "!", "~", "&", "|", "<<", ">>>", "if", "elsif", "else", "end",
        "while", "for", "in", "do", "with", "case", "when", "as", "to", "fn", "def", "return",
        "throw", "exit", "break", "next", "try", "catch", "finally", "println", "print", "package",
        "import", "export", "require", "const", "var", "not", "and", "or", "string", "none",
        "null", "true", "@", "#c\n", "/#c#/", "\n", "\n", " ",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut programs = Vec::new();
    for _ in 0..3_000 {
        let len = 1 + rng.below(60);
        let mut p = String::new();
        for _ in 0..len {
            p.push_str(vocab[rng.below(vocab.len())]);
            p.push(if rng.below(4) == 0 { '\n' } else { ' ' });
        }
        programs.push(p);
    }
    run_many(programs);
}

#[test]
fn random_characters_never_panic() {
    let alphabet: Vec<char> = "ab1 0x.e_\"'${}()[]\\#/\n\r\t+-=<>!?&|^~*%:,@bé😀\u{feff}"
        .chars()
        .collect();
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut programs = Vec::new();
    for _ in 0..3_000 {
        let len = rng.below(80);
        programs.push(
            (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect(),
        );
    }
    run_many(programs);
}

#[test]
fn random_mutations_of_the_sample_never_panic() {
    let chars: Vec<char> = SAMPLE.chars().collect();
    let extra: Vec<char> = "\"'${}()[]\\#/\n+-=:,.".chars().collect();
    let mut rng = Rng(42);
    let mut programs = Vec::new();
    for _ in 0..400 {
        let mut c = chars.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(c.len());
            match rng.below(3) {
                0 => {
                    c.remove(at);
                }
                1 => c.insert(at, extra[rng.below(extra.len())]),
                _ => c[at] = extra[rng.below(extra.len())],
            }
        }
        programs.push(c.into_iter().collect());
    }
    run_many(programs);
}

#[test]
fn invalid_utf8_replacement_and_nul_are_handled() {
    let src = String::from_utf8_lossy(b"x = \xff\xfe\x00 \"\x80\"").into_owned();
    parse_on_stack(src, SMALL_STACK).expect_err("stray characters");
    parse_on_stack("x = \"a\0b\"".to_string(), SMALL_STACK)
        .expect("NUL inside a string is just a character");
}
