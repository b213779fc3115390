//! Profiling driver: warms the validator on a set, then validates it again
//! inside `measured` (never inlined) so a profiler can restrict itself to the
//! warm pass, e.g.
//! `valgrind --tool=callgrind --dump-instr=no --collect-atstart=no \
//!   --toggle-collect='*measured*' target/release/examples/valprof DIR|FILE.ndjson [LAYERS] [PASSES]`
//! LAYERS is `all` (default), `native` (JSON rules + structure), `json-rules`,
//! `schema` or `structure`. With `VALPROF_DUMP=FILE` every issue of the warm
//! pass is written to FILE, one per line, to compare outputs across changes.
//! `VALPROF_PROFILES=URL[,URL…]` validates every resource against those
//! profiles too (to exercise the profile walks on any set).
use fhir_validate::{Layer, Layers, ValidateOptions, Validator, ValidatorConfig};
use serde_json::Value;
use std::time::Instant;

fn load(source: &str) -> Result<Vec<Value>, Box<dyn std::error::Error>> {
    let mut resources = Vec::new();
    if source.ends_with(".ndjson") {
        for line in std::fs::read_to_string(source)?.lines() {
            if !line.trim().is_empty() {
                resources.push(serde_json::from_str(line)?);
            }
        }
    } else {
        let mut paths: Vec<_> = std::fs::read_dir(source)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        for path in paths {
            resources.push(serde_json::from_str(&std::fs::read_to_string(&path)?)?);
        }
    }
    Ok(resources)
}

#[inline(never)]
fn warm_up(validator: &Validator, resources: &[Value], opts: &ValidateOptions) -> usize {
    // Not a call to `measured` (nor identical to it, or the linker folds
    // the two): the profiler's toggle must stay off here.
    resources
        .iter()
        .map(|r| validator.validate(r, opts).issues.len())
        .sum()
}

#[inline(never)]
fn measured(
    validator: &Validator,
    resources: &[Value],
    opts: &ValidateOptions,
    passes: usize,
) -> usize {
    (0..passes)
        .map(|_| {
            resources
                .iter()
                .map(|r| validator.validate(r, opts).issues.len())
                .sum::<usize>()
        })
        .sum()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let source = args
        .next()
        .ok_or("usage: valprof DIR|FILE.ndjson [LAYERS] [PASSES]")?;
    let layers = match args.next().as_deref().unwrap_or("all") {
        "all" => Layers::ALL,
        "native" => Layers {
            json_rules: true,
            schema: false,
            structure: true,
        },
        "json-rules" => Layers::only(Layer::JsonRules),
        "schema" => Layers::only(Layer::Schema),
        "structure" => Layers::only(Layer::Structure),
        other => return Err(format!("unknown layers '{other}'").into()),
    };
    let passes: usize = args.next().map(|p| p.parse()).transpose()?.unwrap_or(1);
    let resources = load(&source)?;
    let validator = Validator::new(fhir_package::core()?, ValidatorConfig::default())?;
    let profiles = std::env::var("VALPROF_PROFILES")
        .map(|list| list.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let opts = ValidateOptions { profiles, layers };
    if let Ok(dump) = std::env::var("VALPROF_DUMP") {
        let mut lines = String::new();
        for (n, r) in resources.iter().enumerate() {
            for i in validator.validate(r, &opts).issues {
                lines.push_str(&format!(
                    "{n}\t{:?}\t{:?}\t{}\t{}\t{:?}\n",
                    i.severity, i.code, i.expression, i.message, i.layer
                ));
            }
        }
        std::fs::write(dump, lines)?;
    }
    let warm = warm_up(&validator, &resources, &opts);
    // Each pass timed on its own: wall clock (best and median) and the time
    // this thread actually ran (the machine is shared, so wall clock
    // includes waiting for a core).
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut issues = 0;
    for _ in 0..passes {
        let cpu = thread_cpu_ns();
        let t = Instant::now();
        issues += measured(&validator, &resources, &opts, 1);
        walls.push(t.elapsed().as_secs_f64());
        if let (Some(before), Some(after)) = (cpu, thread_cpu_ns()) {
            cpus.push((after - before) as f64 / 1e9);
        }
    }
    let rate = |secs: f64| resources.len() as f64 / secs;
    walls.sort_by(f64::total_cmp);
    cpus.sort_by(f64::total_cmp);
    let median = |v: &[f64]| v.get(v.len() / 2).copied().unwrap_or(f64::NAN);
    println!(
        "{} resources x {passes}: wall best {:.0}/s median {:.0}/s; on-CPU best {:.0}/s median {:.0}/s ({warm} issues warm, {issues} timed)",
        resources.len(),
        rate(walls.first().copied().unwrap_or(f64::NAN)),
        rate(median(&walls)),
        rate(cpus.first().copied().unwrap_or(f64::NAN)),
        rate(median(&cpus)),
    );
    Ok(())
}

/// Nanoseconds this thread has spent on a CPU (Linux schedstat), if known.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}
