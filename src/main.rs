fn main() {
    eprintln!("chup-harness: the CLI is being wired; see README.md");
    std::process::exit(2);
}
