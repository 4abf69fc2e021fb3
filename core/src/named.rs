//! Enums named by words (optimizers, readings, initializations, GEMM backends): one table of
//! `(variant, name)` pairs gives each its names, `ALL`, `Display` and `FromStr`, and one error
//! type says which word was not understood and which would have been.

/// A word that names none of an enum's values.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown {what} `{value}`; expected one of: {}", expected.join(", "))]
pub struct UnknownName {
    /// What was being named (`optimizer`, `learning-rate clock`, ...).
    pub what: &'static str,
    /// The word given.
    pub value: String,
    /// Every accepted word.
    pub expected: Vec<&'static str>,
}

/// Implements `name()`, `ALL`, `Display` and `FromStr` for a fieldless enum from one table of
/// `(variant, name)` pairs, so the names live once.
macro_rules! named_enum {
    ($ty:ident, $what:literal, [$(($variant:ident, $name:literal)),+ $(,)?]) => {
        impl $ty {
            /// Every value, in a fixed order (the default first).
            pub const ALL: [$ty; [$($name),+].len()] = [$($ty::$variant),+];
            /// The lowercase name used in files, tables and on the command line.
            pub fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.name())
            }
        }
        impl ::std::str::FromStr for $ty {
            type Err = $crate::named::UnknownName;
            fn from_str(s: &str) -> Result<$ty, $crate::named::UnknownName> {
                $ty::ALL
                    .into_iter()
                    .find(|v| v.name() == s.trim())
                    .ok_or_else(|| $crate::named::UnknownName {
                        what: $what,
                        value: s.to_string(),
                        expected: $ty::ALL.iter().map(|v| v.name()).collect(),
                    })
            }
        }
    };
}
pub(crate) use named_enum;
