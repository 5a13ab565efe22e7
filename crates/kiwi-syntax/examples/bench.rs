//! Rough throughput check: `bench FILE [REPEAT]` parses FILE's text repeated REPEAT times.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let text = std::fs::read_to_string(&args[1]).expect("read");
    let repeat: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let src = text.repeat(repeat);
    let start = std::time::Instant::now();
    let result = kiwi_syntax::parse(&src);
    let elapsed = start.elapsed();
    println!(
        "{} bytes in {:?} ({:.1} MB/s), ok={}",
        src.len(),
        elapsed,
        src.len() as f64 / elapsed.as_secs_f64() / 1e6,
        result.is_ok()
    );
}
