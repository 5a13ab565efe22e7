use std::io::Read;
fn main() {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s).unwrap();
    match kiwi_syntax::parse(&s) {
        Ok(p) => {
            for s in &p.body {
                println!("{}", kiwi_syntax::sexpr::stmt(s))
            }
        }
        Err(e) => {
            for x in e {
                println!("ERR {x}")
            }
        }
    }
}
