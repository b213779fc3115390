//! Answers known before evaluation: many invariants only look below one
//! member of their input and are decided when that member is absent
//! (`contained.contained.empty()` is true on a resource without
//! `contained`, `text.div.exists()` false without `text`). Validators run
//! such invariants on every resource, and most resources lack the member,
//! so [`AbsentGuard`] lets an evaluation skip the tree walk in that case.
//!
//! The guard only covers shapes whose result the evaluator itself would
//! produce without looking further: a chain of steps that keep an empty
//! input empty (`Path` short-circuits those), closed by `empty()` or
//! `exists()`, combined with `and`/`or`/`implies` where every side that is
//! evaluated hangs on the same member. The evaluator's one check on an
//! absent member (is it an element of the input's type at all?) is still
//! made, and the full evaluation runs when it fails.

use serde_json::Value as Json;

use crate::ast::{BinaryOp, Expr, ExprKind};
use crate::eval::empty_in_empty_out;
use crate::functions::Func;

#[derive(Debug)]
pub(crate) struct AbsentGuard {
    /// The member of the input the expression hangs on.
    pub member: String,
    /// The expression's (single boolean) value when the member is absent.
    pub value: bool,
}

impl AbsentGuard {
    pub fn of(expr: &Expr) -> Option<AbsentGuard> {
        let (member, value) = decided_when_absent(expr)?;
        Some(AbsentGuard {
            member: member.to_string(),
            value,
        })
    }

    /// No property of `input` can yield the member: neither `member`,
    /// nor a choice or untyped key that starts with it, nor the `_member`
    /// extension sibling of a primitive.
    pub fn member_is_absent(&self, input: &Json) -> bool {
        let Json::Object(map) = input else {
            return false;
        };
        let member = self.member.as_bytes();
        map.keys().all(|key| {
            let key = key.as_bytes();
            let key = key.strip_prefix(b"_").unwrap_or(key);
            // First byte first: most keys differ there, without a memcmp call.
            key.first() != member.first() || !key.starts_with(member)
        })
    }
}

/// The member and the value of `expr` when that member is absent, for the
/// shapes described in the module documentation.
fn decided_when_absent(expr: &Expr) -> Option<(&str, bool)> {
    match &expr.kind {
        ExprKind::Path(chain, last) => {
            let value = match &last.kind {
                ExprKind::Call {
                    func: Func::Empty,
                    args,
                    ..
                } if args.is_empty() => true,
                ExprKind::Call {
                    func: Func::Exists,
                    args,
                    ..
                } if args.is_empty() => false,
                _ => return None,
            };
            Some((chain_head(chain)?, value))
        }
        ExprKind::Binary(op, left, right) => {
            let (member, left_value) = decided_when_absent(left)?;
            // The operator's own short-circuits: the right side is not evaluated.
            match (op, left_value) {
                (BinaryOp::And, false) | (BinaryOp::Or, true) => return Some((member, left_value)),
                (BinaryOp::Implies, false) => return Some((member, true)),
                (BinaryOp::And | BinaryOp::Or | BinaryOp::Implies, _) => {}
                _ => return None,
            }
            // Otherwise the right side alone decides (true and b, false or
            // b, true implies b are all b), if it hangs on the same member.
            let (right_member, right_value) = decided_when_absent(right)?;
            (right_member == member).then_some((member, right_value))
        }
        _ => None,
    }
}

/// `name` or `name.step.step...` where every step after the first keeps an
/// empty collection empty without being evaluated; the name must be an
/// element name (a capitalised name is a type filter instead).
fn chain_head(expr: &Expr) -> Option<&str> {
    match &expr.kind {
        ExprKind::Member(name) if name.starts_with(|c: char| c.is_ascii_lowercase()) => Some(name),
        ExprKind::Path(left, right) if empty_in_empty_out(right) => chain_head(left),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::AbsentGuard;
    use serde_json::json;

    fn guard(text: &str) -> Option<(String, bool)> {
        let expr = crate::parser::parse_expression(text).ok()?;
        AbsentGuard::of(&expr).map(|g| (g.member, g.value))
    }

    #[test]
    fn decided_shapes() {
        let some = |m: &str, v| Some((m.to_string(), v));
        assert_eq!(
            guard("contained.contained.empty()"),
            some("contained", true)
        );
        assert_eq!(
            guard("contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()"),
            some("contained", true)
        );
        assert_eq!(guard("text.`div`.exists()"), some("text", false));
        assert_eq!(
            guard("dataAbsentReason.empty() or value.empty()"),
            some("dataAbsentReason", true)
        );
        assert_eq!(guard("a.exists() implies b.exists()"), some("a", true));
        assert_eq!(guard("a.where(b = 1).empty()"), some("a", true));
    }

    #[test]
    fn undecided_shapes() {
        assert_eq!(guard("a.empty() and b.empty()"), None);
        assert_eq!(guard("a.exists() or b.exists()"), None);
        assert_eq!(guard("a.count() = 0"), None);
        assert_eq!(guard("a.empty().not()"), None);
        assert_eq!(guard("Patient.name.empty()"), None);
        assert_eq!(guard("a.exists(b)"), None);
        assert_eq!(guard("a.empty() xor true"), None);
    }

    #[test]
    fn absence_counts_prefixed_and_extension_keys() {
        let g = AbsentGuard {
            member: "value".into(),
            value: true,
        };
        assert!(g.member_is_absent(&json!({"status": "final"})));
        assert!(!g.member_is_absent(&json!({"valueQuantity": {}})));
        assert!(!g.member_is_absent(&json!({"_value": {}})));
        assert!(!g.member_is_absent(&json!("text")));
    }
}
