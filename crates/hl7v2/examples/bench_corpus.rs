//! Writes the benchmark corpus (see benches/corpus.rs) as a JSON array of strings on stdout,
//! for the comparison scripts in bench-compare/.

#[path = "../benches/corpus.rs"]
mod corpus;

fn main() {
    let Some(messages) = corpus::load() else {
        eprintln!("skipped: ../shared/data/v2 not found");
        std::process::exit(1);
    };
    let texts: Vec<String> = messages
        .iter()
        .map(|m| String::from_utf8_lossy(m).into_owned())
        .collect();
    match serde_json::to_string(&texts) {
        Ok(json) => println!("{json}"),
        Err(error) => {
            eprintln!("cannot write the corpus: {error}");
            std::process::exit(1);
        }
    }
}
