//! Finds how much stack the parser needs at the nesting limit: `stackprobe CASE KIB`.
use kiwi_syntax::parse;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = 127;
    let src = match args[1].as_str() {
        "paren" => format!("x = {}1{}", "(".repeat(n), ")".repeat(n)),
        "bracket" => format!("x = {}1{}", "[".repeat(n), "]".repeat(n)),
        "brace" => format!("x = {}1{}", "{1: ".repeat(n), "}".repeat(n)),
        "neg" => format!("x = {}1", "- ".repeat(n)),
        "if" => format!("{}{}", "if x\n".repeat(n), "end\n".repeat(n)),
        "case" => format!(
            "x = {}1{}",
            "case when ".repeat(n / 2),
            " end".repeat(n / 2)
        ),
        "with" => format!("x = {}1{}", "with do ".repeat(n / 2), " end".repeat(n / 2)),
        "arrow" => format!("x = {}1", "do (a) => ".repeat(n / 2)),
        "call" => format!("x = {}1{}", "f(".repeat(n / 2), ")".repeat(n / 2)),
        "idx" => format!("x = {}1{}", "a[".repeat(n / 2), "]".repeat(n / 2)),
        "ternary" => format!("x = {}1", "a ? b : ".repeat(n)),
        "interp" => {
            let mut s = String::from("1");
            for _ in 0..n / 2 {
                s = format!("\"${{{s}}}\"");
            }
            format!("x = {s}")
        }
        _ => panic!("unknown case"),
    };
    let kib: usize = args[2].parse().unwrap();
    let ok = std::thread::Builder::new()
        .stack_size(kib * 1024)
        .spawn(move || parse(&src).map(|_| ()).map_err(|e| e[0].to_string()))
        .unwrap()
        .join()
        .unwrap();
    println!("{ok:?}");
}
