//! Element expressions (`Bundle.entry[3].resource.name[0].family`) as a
//! chain of borrowed segments on the walker's stack. Walking a resource
//! touches every element but reports on few, so the text is only built when
//! an issue needs it.

use std::fmt::Write;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Path<'a> {
    /// A rendered prefix: the resource's own expression.
    Root(&'a str),
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
    /// `parent.name[i]`: one item of a repeating element.
    Item(&'a Path<'a>, &'a str, usize),
}

impl<'a> Path<'a> {
    pub fn field(&'a self, name: &'a str) -> Path<'a> {
        Path::Field(self, name)
    }

    pub fn index(&'a self, i: usize) -> Path<'a> {
        Path::Index(self, i)
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        self.write_to(&mut out);
        out
    }

    fn write_to(&self, out: &mut String) {
        match self {
            Path::Root(text) => out.push_str(text),
            Path::Field(parent, name) => {
                parent.write_to(out);
                out.push('.');
                out.push_str(name);
            }
            Path::Index(parent, i) => {
                parent.write_to(out);
                // Writing to a String cannot fail.
                let _ = write!(out, "[{i}]");
            }
            Path::Item(parent, name, i) => {
                parent.write_to(out);
                out.push('.');
                out.push_str(name);
                let _ = write!(out, "[{i}]");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Path;

    #[test]
    fn renders_fields_and_indexes_in_order() {
        let root = Path::Root("Bundle");
        let entry = root.field("entry");
        let third = entry.index(3);
        let resource = third.field("resource");
        let name = resource.field("name");
        let first = name.index(0);
        assert_eq!(
            first.field("family").render(),
            "Bundle.entry[3].resource.name[0].family"
        );
        assert_eq!(Path::Root("").field("x").render(), ".x");
        assert_eq!(
            Path::Item(&resource, "name", 2).render(),
            "Bundle.entry[3].resource.name[2]"
        );
        assert_eq!(root.render(), "Bundle");
    }
}
