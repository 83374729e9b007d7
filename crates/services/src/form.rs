//! Forms as data: the JSON description of a service's application form (fields, types,
//! constraints, conditional visibility) and the one validator the server runs on it.
//!
//! The page renders the same rules as HTML attributes (`required`, `minlength`, `pattern`, …) and
//! hides conditional fields with `static/form.js`; the server never trusts the page and validates
//! every submission here.

use std::collections::{BTreeMap, BTreeSet};

use okno_kernel::clock::Date;
use okno_kernel::error::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The kinds of field a form may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    /// An integer.
    Number,
    /// An ISO date, `YYYY-MM-DD`.
    Date,
    /// One of `choices`.
    Choice,
    Checkbox,
    /// A postal address as one line of text.
    Address,
    /// СНИЛС, checked with its control number.
    Snils,
    /// ИНН of a person (12 digits) or an organisation (10 digits), checked with its control digits.
    Inn,
    /// Series and number of a passport of a citizen of the Russian Federation.
    Passport,
    /// An attachment (PDF, JPG or PNG), uploaded separately and named by the field.
    File,
}

/// One option of a choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// The schema of [`VisibleIf::equals`]: the other field's value, a string, a boolean or a number.
fn string_or_boolean() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([
            Type::String,
            Type::Boolean,
            Type::Number,
        ]))
        .description(Some(
            "Значение другого поля: строка, логическое значение или число",
        ))
        .build()
}

/// A field is shown (and validated) only when another field has this value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VisibleIf {
    pub field: String,
    /// Compared as text; a checkbox is `"true"` when ticked.
    #[schema(schema_with = string_or_boolean)]
    pub equals: Value,
}

/// One field of a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Machine name: letters, digits and `_`.
    pub name: String,
    /// Russian label.
    pub label: String,
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    /// A Russian hint shown under the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// Smallest number allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    /// Largest number allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    /// A regular expression the whole text must match (the HTML `pattern` semantics). Keep to
    /// the syntax JavaScript and Rust share: classes, quantifiers, groups, alternation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Russian explanation shown when the pattern does not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern_message: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    /// A date may not be later than today (birth dates, dates of events).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub past_only: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_if: Option<VisibleIf>,
}

/// A form: fields in the order shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Form {
    pub fields: Vec<Field>,
}

/// The longest text a field may hold when the form sets no `max_length`.
pub const TEXT_MAX: usize = 2000;

/// Values of a form as stored: field name → text (a checkbox is `"true"` or absent).
pub type Values = BTreeMap<String, String>;

fn err(field: &str, code: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        code: code.into(),
        message: message.into(),
    }
}

impl Form {
    /// Parses and checks a form description: unique well-formed names, patterns that compile,
    /// choices for choice fields, conditions that name an earlier field.
    pub fn parse(json: &Value) -> Result<Form, String> {
        let form: Form = serde_json::from_value(json.clone()).map_err(|e| format!("форма: {e}"))?;
        let mut seen = BTreeSet::new();
        for f in &form.fields {
            if f.name.is_empty()
                || !f
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                return Err(format!("недопустимое имя поля «{}»", f.name));
            }
            if let Some(p) = &f.pattern {
                regex::Regex::new(&format!("^(?:{p})$"))
                    .map_err(|_| format!("поле «{}»: шаблон не разбирается", f.name))?;
            }
            if f.kind == FieldKind::Choice && f.choices.is_empty() {
                return Err(format!("поле «{}»: нет вариантов выбора", f.name));
            }
            if let Some(v) = &f.visible_if {
                if !seen.contains(v.field.as_str()) {
                    return Err(format!(
                        "поле «{}»: условие ссылается на поле «{}», которого нет выше",
                        f.name, v.field
                    ));
                }
            }
            if !seen.insert(f.name.as_str()) {
                return Err(format!("поле «{}» повторяется", f.name));
            }
        }
        Ok(form)
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The names of the fields visible with these values. A field whose condition names a hidden
    /// field is hidden too.
    pub fn visible(&self, values: &Values) -> BTreeSet<String> {
        let mut shown = BTreeSet::new();
        for f in &self.fields {
            let ok = match &f.visible_if {
                None => true,
                Some(c) => {
                    shown.contains(&c.field)
                        && values.get(&c.field).map(String::as_str)
                            == Some(value_text(&c.equals).as_str())
                }
            };
            if ok {
                shown.insert(f.name.clone());
            }
        }
        shown
    }

    /// Turns what a client sent (JSON values or form text) into stored values: unknown fields and
    /// file fields dropped, text trimmed, empty values removed, checkboxes as `"true"`. Checks
    /// nothing else, so a draft can be saved half-filled; the length cap still applies.
    pub fn normalise(&self, raw: &BTreeMap<String, Value>) -> Result<Values, Vec<FieldError>> {
        let mut out = Values::new();
        let mut errors = Vec::new();
        for f in &self.fields {
            if f.kind == FieldKind::File {
                continue;
            }
            let Some(v) = raw.get(&f.name) else { continue };
            let text = match (f.kind, v) {
                (FieldKind::Checkbox, Value::Bool(b)) => b.then(|| "true".to_string()),
                (FieldKind::Checkbox, Value::String(s)) => {
                    matches!(s.as_str(), "true" | "on" | "1").then(|| "true".to_string())
                }
                (_, Value::String(s)) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
                (_, Value::Number(n)) => Some(n.to_string()),
                (_, Value::Null) => None,
                _ => {
                    errors.push(err(&f.name, "form.type", "Значение неверного типа."));
                    None
                }
            };
            if let Some(t) = text {
                if t.chars().count() > f.max_length.unwrap_or(TEXT_MAX).max(TEXT_MAX) {
                    errors.push(err(&f.name, "form.too_long", "Слишком длинное значение."));
                } else {
                    out.insert(f.name.clone(), t);
                }
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// Validates values for submission: every visible field against its rules; `attached` holds
    /// the names of file fields that have at least one attachment. Gives the values of the
    /// visible fields in their canonical form (СНИЛС `123-456-789 01`, passport `45 10 123456`),
    /// or every problem at once.
    pub fn validate(
        &self,
        values: &Values,
        attached: &BTreeSet<String>,
        today: Date,
    ) -> Result<Values, Vec<FieldError>> {
        let visible = self.visible(values);
        let mut out = Values::new();
        let mut errors = Vec::new();
        for f in self.fields.iter().filter(|f| visible.contains(&f.name)) {
            if f.kind == FieldKind::File {
                if f.required && !attached.contains(&f.name) {
                    errors.push(err(&f.name, "form.required", "Приложите файл."));
                }
                continue;
            }
            let Some(v) = values.get(&f.name) else {
                if f.required {
                    let message = if f.kind == FieldKind::Checkbox {
                        "Отметьте, чтобы продолжить."
                    } else {
                        "Заполните поле."
                    };
                    errors.push(err(&f.name, "form.required", message));
                }
                continue;
            };
            match check(f, v, today) {
                Ok(c) => {
                    out.insert(f.name.clone(), c);
                }
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }
}

/// The text of a condition's value: `true` → `"true"`, `"b"` → `"b"`.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn check(f: &Field, v: &str, today: Date) -> Result<String, FieldError> {
    let n = &f.name;
    let len = v.chars().count();
    if let Some(min) = f.min_length {
        if len < min {
            return Err(err(
                n,
                "form.too_short",
                format!("Не короче {min} символов."),
            ));
        }
    }
    if let Some(max) = f.max_length {
        if len > max {
            return Err(err(
                n,
                "form.too_long",
                format!("Не длиннее {max} символов."),
            ));
        }
    }
    if let Some(p) = &f.pattern {
        let ok = regex::Regex::new(&format!("^(?:{p})$")).is_ok_and(|r| r.is_match(v));
        if !ok {
            let msg = f
                .pattern_message
                .clone()
                .unwrap_or_else(|| "Значение не соответствует образцу.".into());
            return Err(err(n, "form.pattern", msg));
        }
    }
    let rule = |e: okno_rules::RuleError| err(n, e.code(), e.to_string());
    Ok(match f.kind {
        FieldKind::Text | FieldKind::Address => v.to_string(),
        FieldKind::Number => {
            let x: i64 = v
                .parse()
                .map_err(|_| err(n, "form.number", "Введите целое число."))?;
            if f.min.is_some_and(|m| x < m) || f.max.is_some_and(|m| x > m) {
                let range = match (f.min, f.max) {
                    (Some(a), Some(b)) => format!("от {a} до {b}"),
                    (Some(a), None) => format!("не меньше {a}"),
                    (None, Some(b)) => format!("не больше {b}"),
                    (None, None) => String::new(),
                };
                return Err(err(n, "form.range", format!("Введите число {range}.")));
            }
            x.to_string()
        }
        FieldKind::Date => {
            let d = okno_kernel::clock::parse_date(v)
                .ok_or_else(|| err(n, "form.date", "Введите дату в виде ГГГГ-ММ-ДД."))?;
            if f.past_only && d > today {
                return Err(err(
                    n,
                    "form.date_future",
                    "Дата не может быть позже сегодняшней.",
                ));
            }
            d.to_string()
        }
        FieldKind::Choice => {
            if !f.choices.iter().any(|c| c.value == v) {
                return Err(err(n, "form.choice", "Выберите один из вариантов."));
            }
            v.to_string()
        }
        FieldKind::Checkbox => "true".into(),
        FieldKind::Snils => okno_rules::Snils::parse(v).map_err(rule)?.formatted(),
        FieldKind::Inn => okno_rules::Inn::parse(v)
            .map_err(rule)?
            .as_str()
            .to_string(),
        FieldKind::Passport => okno_rules::PassportRf::parse(v).map_err(rule)?.formatted(),
        FieldKind::File => String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> Date {
        jiff::civil::date(2026, 12, 1)
    }

    fn form() -> Form {
        Form::parse(&json!({"fields": [
            {"name": "reason", "label": "Причина", "kind": "choice", "required": true,
             "choices": [{"value": "age", "label": "Возраст"}, {"value": "name", "label": "Смена ФИО"}]},
            {"name": "old_name", "label": "Прежняя фамилия", "kind": "text", "required": true,
             "min_length": 2, "max_length": 40, "pattern": "[А-ЯЁа-яё-]+",
             "pattern_message": "Только русские буквы и дефис.",
             "visible_if": {"field": "reason", "equals": "name"}},
            {"name": "name_doc", "label": "Свидетельство", "kind": "file", "required": true,
             "visible_if": {"field": "old_name", "equals": "Иванова"}},
            {"name": "children", "label": "Детей", "kind": "number", "min": 0, "max": 20},
            {"name": "birth", "label": "Дата рождения", "kind": "date", "required": true, "past_only": true},
            {"name": "snils", "label": "СНИЛС", "kind": "snils", "required": true},
            {"name": "inn", "label": "ИНН", "kind": "inn"},
            {"name": "passport", "label": "Паспорт", "kind": "passport"},
            {"name": "consent", "label": "Согласие", "kind": "checkbox", "required": true}
        ]}))
        .unwrap()
    }

    fn vals(pairs: &[(&str, &str)]) -> Values {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn codes(r: Result<Values, Vec<FieldError>>) -> Vec<(String, String)> {
        r.unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    const OK: [(&str, &str); 4] = [
        ("reason", "age"),
        ("birth", "1980-05-17"),
        ("snils", "112-233-445 95"),
        ("consent", "true"),
    ];

    #[test]
    fn a_complete_form_validates_and_canonicalises_documents() {
        let mut v = vals(&OK);
        v.insert("snils".into(), "11223344595".into());
        v.insert("passport".into(), "45 10 123456".into());
        let out = form().validate(&v, &BTreeSet::new(), today()).unwrap();
        assert_eq!(out["snils"], "112-233-445 95");
        assert_eq!(out["passport"], "45 10 123456");
    }

    #[test]
    fn a_hidden_conditional_field_is_neither_required_nor_kept() {
        let mut v = vals(&OK);
        v.insert("old_name".into(), "Петрова".into());
        let out = form().validate(&v, &BTreeSet::new(), today()).unwrap();
        assert!(!out.contains_key("old_name"), "hidden while reason = age");
    }

    #[test]
    fn a_shown_conditional_field_is_required_and_checked() {
        let mut v = vals(&OK);
        v.insert("reason".into(), "name".into());
        assert_eq!(
            codes(form().validate(&v, &BTreeSet::new(), today())),
            vec![("old_name".into(), "form.required".into())]
        );
        v.insert("old_name".into(), "Smith".into());
        assert_eq!(
            codes(form().validate(&v, &BTreeSet::new(), today())),
            vec![("old_name".into(), "form.pattern".into())]
        );
    }

    #[test]
    fn a_condition_on_a_hidden_field_hides_its_dependant_too() {
        let mut v = vals(&OK);
        v.insert("old_name".into(), "Иванова".into());
        // reason = age hides old_name, so name_doc (shown when old_name = Иванова) is hidden too.
        assert!(!form().visible(&v).contains("name_doc"));
        v.insert("reason".into(), "name".into());
        assert!(form().visible(&v).contains("name_doc"));
        assert_eq!(
            codes(form().validate(&v, &BTreeSet::new(), today())),
            vec![("name_doc".into(), "form.required".into())]
        );
        let files = BTreeSet::from(["name_doc".to_string()]);
        assert!(form().validate(&v, &files, today()).is_ok());
    }

    #[test]
    fn every_rule_is_refused_with_its_own_code() {
        let mut v = vals(&[
            ("reason", "other"),
            ("birth", "2030-01-01"),
            ("snils", "112-233-445 96"),
        ]);
        v.insert("children".into(), "21".into());
        v.insert("inn".into(), "500100732258".into());
        v.insert("passport".into(), "12".into());
        let got = codes(form().validate(&v, &BTreeSet::new(), today()));
        let want: Vec<(String, String)> = [
            ("reason", "form.choice"),
            ("children", "form.range"),
            ("birth", "form.date_future"),
            ("snils", "snils.checksum"),
            ("inn", "inn.checksum"),
            ("passport", "passport.length"),
            ("consent", "form.required"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn lengths_numbers_and_dates_are_checked() {
        let f = form();
        let mut v = vals(&OK);
        v.insert("reason".into(), "name".into());
        v.insert("old_name".into(), "И".into());
        assert_eq!(
            codes(f.validate(&v, &BTreeSet::new(), today()))[0].1,
            "form.too_short"
        );
        v.insert("old_name".into(), "Иванова".repeat(10));
        assert_eq!(
            codes(f.validate(&v, &BTreeSet::new(), today()))[0].1,
            "form.too_long"
        );
        let mut v = vals(&OK);
        v.insert("children".into(), "два".into());
        assert_eq!(
            codes(f.validate(&v, &BTreeSet::new(), today()))[0].1,
            "form.number"
        );
        v.insert("children".into(), "2".into());
        v.insert("birth".into(), "17.05.1980".into());
        assert_eq!(
            codes(f.validate(&v, &BTreeSet::new(), today()))[0].1,
            "form.date"
        );
    }

    #[test]
    fn drafts_keep_only_known_fields_and_read_checkboxes_from_forms() {
        let raw: BTreeMap<String, Value> = serde_json::from_value(json!({
            "reason": " age ", "consent": "on", "unknown": "x", "name_doc": "x", "inn": ""
        }))
        .unwrap();
        let v = form().normalise(&raw).unwrap();
        assert_eq!(v, vals(&[("reason", "age"), ("consent", "true")]));
        let raw: BTreeMap<String, Value> =
            serde_json::from_value(json!({"reason": ["a"]})).unwrap();
        assert_eq!(form().normalise(&raw).unwrap_err()[0].code, "form.type");
    }

    #[test]
    fn malformed_form_descriptions_are_refused() {
        let bad = [
            json!({"fields": [{"name": "a b", "label": "x", "kind": "text"}]}),
            json!({"fields": [{"name": "a", "label": "x", "kind": "choice"}]}),
            json!({"fields": [{"name": "a", "label": "x", "kind": "text", "pattern": "("}]}),
            json!({"fields": [{"name": "a", "label": "x", "kind": "text",
                               "visible_if": {"field": "b", "equals": "1"}}]}),
            json!({"fields": [{"name": "a", "label": "x", "kind": "text"},
                              {"name": "a", "label": "y", "kind": "text"}]}),
            json!({"fields": [{"name": "a", "label": "x", "kind": "colour"}]}),
        ];
        for b in bad {
            assert!(Form::parse(&b).is_err(), "{b}");
        }
    }
}
