//! Every FHIRPath function, resolved by name at parse time into [`Func`]
//! and dispatched by [`call`] to its group: existence, filtering and
//! subsetting (`collections`), strings, math, conversion, utilities, and the
//! FHIR additions (`fhir`).

mod collections;
mod conversion;
mod fhir;
mod math;
mod strings;
mod utility;

use std::borrow::Cow;

use crate::ast::{Expr, TypeSpec};
use crate::error::RawEvalError;
use crate::eval::{EvalResult, Evaluator, Frame};
use crate::value::{Collection, Value};

macro_rules! functions {
    ($($variant:ident $name:literal $min:literal $max:literal,)*) => {
        /// A FHIRPath function.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Func { $($variant,)* }

        impl Func {
            pub fn lookup(name: &str) -> Option<Func> {
                match name { $($name => Some(Func::$variant),)* _ => None }
            }
            /// Smallest and largest number of arguments.
            pub fn arity(self) -> (usize, usize) {
                match self { $(Func::$variant => ($min, $max),)* }
            }
            pub fn name(self) -> &'static str {
                match self { $(Func::$variant => $name,)* }
            }
        }
    };
}

functions! {
    Empty "empty" 0 0, Exists "exists" 0 1, All "all" 1 1, AllTrue "allTrue" 0 0, AnyTrue "anyTrue" 0 0,
    AllFalse "allFalse" 0 0, AnyFalse "anyFalse" 0 0, SubsetOf "subsetOf" 1 1, SupersetOf "supersetOf" 1 1,
    Count "count" 0 0, Distinct "distinct" 0 0, IsDistinct "isDistinct" 0 0, Not "not" 0 0,
    Where "where" 1 1, Select "select" 1 1, Repeat "repeat" 1 1, OfType "ofType" 1 1,
    Single "single" 0 0, First "first" 0 0, Last "last" 0 0, Tail "tail" 0 0, Skip "skip" 1 1, Take "take" 1 1,
    Intersect "intersect" 1 1, Exclude "exclude" 1 1, Union "union" 1 1, Combine "combine" 1 1,
    Iif "iif" 2 3, ToBoolean "toBoolean" 0 0, ConvertsToBoolean "convertsToBoolean" 0 0,
    ToInteger "toInteger" 0 0, ConvertsToInteger "convertsToInteger" 0 0, ToDate "toDate" 0 0,
    ConvertsToDate "convertsToDate" 0 0, ToDateTime "toDateTime" 0 0, ConvertsToDateTime "convertsToDateTime" 0 0,
    ToDecimal "toDecimal" 0 0, ConvertsToDecimal "convertsToDecimal" 0 0, ToQuantity "toQuantity" 0 1,
    ConvertsToQuantity "convertsToQuantity" 0 1, ToStringFn "toString" 0 0, ConvertsToString "convertsToString" 0 0,
    ToTime "toTime" 0 0, ConvertsToTime "convertsToTime" 0 0,
    IndexOf "indexOf" 1 1, Substring "substring" 1 2, StartsWith "startsWith" 1 1, EndsWith "endsWith" 1 1,
    Contains "contains" 1 1, Upper "upper" 0 0, Lower "lower" 0 0, Replace "replace" 2 2, Matches "matches" 1 1,
    ReplaceMatches "replaceMatches" 2 2, Length "length" 0 0, ToChars "toChars" 0 0, Split "split" 1 1,
    Join "join" 0 1, Trim "trim" 0 0, Encode "encode" 1 1, Decode "decode" 1 1, Escape "escape" 1 1,
    Unescape "unescape" 1 1,
    Abs "abs" 0 0, Ceiling "ceiling" 0 0, Exp "exp" 0 0, Floor "floor" 0 0, Ln "ln" 0 0, Log "log" 1 1,
    Power "power" 1 1, Round "round" 0 1, Sqrt "sqrt" 0 0, Truncate "truncate" 0 0,
    Children "children" 0 0, Descendants "descendants" 0 0, Trace "trace" 1 2, Now "now" 0 0,
    TimeOfDay "timeOfDay" 0 0, Today "today" 0 0, Aggregate "aggregate" 1 2, Precision "precision" 0 0,
    LowBoundary "lowBoundary" 0 1, HighBoundary "highBoundary" 0 1, Is "is" 1 1, As "as" 1 1,
    Extension "extension" 1 1, HasValue "hasValue" 0 0, GetValue "getValue" 0 0, Resolve "resolve" 0 0,
    MemberOf "memberOf" 1 1, Comparable "comparable" 1 1, ConformsTo "conformsTo" 1 1, HtmlChecks "htmlChecks" 0 0,
}

impl Func {
    /// Functions whose argument is a type name, not an expression.
    pub fn takes_type_argument(self) -> bool {
        matches!(self, Func::OfType | Func::Is | Func::As)
    }
}

/// One function call in progress: its arguments unevaluated, plus where to
/// evaluate them.
pub(crate) struct Call<'e, 'a> {
    pub ev: &'e Evaluator<'a>,
    pub args: &'e [Expr],
    pub frame: &'e Frame<'a>,
    pub offset: usize,
    pub type_arg: Option<&'e TypeSpec>,
    pub func: Func,
}

impl<'e, 'a> Call<'e, 'a> {
    pub fn error(&self, message: impl Into<String>) -> RawEvalError {
        RawEvalError::new(
            self.offset,
            format!("{}(): {}", self.func.name(), message.into()),
        )
    }

    /// Evaluates a plain (non-iterating) argument in the caller's context.
    pub fn arg(&self, index: usize) -> EvalResult<Collection<'a>> {
        let Some(expr) = self.args.get(index) else {
            return Ok(Vec::new());
        };
        let context: Vec<Value<'a>> = self.frame.this.iter().cloned().collect();
        self.ev.eval(expr, &context, self.frame)
    }

    /// Evaluates an iterating argument (`where`, `select`...) for one item.
    pub fn arg_for(
        &self,
        index: usize,
        item: &Value<'a>,
        position: usize,
        total: Option<Value<'a>>,
    ) -> EvalResult<Collection<'a>> {
        let Some(expr) = self.args.get(index) else {
            return Ok(Vec::new());
        };
        let frame = Frame {
            this: Some(item.clone()),
            index: Some(position as i64),
            total,
        };
        self.ev.eval(expr, std::slice::from_ref(item), &frame)
    }

    pub fn arg_string(&self, index: usize) -> EvalResult<Option<String>> {
        match self.arg(index)?.as_slice() {
            [] => Ok(None),
            [item] => item
                .as_str()
                .map(|s| Some(s.to_string()))
                .ok_or_else(|| self.error("expected a String argument")),
            _ => Err(self.error("expected a single String argument")),
        }
    }

    pub fn arg_integer(&self, index: usize) -> EvalResult<Option<i64>> {
        let items = self.arg(index)?;
        self.ev.integer_singleton(&items, self.offset)
    }

    /// The input as a single String (`None` when empty).
    pub fn input_string<'v>(&self, focus: &'v [Value<'a>]) -> EvalResult<Option<Cow<'v, str>>> {
        match focus {
            [] => Ok(None),
            [item] => match item.as_str() {
                Some(s) => Ok(Some(Cow::Borrowed(s))),
                None => Err(self.error(format!(
                    "expected a String input, found {}",
                    item.type_label()
                ))),
            },
            _ => Err(self.error("expected a single input item, found several")),
        }
    }

    /// The input as a single item (`None` when empty).
    pub fn input_single<'v>(&self, focus: &'v [Value<'a>]) -> EvalResult<Option<&'v Value<'a>>> {
        match focus {
            [] => Ok(None),
            [item] => Ok(Some(item)),
            _ => Err(self.error("expected a single input item, found several")),
        }
    }
}

pub(crate) fn call<'a>(
    ev: &Evaluator<'a>,
    func: Func,
    expr: &Expr,
    args: &[Expr],
    type_arg: Option<&TypeSpec>,
    focus: &[Value<'a>],
    frame: &Frame<'a>,
) -> EvalResult<Collection<'a>> {
    let call = Call {
        ev,
        args,
        frame,
        offset: expr.offset,
        type_arg,
        func,
    };
    if let Some(result) = collections::call(&call, focus)? {
        return Ok(result);
    }
    if let Some(result) = strings::call(&call, focus)? {
        return Ok(result);
    }
    if let Some(result) = math::call(&call, focus)? {
        return Ok(result);
    }
    if let Some(result) = conversion::call(&call, focus)? {
        return Ok(result);
    }
    if let Some(result) = utility::call(&call, focus)? {
        return Ok(result);
    }
    fhir::call(&call, focus)
}
