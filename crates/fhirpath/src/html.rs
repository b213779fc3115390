//! `htmlChecks()`: a narrative `div` must be well-formed XHTML using only the
//! elements FHIR narrative allows (no scripts, forms, objects, styles
//! sheets or event-handler attributes), in the XHTML namespace.

const ALLOWED_ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "acronym",
    "address",
    "b",
    "bdo",
    "big",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "tt",
    "ul",
    "var",
];

#[derive(Debug, PartialEq, Eq)]
pub struct HtmlProblem(pub String);

/// Checks a narrative; the error says what is wrong.
pub fn check_narrative(xhtml: &str) -> Result<(), HtmlProblem> {
    let problem = |m: &str| Err(HtmlProblem(m.to_string()));
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = xhtml.trim_start();
    if rest.starts_with("<?xml") {
        let end = rest
            .find("?>")
            .ok_or_else(|| HtmlProblem("unterminated XML declaration".into()))?;
        rest = rest[end + 2..].trim_start();
    }
    let mut seen_root = false;
    while let Some(start) = rest.find('<') {
        check_text(&rest[..start])?;
        if stack.is_empty() && seen_root {
            return problem("content after the root element");
        }
        rest = &rest[start..];
        if let Some(after) = rest.strip_prefix("<!--") {
            let end = after
                .find("-->")
                .ok_or_else(|| HtmlProblem("unterminated comment".into()))?;
            rest = &after[end + 3..];
            continue;
        }
        let end = rest
            .find('>')
            .ok_or_else(|| HtmlProblem("unterminated tag".into()))?;
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            if stack.pop() != Some(name.trim()) {
                return problem("mismatched closing tag");
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let body = tag.trim_end_matches('/');
        let name_end = body.find(|c: char| c.is_whitespace()).unwrap_or(body.len());
        let name = &body[..name_end];
        if !ALLOWED_ELEMENTS.contains(&name) {
            return Err(HtmlProblem(format!(
                "element <{name}> is not allowed in narrative"
            )));
        }
        let attributes = check_attributes(&body[name_end..])?;
        if !seen_root {
            if name != "div" || !attributes.contains(&("xmlns", "http://www.w3.org/1999/xhtml")) {
                return problem("the root must be a div in the XHTML namespace");
            }
            seen_root = true;
        }
        if !self_closing {
            stack.push(name);
        }
    }
    check_text(rest)?;
    if !seen_root || !stack.is_empty() {
        return problem("unclosed element or no root element");
    }
    Ok(())
}

fn check_attributes(mut text: &str) -> Result<Vec<(&str, &str)>, HtmlProblem> {
    let mut out = Vec::new();
    loop {
        text = text.trim_start();
        if text.is_empty() {
            return Ok(out);
        }
        let eq = text
            .find('=')
            .ok_or_else(|| HtmlProblem("attribute without value".into()))?;
        let name = text[..eq].trim();
        let after = text[eq + 1..].trim_start();
        let quote = after
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'')
            .ok_or_else(|| HtmlProblem("unquoted attribute".into()))?;
        let close = after[1..]
            .find(quote)
            .ok_or_else(|| HtmlProblem("unterminated attribute".into()))?;
        let value = &after[1..1 + close];
        if name.to_ascii_lowercase().starts_with("on")
            || value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("javascript:")
        {
            return Err(HtmlProblem(format!(
                "attribute {name} is not allowed in narrative"
            )));
        }
        check_text(value)?;
        out.push((name, value));
        text = &after[close + 2..];
    }
}

/// Text must not contain a bare `&` that starts no entity.
fn check_text(text: &str) -> Result<(), HtmlProblem> {
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        rest = &rest[i + 1..];
        let end = rest
            .find(';')
            .ok_or_else(|| HtmlProblem("bare '&' in text".into()))?;
        let entity = &rest[..end];
        let valid = !entity.is_empty()
            && entity
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '#');
        if !valid {
            return Err(HtmlProblem("bare '&' in text".into()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_narrative() {
        let ok =
            r#"<div xmlns="http://www.w3.org/1999/xhtml"><p>Hi &amp; <b>there</b><br/></p></div>"#;
        assert_eq!(check_narrative(ok), Ok(()));
    }

    #[test]
    fn rejects_bad_narrative() {
        for bad in [
            r#"<div xmlns="http://www.w3.org/1999/xhtml"><script>x</script></div>"#,
            r#"<div xmlns="http://www.w3.org/1999/xhtml"><p onclick="x">a</p></div>"#,
            r#"<div xmlns="http://www.w3.org/1999/xhtml"><p>a</div>"#,
            r#"<div><p>a</p></div>"#,
            r#"<div xmlns="http://www.w3.org/1999/xhtml">a & b</div>"#,
            r#"<div xmlns="http://www.w3.org/1999/xhtml"><p>a</p>"#,
            "",
            "<",
            r#"<div xmlns="http://www.w3.org/1999/xhtml"><a href="javascript:x">a</a></div>"#,
        ] {
            assert!(check_narrative(bad).is_err(), "{bad}");
        }
    }
}
