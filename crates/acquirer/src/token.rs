//! The request signature of T-Bank's acquiring API v2 (`Token`): SHA-256 over the values of the
//! root scalar fields plus the terminal's `Password`, sorted by key; and its constant-time check.
//!
//! Documentation: <https://developer.tbank.ru/eacq/intro/developer/token>. What it says, as
//! checked against its own example (FACTS-payments.md §2a):
//! 1. take the root fields of the request, scalars only: nested objects (`Receipt`, `DATA`,
//!    `Shops`) and arrays take no part;
//! 2. add `Password` with the terminal's password as its value;
//! 3. sort the pairs by key;
//! 4. concatenate the values only, as text;
//! 5. SHA-256 of the UTF-8 bytes, lower-case hex.
//!
//! Booleans are rendered `true`/`false`, numbers as their JSON text; `null` takes no part (no
//! value to render; NOT VERIFIED against the documentation, which names no null fields).

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The name of the signature field in requests and notifications.
pub const TOKEN_FIELD: &str = "Token";

/// A root value as it enters the signature, or `None` when it takes no part (objects, arrays,
/// null).
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "true" } else { "false" }.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// The `Token` for a request or notification body: every root scalar field except `Token`
/// itself, plus `Password`, sorted by key, values concatenated, SHA-256, lower-case hex.
pub fn sign(fields: &Map<String, Value>, password: &str) -> String {
    let mut pairs: Vec<(&str, String)> = fields
        .iter()
        .filter(|(k, _)| k.as_str() != TOKEN_FIELD)
        .filter_map(|(k, v)| scalar_text(v).map(|t| (k.as_str(), t)))
        .collect();
    pairs.push(("Password", password.to_string()));
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let mut hasher = Sha256::new();
    for (_, value) in &pairs {
        hasher.update(value.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Whether `fields` carries a `Token` that matches the one recomputed with `password`. The
/// comparison takes the same time wherever the first difference is.
pub fn verify(fields: &Map<String, Value>, password: &str) -> bool {
    let Some(Value::String(given)) = fields.get(TOKEN_FIELD) else {
        return false;
    };
    let expected = sign(fields, password);
    constant_time_eq(given.to_ascii_lowercase().as_bytes(), expected.as_bytes())
}

/// Byte equality whose time depends only on the lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn the_documented_example_gives_the_documented_token() {
        // developer.tbank.ru/eacq/intro/developer/token: sorted by key the values read
        // `19200` (Amount), `Подарочная карта на 1000 рублей` (Description), `00000` (OrderId),
        // `11111111111111` (Password), `MerchantTerminalKey` (TerminalKey); the nested
        // `Receipt` and `DATA` take no part.
        let request = object(json!({
            "TerminalKey": "MerchantTerminalKey",
            "Amount": 19200,
            "OrderId": "00000",
            "Description": "Подарочная карта на 1000 рублей",
            "DATA": {"Phone": "+71234567890", "Email": "a@test.com"},
            "Receipt": {
                "Email": "a@test.ru",
                "Taxation": "osn",
                "Items": [{"Name": "Наименование товара 1", "Price": 10000, "Quantity": 1,
                           "Amount": 10000, "Tax": "vat10"}]
            }
        }));
        assert_eq!(
            sign(&request, "11111111111111"),
            "72dd466f8ace0a37a1f740ce5fb78101712bc0665d91a8108c7c8a0ccd426db2"
        );
    }

    #[test]
    fn a_token_in_the_body_is_left_out_and_checked() {
        let mut n = object(json!({
            "TerminalKey": "T", "OrderId": "o-1", "Success": true, "Status": "CONFIRMED",
            "PaymentId": 8912, "ErrorCode": "0", "Amount": 100
        }));
        let token = sign(&n, "pw");
        n.insert(TOKEN_FIELD.into(), Value::String(token.clone()));
        assert_eq!(sign(&n, "pw"), token, "Token itself takes no part");
        assert!(verify(&n, "pw"));
        assert!(!verify(&n, "other"));
        n.insert("Amount".into(), json!(101));
        assert!(!verify(&n, "pw"), "a changed amount breaks the token");
    }

    #[test]
    fn booleans_are_rendered_as_words() {
        let a = object(json!({"Success": true}));
        let b = object(json!({"Success": "true"}));
        assert_eq!(sign(&a, "p"), sign(&b, "p"));
    }

    #[test]
    fn a_body_without_a_token_does_not_verify() {
        assert!(!verify(&object(json!({"Amount": 1})), "p"));
        assert!(!verify(&object(json!({"Amount": 1, "Token": 5})), "p"));
    }

    #[test]
    fn constant_time_eq_compares_bytes() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
