//! Helpers shared by the identifier newtypes: digit handling and a macro that gives a parsed
//! string newtype its `as_str`, `Display`, `FromStr` and serde (as a string, deserialised via `parse`).

/// Digit values of an ASCII-digit string (callers check `all_digits` first).
pub(crate) fn digit_values(s: &str) -> impl Iterator<Item = u32> + '_ {
    s.bytes().map(|b| u32::from(b.wrapping_sub(b'0')))
}

pub(crate) fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Σ weight·digit over the digits of `s` (zipped, shortest wins).
pub(crate) fn weighted_sum(s: &str, weights: &[u32]) -> u32 {
    digit_values(s).zip(weights).map(|(d, w)| d * w).sum()
}

/// Removes every char of `drop` from `s` (after trimming).
pub(crate) fn strip(s: &str, drop: &[char]) -> String {
    s.trim().chars().filter(|c| !drop.contains(c)).collect()
}

/// Implements `as_str`, `Display`, `FromStr`, `Serialize` (as the string) and `Deserialize`
/// (through `parse`) for a `struct T(String)` newtype with `fn parse(&str) -> Result<T, RuleError>`.
macro_rules! string_newtype {
    ($t:ident) => {
        $crate::common::string_newtype!($t, display_only);

        impl ::std::str::FromStr for $t {
            type Err = $crate::RuleError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $t {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                Self::parse(&raw).map_err(|e| {
                    <D::Error as ::serde::de::Error>::custom(format_args!("{}: {}", e.code(), e))
                })
            }
        }
    };
    ($t:ident, display_only) => {
        impl $t {
            /// The stored canonical form.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $t {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl ::serde::Serialize for $t {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    };
}

/// `Debug` that never prints the value: `Snils(***)`.
macro_rules! redacted_debug {
    ($t:ident) => {
        impl ::std::fmt::Debug for $t {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(concat!(stringify!($t), "(***)"))
            }
        }
    };
}

pub(crate) use redacted_debug;
pub(crate) use string_newtype;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert!(all_digits("0123"));
        assert!(!all_digits(""));
        assert!(!all_digits("12a"));
        assert_eq!(weighted_sum("123", &[1, 2, 3]), 14);
        assert_eq!(strip(" 1-2 3 ", &[' ', '-']), "123");
    }
}
