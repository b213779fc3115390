//! The validator test-case manifest (`fhir-validator-cases/manifest.json`)
//! read into steps, and the decision whether each step is runnable here.
//!
//! A step is runnable when a FHIR server's validator can reproduce what the
//! reference validator was asked to do: a JSON instance, supporting files
//! in JSON, packages that are local `.tgz` files, a module that does not
//! need a terminology server or a logical model, and no option that changes
//! the validator's behaviour unless we support the same option.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// Modules a FHIR server's validator is not expected to run.
const EXCLUDED_MODULES: &[&str] = &[
    "tx",
    "tx-advanced",
    "cda",
    "cdshooks",
    "shc",
    "logical",
    "questionnaire",
    "measure",
    "dsig",
    "security",
];

/// Case keys that change the reference validator's behaviour in ways we do
/// not offer, each with the value that means "default" (None: any value).
const BEHAVIOUR_OPTIONS: &[(&str, Option<&str>)] = &[
    ("best-practice", None),
    ("for-publication", Some("false")),
    ("bundle-param", None),
    ("validateReference", Some("\"IGNORE\"")),
    ("validateContains", Some("\"CHECK_VALID\"")),
    ("assumeValidRestReferences", Some("false")),
    ("examples", Some("true")),
    ("security-checks", Some("false")),
    ("allowed-extension-domain", None),
    ("allowed-extension-domains", None),
    ("language", None),
    ("fhir-validator-cli-options", None),
    ("noHtmlInMarkdown", Some("false")),
    ("no-experimental-content", Some("false")),
    ("allow-comments", Some("false")),
    ("certificate", None),
    ("ids-in-errors", Some("false")),
    ("advisor", None),
    ("sct", None),
    ("wrong-displays", None),
    ("new-xver-mode", Some("false")),
    ("generate-shapshot", Some("false")),
    ("supporting5", None),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    Base,
    Profile,
}

impl StepKind {
    pub fn label(self) -> &'static str {
        match self {
            StepKind::Base => "base",
            StepKind::Profile => "profile",
        }
    }
}

/// One step to run: validate `file` (against `profile` if set) with the
/// core definitions plus `extras` loaded.
#[derive(Debug, Clone)]
pub struct Step {
    pub index: usize,
    pub name: String,
    pub module: String,
    pub kind: StepKind,
    pub file: PathBuf,
    pub extras: Vec<PathBuf>,
    /// Profile step: the canonical URL of the profile to validate against.
    pub profile: Option<String>,
    /// The `java` expectation (see `expected`).
    pub java: Value,
}

/// A step of the manifest, runnable or skipped with a reason.
pub enum Planned {
    Run(Step),
    Skip { module: String, reason: String },
}

/// Every base and profile step of the manifest (logical and matchetype
/// steps are counted as skipped).
pub fn plan(cases_dir: &Path, manifest: &Value) -> Vec<Planned> {
    let mut out = Vec::new();
    let cases = manifest["test-cases"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (index, case) in cases.iter().enumerate() {
        let module = case["module"].as_str().unwrap_or("(default)").to_string();
        let skip = |reason: &str| Planned::Skip {
            module: module.clone(),
            reason: reason.to_string(),
        };
        let case_reason = case_skip_reason(cases_dir, case, &module);
        let base = match &case_reason {
            Some(reason) => skip(reason),
            None => match base_step(cases_dir, index, case, &module) {
                Ok(step) => Planned::Run(step),
                Err(reason) => skip(&reason),
            },
        };
        out.push(base);
        if let Some(profile) = case.get("profile").filter(|p| p.is_object()) {
            out.push(match &case_reason {
                Some(reason) => skip(reason),
                None => match profile_step(cases_dir, index, case, profile, &module) {
                    Ok(step) => Planned::Run(step),
                    Err(reason) => skip(&reason),
                },
            });
        }
        if case.get("logical").is_some() {
            out.push(skip("logical-model step"));
        }
        if case.get("matchetype").is_some_and(Value::is_object) {
            out.push(skip("matchetype step"));
        }
    }
    out
}

/// Why no step of `case` can run, if so.
fn case_skip_reason(cases_dir: &Path, case: &Value, module: &str) -> Option<String> {
    if case["use-test"] == Value::Bool(false) {
        return Some("use-test: false".into());
    }
    let version = case["version"].as_str().unwrap_or("");
    if !version.starts_with("4.0") {
        return Some(format!("FHIR version {version}"));
    }
    if EXCLUDED_MODULES.contains(&module) {
        return Some(format!("module {module}"));
    }
    let file = case["file"].as_str().unwrap_or("");
    if !file.ends_with(".json") {
        return Some("input not JSON".into());
    }
    if !cases_dir.join(file).is_file() {
        return Some("input file missing".into());
    }
    for (key, default) in BEHAVIOUR_OPTIONS {
        if let Some(value) = case.get(*key) {
            if !is_default(value, *default) {
                return Some(format!("option {key}"));
            }
        }
    }
    None
}

/// Whether an option's value is the reference validator's default.
fn is_default(value: &Value, default: Option<&str>) -> bool {
    default == Some(value.to_string().as_str())
}

fn base_step(cases_dir: &Path, index: usize, case: &Value, module: &str) -> Result<Step, String> {
    let mut extras = Vec::new();
    add_files(cases_dir, case, &mut extras)?;
    add_packages(cases_dir, case, &mut extras)?;
    Ok(Step {
        index,
        name: case["name"].as_str().unwrap_or("").to_string(),
        module: module.to_string(),
        kind: StepKind::Base,
        file: cases_dir.join(case["file"].as_str().unwrap_or("")),
        extras,
        profile: None,
        java: case.get("java").cloned().unwrap_or(Value::Null),
    })
}

fn profile_step(
    cases_dir: &Path,
    index: usize,
    case: &Value,
    profile: &Value,
    module: &str,
) -> Result<Step, String> {
    let mut step = base_step(cases_dir, index, case, module)?;
    step.kind = StepKind::Profile;
    step.java = profile.get("java").cloned().unwrap_or(Value::Null);
    for (key, default) in BEHAVIOUR_OPTIONS {
        if let Some(value) = profile.get(*key) {
            if !is_default(value, *default) {
                return Err(format!("option {key}"));
            }
        }
    }
    add_files(cases_dir, profile, &mut step.extras)?;
    add_packages(cases_dir, profile, &mut step.extras)?;
    let source = profile["source"].as_str().unwrap_or("");
    let url = if source.contains("://") {
        source.to_string()
    } else {
        let path = json_file(cases_dir, source)?;
        let url = canonical_url(&path).ok_or("profile source has no url")?;
        if !step.extras.contains(&path) {
            step.extras.push(path);
        }
        url
    };
    step.profile = Some(url);
    Ok(step)
}

/// `supporting` and `profiles` files, which must be JSON.
fn add_files(cases_dir: &Path, holder: &Value, out: &mut Vec<PathBuf>) -> Result<(), String> {
    for key in ["supporting", "profiles"] {
        for name in holder[key].as_array().into_iter().flatten() {
            let path = json_file(cases_dir, name.as_str().unwrap_or(""))?;
            if !out.contains(&path) {
                out.push(path);
            }
        }
    }
    Ok(())
}

fn json_file(cases_dir: &Path, name: &str) -> Result<PathBuf, String> {
    if !name.ends_with(".json") {
        return Err("supporting file not JSON".into());
    }
    let path = cases_dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err("supporting file missing".into())
    }
}

/// `packages` and `package-map`: only local `.tgz` files can be loaded.
fn add_packages(cases_dir: &Path, holder: &Value, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let listed = holder["packages"].as_array().into_iter().flatten();
    let mapped = holder["package-map"].as_object().into_iter().flatten();
    let names = listed
        .filter_map(Value::as_str)
        .chain(mapped.filter_map(|(_, v)| v.as_str()));
    for name in names {
        if !name.ends_with(".tgz") {
            return Err("package from the registry".into());
        }
        let path = cases_dir.join(name);
        if !path.is_file() {
            return Err("local package missing".into());
        }
        if !out.contains(&path) {
            out.push(path);
        }
    }
    Ok(())
}

fn canonical_url(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    value["url"].as_str().map(str::to_string)
}
