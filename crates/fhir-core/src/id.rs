//! Logical resource ids: `[A-Za-z0-9\-\.]{1,64}` (R4 `id` datatype).

use std::fmt;

/// A validated logical id. Construct it with [`LogicalId::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LogicalId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("resource id is empty")]
    Empty,
    #[error("resource id is {0} characters long; FHIR allows at most 64")]
    TooLong(usize),
    #[error("resource id contains '{0}'; FHIR ids may only contain A-Z, a-z, 0-9, '-' and '.'")]
    InvalidCharacter(char),
}

impl LogicalId {
    pub fn parse(text: &str) -> Result<Self, IdError> {
        if text.is_empty() {
            return Err(IdError::Empty);
        }
        if let Some(bad) = text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
        {
            return Err(IdError::InvalidCharacter(bad));
        }
        if text.len() > 64 {
            return Err(IdError::TooLong(text.len()));
        }
        Ok(Self(text.to_owned()))
    }

    /// A new server-assigned id (a random UUID, which the id pattern accepts).
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LogicalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_r4_pattern() {
        assert!(LogicalId::parse("example").is_ok());
        assert!(LogicalId::parse("a.b-C9").is_ok());
        assert!(LogicalId::parse(&"x".repeat(64)).is_ok());
        assert!(LogicalId::parse(LogicalId::generate().as_str()).is_ok());
    }

    #[test]
    fn rejects_everything_else() {
        assert_eq!(LogicalId::parse(""), Err(IdError::Empty));
        assert_eq!(LogicalId::parse(&"x".repeat(65)), Err(IdError::TooLong(65)));
        assert_eq!(LogicalId::parse("a_b"), Err(IdError::InvalidCharacter('_')));
        assert_eq!(LogicalId::parse("a/b"), Err(IdError::InvalidCharacter('/')));
        assert_eq!(LogicalId::parse("é"), Err(IdError::InvalidCharacter('é')));
    }
}
