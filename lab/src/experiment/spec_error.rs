//! The error of a study's `SPEC.toml` (`rbp sweep`, `rbp tune`): the key at fault and what is
//! wrong, so a bad spec is refused by name before any training.

use serde::de::DeserializeOwned;

/// A bad spec: the key at fault and what is wrong.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SpecError {
    /// Not valid TOML, an unknown key or a value of the wrong type (the TOML reader's message
    /// names the key and the line).
    #[error("{0}")]
    Toml(String),
    /// A value that reads but makes no sense.
    #[error("`{key}`: {why}")]
    Value {
        /// The key, e.g. `grid.lr_scale` or `space.adam.eps`.
        key: String,
        /// What is wrong.
        why: String,
    },
}

/// The error for `key`, with the reason.
pub fn bad(key: &str, why: impl Into<String>) -> SpecError {
    SpecError::Value {
        key: key.to_string(),
        why: why.into(),
    }
}

/// Reads a spec file's text as written (its raw form: unknown keys are refused by the type).
pub fn read_toml<T: DeserializeOwned>(text: &str) -> Result<T, SpecError> {
    toml::from_str(text).map_err(|e| SpecError::Toml(e.to_string()))
}
