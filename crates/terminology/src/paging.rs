//! One page of an expansion for `$expand`: the text `filter`, `activeOnly`,
//! then `offset` and `count` over what is left. A `count` above
//! [`MAX_EXPANSION_PAGE`] is lowered to it; a request without `count` whose
//! answer would be larger is refused as too costly.
//!
//! Pages are stable: they slice the expansion's concept list, whose order
//! comes from the definitions (packaged expansion order, or compose order),
//! never from a hash map, so the same request gives the same page.

use crate::expansion::{Expansion, ExpansionConcept};
use crate::TerminologyError;

/// The most codes one `$expand` answer carries. Larger expansions must be
/// paged with `count`/`offset`; the response size stays bounded whatever
/// value set a client names.
pub const MAX_EXPANSION_PAGE: usize = 1000;

/// What a client asked of an expansion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// Text filter, see [`matches_filter`].
    pub filter: Option<String>,
    /// Leave out inactive codes.
    pub active_only: bool,
    pub offset: usize,
    /// None: every code from `offset` on (subject to the limit). Zero asks
    /// only for the total.
    pub count: Option<usize>,
}

/// A slice of an expansion, with the total of the filtered expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpansionPage<'a> {
    pub total: usize,
    pub offset: usize,
    pub concepts: Vec<&'a ExpansionConcept>,
}

/// The `$expand` text filter: every whitespace-separated word of `filter`
/// must occur, ignoring case, in the code or in the display (substring
/// match, as most terminology servers do). An empty filter matches all.
pub fn matches_filter(concept: &ExpansionConcept, filter: &str) -> bool {
    let code = concept.code.to_lowercase();
    let display = concept
        .display
        .as_deref()
        .map(str::to_lowercase)
        .unwrap_or_default();
    filter
        .split_whitespace()
        .map(str::to_lowercase)
        .all(|word| code.contains(&word) || display.contains(&word))
}

impl Expansion {
    /// The page `request` selects, or [`TerminologyError::TooCostly`] when no
    /// `count` was given and the rest of the expansion is larger than
    /// [`MAX_EXPANSION_PAGE`]. A client that pages gets at most that many
    /// codes a page and the total to go on with.
    pub fn page(&self, request: &PageRequest) -> Result<ExpansionPage<'_>, TerminologyError> {
        let selected: Vec<&ExpansionConcept> = self
            .concepts
            .iter()
            .filter(|concept| !(request.active_only && concept.inactive))
            .filter(|concept| {
                request
                    .filter
                    .as_deref()
                    .is_none_or(|filter| matches_filter(concept, filter))
            })
            .collect();
        let total = selected.len();
        let available = total.saturating_sub(request.offset);
        if request.count.is_none() && available > MAX_EXPANSION_PAGE {
            return Err(TerminologyError::TooCostly {
                url: self.url.clone(),
                total,
                limit: MAX_EXPANSION_PAGE,
            });
        }
        let size = request.count.unwrap_or(available).min(MAX_EXPANSION_PAGE);
        let concepts = selected
            .into_iter()
            .skip(request.offset)
            .take(size)
            .collect();
        Ok(ExpansionPage {
            total,
            offset: request.offset,
            concepts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expansion::{ConceptSet, ExpansionSource};

    fn concept(code: &str, display: &str, inactive: bool) -> ExpansionConcept {
        ExpansionConcept {
            system: "http://example.org/cs".into(),
            version: None,
            code: code.into(),
            display: Some(display.into()),
            is_abstract: false,
            inactive,
        }
    }

    fn expansion(size: usize) -> Expansion {
        let mut set = ConceptSet::default();
        for n in 0..size {
            set.push(concept(
                &format!("c{n}"),
                &format!("Concept number {n}"),
                n % 2 == 1,
            ));
        }
        Expansion::new(
            "http://example.org/vs".into(),
            None,
            ExpansionSource::Compose,
            set,
        )
    }

    fn codes(page: &ExpansionPage<'_>) -> Vec<String> {
        page.concepts.iter().map(|c| c.code.clone()).collect()
    }

    #[test]
    fn filter_is_case_insensitive_on_code_and_display() {
        let c = concept("LA6576-8", "Excellent Health", false);
        assert!(matches_filter(&c, "excellent"));
        assert!(matches_filter(&c, "HEALTH exc"));
        assert!(matches_filter(&c, "la6576"));
        assert!(matches_filter(&c, "  "));
        assert!(!matches_filter(&c, "excellent poor"));
        assert!(!matches_filter(&concept("x", "", false), "y"));
    }

    #[test]
    fn pages_are_slices_of_the_filtered_list_in_order() {
        let expansion = expansion(20);
        let request = |offset, count| PageRequest {
            filter: Some("number 1".into()),
            offset,
            count,
            ..PageRequest::default()
        };
        // "number 1" matches c1 and c10..c19.
        let all = expansion.page(&request(0, None)).expect("page");
        assert_eq!(all.total, 11);
        let first = expansion.page(&request(0, Some(4))).expect("page");
        let second = expansion.page(&request(4, Some(4))).expect("page");
        let rest = expansion.page(&request(8, Some(4))).expect("page");
        assert_eq!(codes(&first), ["c1", "c10", "c11", "c12"]);
        assert_eq!(codes(&second), ["c13", "c14", "c15", "c16"]);
        assert_eq!(codes(&rest), ["c17", "c18", "c19"]);
        let joined: Vec<String> = [first, second, rest].iter().flat_map(codes).collect();
        assert_eq!(joined, codes(&all));
    }

    #[test]
    fn offset_past_the_end_and_count_zero_give_no_codes() {
        let expansion = expansion(5);
        let past = PageRequest {
            offset: 9,
            ..PageRequest::default()
        };
        let page = expansion.page(&past).expect("page");
        assert_eq!((page.total, page.concepts.len()), (5, 0));
        let only_total = PageRequest {
            count: Some(0),
            ..PageRequest::default()
        };
        let page = expansion.page(&only_total).expect("page");
        assert_eq!((page.total, page.concepts.len()), (5, 0));
    }

    #[test]
    fn active_only_leaves_out_inactive_codes() {
        let expansion = expansion(6);
        let page = expansion
            .page(&PageRequest {
                active_only: true,
                ..PageRequest::default()
            })
            .expect("page");
        assert_eq!(codes(&page), ["c0", "c2", "c4"]);
    }

    #[test]
    fn an_uncounted_page_over_the_limit_is_too_costly_a_counted_one_is_capped() {
        let expansion = expansion(MAX_EXPANSION_PAGE + 1);
        let error = expansion.page(&PageRequest::default());
        assert!(matches!(
            error,
            Err(TerminologyError::TooCostly { total, .. }) if total == MAX_EXPANSION_PAGE + 1
        ));
        let counted = PageRequest {
            count: Some(MAX_EXPANSION_PAGE * 2),
            ..PageRequest::default()
        };
        assert_eq!(
            expansion.page(&counted).expect("page").concepts.len(),
            MAX_EXPANSION_PAGE
        );
    }
}
