//! The printed summary: agreement per module, skipped steps by reason, and
//! every step whose verdict disagrees with our errors and the expected ones
//! side by side, short, for the next engineer to work from.

use super::compare::Outcome;
use std::collections::BTreeMap;

#[derive(Default)]
struct Row {
    steps: usize,
    verdicts: usize,
    counts: usize,
    expressions: usize,
    with_expressions: usize,
}

pub struct Totals {
    pub steps: usize,
    pub agreeing: usize,
}

impl Totals {
    pub fn percent(&self) -> f64 {
        if self.steps == 0 {
            0.0
        } else {
            100.0 * self.agreeing as f64 / self.steps as f64
        }
    }
}

pub fn print_table(outcomes: &[Outcome]) -> Totals {
    let mut rows: BTreeMap<&str, Row> = BTreeMap::new();
    let mut total = Row::default();
    for outcome in outcomes {
        for row in [
            rows.entry(outcome.step.module.as_str()).or_default(),
            &mut total,
        ] {
            row.steps += 1;
            row.verdicts += usize::from(outcome.verdict_agrees());
            row.counts += usize::from(outcome.count_agrees());
            if let Some(agree) = outcome.expressions_agree() {
                row.with_expressions += 1;
                row.expressions += usize::from(agree);
            }
        }
    }
    println!(
        "{:<20} {:>6} {:>9} {:>9} {:>13}",
        "module", "steps", "verdict", "count", "expressions"
    );
    for (module, row) in rows.iter().map(|(m, r)| (*m, r)).chain([("TOTAL", &total)]) {
        println!(
            "{:<20} {:>6} {:>9} {:>9} {:>6}/{:<6}",
            module, row.steps, row.verdicts, row.counts, row.expressions, row.with_expressions
        );
    }
    Totals {
        steps: total.steps,
        agreeing: total.verdicts,
    }
}

pub fn print_skipped(skipped: &BTreeMap<String, usize>) {
    let total: usize = skipped.values().sum();
    println!("skipped steps: {total}");
    for (reason, count) in skipped {
        println!("  {count:>4}  {reason}");
    }
}

pub fn print_disagreements(outcomes: &[Outcome]) {
    println!("verdict disagreements:");
    for outcome in outcomes.iter().filter(|o| !o.verdict_agrees()) {
        let step = &outcome.step;
        println!(
            "- [{}] #{} {} ({}): expected {} error(s), ours {}",
            step.module,
            step.index,
            step.name,
            step.kind.label(),
            outcome.expected.error_count,
            outcome.ours.len()
        );
        for issue in outcome.ours.iter().take(4) {
            println!("    ours:     {}", short(&issue.message));
        }
        for error in outcome.expected.errors.iter().flatten().take(4) {
            let at = error.expression.as_deref().unwrap_or("-");
            println!("    expected: {at}: {}", short(&error.text));
        }
    }
}

fn short(text: &str) -> String {
    const MAX: usize = 300;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}
