//! The OpenAPI 3.1 document, assembled from every part's annotated handlers, and the Russian docs
//! page at `/api/docs` rendered from it on the server (no external scripts).

use askama::Template;
use okno_kernel::http::Chrome;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;

/// Each part's description, in the order they are merged.
fn parts() -> Vec<utoipa::openapi::OpenApi> {
    vec![
        crate::api::KernelApi::openapi(),
        okno_notify::api::NotifyApi::openapi(),
        okno_identity::api::IdentityApi::openapi(),
        okno_identity::organisations_http::OrganisationsApi::openapi(),
        okno_directory::api::DirectoryApi::openapi(),
        okno_offices::api::OfficesApi::openapi(),
        okno_services::api::ServicesApi::openapi(),
        crate::verify::DocumentsApi::openapi(),
        okno_appeals::api::AppealsApi::openapi(),
        okno_appeals::polls::PollsApi::openapi(),
        okno_offices::desk::DeskApi::openapi(),
        okno_payments::api::PaymentsApi::openapi(),
    ]
}

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut parts = parts().into_iter();
    let mut doc = parts.next().unwrap_or_default();
    for part in parts {
        doc.merge(part);
    }
    doc.info = utoipa::openapi::InfoBuilder::new()
        .title("Окно API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "JSON API платформы «Окно». Ошибки — application/problem+json (RFC 9457) с устойчивым полем code.",
        ))
        .build();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("Токен доступа: okno admin token create"))
                .build(),
        ),
    );
    doc
}

/// The operations that require credentials, as `(METHOD, /path/{template})`: those whose
/// `security` lists requirements and no empty (anonymous) alternative. The shell answers 401 to
/// such a request without credentials before anything else looks at it.
pub fn secured_operations(doc: &serde_json::Value) -> std::collections::HashSet<(String, String)> {
    let mut out = std::collections::HashSet::new();
    let global = doc.get("security");
    let Some(paths) = doc["paths"].as_object() else {
        return out;
    };
    for (path, item) in paths {
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let Some(security) = op.get("security").or(global).and_then(|s| s.as_array()) else {
                continue;
            };
            let anonymous_allowed = security
                .iter()
                .any(|r| r.as_object().is_some_and(|o| o.is_empty()));
            if !security.is_empty() && !anonymous_allowed {
                out.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// Declares what the shell and the edge answer for every operation, so the description lists it
/// exactly: `401` for an operation that requires credentials (answered before anything else) and
/// `403` when the credentials do not allow it; `400` for one that takes any text (path, query or
/// body), which the edge check can refuse; `404` for one with a path parameter (nothing by that
/// name); `413` and `415` for one with a body. It also writes the edge's rule into the schemas:
/// every string a request carries gets the `pattern` of the characters the edge admits
/// ([`okno_kernel::text::admitted_pattern`]), every free-form object of a request body admits
/// only such keys and values, and an optional body is described as the object alone (a `null`
/// body is refused like any other non-object).
pub fn declare_shell_answers(doc: &mut serde_json::Value) {
    let secured = secured_operations(doc);
    let problem = |description: &str| {
        serde_json::json!({
            "description": description,
            "content": { "application/problem+json": {
                "schema": { "$ref": "#/components/schemas/Problem" } } }
        })
    };
    let mut body_refs = Vec::new();
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get_mut(method) else {
                continue;
            };
            let has_path_param = path.contains('{');
            let has_body = op.get("requestBody").is_some();
            let takes_text = op["parameters"].as_array().is_some_and(|p| !p.is_empty()) || has_body;
            if let Some(params) = op.get_mut("parameters").and_then(|p| p.as_array_mut()) {
                for p in params {
                    admit(&mut p["schema"], &mut body_refs, true);
                }
            }
            let optional = !op["requestBody"]["required"].as_bool().unwrap_or(false);
            let content = op
                .get_mut("requestBody")
                .and_then(|b| b.get_mut("content"))
                .and_then(|c| c.as_object_mut());
            if let Some(content) = content {
                for (media_type, media) in content.iter_mut() {
                    if !media_type.contains("json") && !media_type.contains("form") {
                        // A raw file (a PDF): bytes, not the array of numbers `Vec<u8>` reads as.
                        media["schema"] =
                            serde_json::json!({ "type": "string", "format": "binary" });
                    }
                    if optional {
                        drop_null_alternative(&mut media["schema"]);
                    }
                    admit(&mut media["schema"], &mut body_refs, false);
                }
            }
            let needs_credentials = secured.contains(&(method.to_ascii_uppercase(), path.clone()));
            let Some(responses) = op.get_mut("responses").and_then(|r| r.as_object_mut()) else {
                continue;
            };
            let mut declare = |code: &str, description: &str| {
                if !responses.contains_key(code) {
                    responses.insert(code.into(), problem(description));
                }
            };
            if needs_credentials {
                declare(
                    "401",
                    "Нет учётных данных или они недействительны (auth.required, auth.invalid_token)",
                );
                declare(
                    "403",
                    "Этому пользователю или токену действие не разрешено (forbidden)",
                );
            }
            if takes_text {
                declare(
                    "400",
                    "Ошибка в запросе: например, управляющий символ в поле (validation.failed)",
                );
            }
            if has_path_param {
                declare("404", "Не найдено (not_found)");
            }
            if has_body {
                declare("413", "Тело запроса слишком велико (request.too_large)");
                declare(
                    "415",
                    "Тело запроса не в том формате (request.unsupported_media_type)",
                );
            }
        }
    }
    // The components a request body names, and the ones they name in turn, admit the same text.
    let mut seen = std::collections::HashSet::new();
    while let Some(name) = body_refs.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = doc["components"]["schemas"].get_mut(&name) {
            admit(schema, &mut body_refs, false);
        }
    }
    if seen.contains(ADMITTED_JSON) {
        let text = okno_kernel::text::admitted_pattern(false);
        let line = okno_kernel::text::admitted_pattern(true);
        let any = format!("#/components/schemas/{ADMITTED_JSON}");
        doc["components"]["schemas"][ADMITTED_JSON] = serde_json::json!({
            "description": "Любое значение JSON без управляющих символов в строках и ключах.",
            "anyOf": [
                { "type": ["null", "boolean", "number"] },
                { "type": "string", "pattern": text },
                { "type": "array", "items": { "$ref": any } },
                { "type": "object", "propertyNames": { "pattern": line },
                  "additionalProperties": { "$ref": any } }
            ]
        });
    }
}

/// The component describing free-form JSON as the edge admits it.
const ADMITTED_JSON: &str = "AdmittedJson";

/// `oneOf: [{type: null}, X]` (how an optional body is generated) becomes `X`.
fn drop_null_alternative(schema: &mut serde_json::Value) {
    let Some(alternatives) = schema["oneOf"].as_array() else {
        return;
    };
    let rest: Vec<_> = alternatives
        .iter()
        .filter(|a| a["type"] != "null")
        .cloned()
        .collect();
    if rest.len() == 1 && alternatives.len() == 2 {
        *schema = rest.into_iter().next().unwrap_or_default();
    }
}

/// Writes the edge's rule into one schema of a request (see [`declare_shell_answers`]); the
/// components it names are pushed to `refs` to be treated alike.
fn admit(schema: &mut serde_json::Value, refs: &mut Vec<String>, single_line: bool) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    if let Some(r) = obj.get("$ref").and_then(|r| r.as_str()) {
        if let Some(name) = r.strip_prefix("#/components/schemas/") {
            refs.push(name.to_string());
        }
        return;
    }
    let is = |t: &str| match obj.get("type") {
        Some(serde_json::Value::String(s)) => s == t,
        Some(serde_json::Value::Array(a)) => a.iter().any(|x| x == t),
        _ => false,
    };
    let (string, object) = (is("string"), is("object"));
    let constrained = ["pattern", "enum", "const", "format"]
        .iter()
        .any(|k| obj.contains_key(*k));
    if string && !constrained {
        obj.insert(
            "pattern".into(),
            okno_kernel::text::admitted_pattern(single_line).into(),
        );
    }
    // An object that takes keys beyond those it names (or any keys at all) takes them as the
    // edge admits them.
    let free_form = object
        && !matches!(obj.get("additionalProperties"), Some(v) if v.is_object() || v == false);
    if free_form {
        obj.insert(
            "additionalProperties".into(),
            serde_json::json!({ "$ref": format!("#/components/schemas/{ADMITTED_JSON}") }),
        );
        refs.push(ADMITTED_JSON.into());
    }
    if object && !obj.contains_key("propertyNames") {
        // The edge refuses a key with a control character, whether or not the type knows it.
        obj.insert(
            "propertyNames".into(),
            serde_json::json!({ "pattern": okno_kernel::text::admitted_pattern(true) }),
        );
    }
    if let Some(props) = obj.get_mut("properties").and_then(|p| p.as_object_mut()) {
        for p in props.values_mut() {
            admit(p, refs, false);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = obj.get_mut(key) {
            admit(inner, refs, false);
        }
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = obj.get_mut(key).and_then(|l| l.as_array_mut()) {
            for inner in list {
                admit(inner, refs, false);
            }
        }
    }
}

pub struct Op {
    method: String,
    method_class: String,
    path: String,
    anchor: String,
    summary: String,
    secured: bool,
    params: Vec<(String, String, String)>,
    body: Option<String>,
    responses: Vec<(String, String)>,
}

pub struct Group {
    tag: String,
    title: String,
    ops: Vec<Op>,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
pub struct DocsPage {
    chrome: Chrome,
    title: String,
    version: String,
    description: String,
    openapi: String,
    groups: Vec<Group>,
}

fn s(v: &serde_json::Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// Builds the docs page from the document's JSON form.
pub fn docs_page(chrome: Chrome, doc: &serde_json::Value) -> DocsPage {
    let mut groups: Vec<Group> = doc["tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .map(|t| Group {
                    tag: s(&t["name"]),
                    title: t["description"]
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| s(&t["name"])),
                    ops: Vec::new(),
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                let Some(op) = item.get(method) else { continue };
                let tag = op["tags"][0].as_str().unwrap_or("other").to_string();
                let params = op["parameters"]
                    .as_array()
                    .map(|ps| {
                        ps.iter()
                            .map(|p| {
                                let place = match p["in"].as_str() {
                                    Some("path") => "путь",
                                    Some("query") => "строка запроса",
                                    Some("header") => "заголовок",
                                    _ => "",
                                };
                                (s(&p["name"]), place.to_string(), s(&p["description"]))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let body = op["requestBody"]["content"]
                    .as_object()
                    .and_then(|c| c.values().next())
                    .and_then(|m| m["schema"]["$ref"].as_str())
                    .map(|r| r.rsplit('/').next().unwrap_or(r).to_string());
                let responses = op["responses"]
                    .as_object()
                    .map(|rs| {
                        rs.iter()
                            .map(|(code, r)| (code.clone(), s(&r["description"])))
                            .collect()
                    })
                    .unwrap_or_default();
                let o = Op {
                    method: method.to_uppercase(),
                    method_class: method.to_string(),
                    path: path.clone(),
                    anchor: format!("{method}-{}", path.replace(['/', '{', '}'], "-")),
                    summary: op["summary"]
                        .as_str()
                        .or(op["description"].as_str())
                        .unwrap_or("")
                        .to_string(),
                    secured: op.get("security").is_some(),
                    params,
                    body,
                    responses,
                };
                match groups.iter_mut().find(|g| g.tag == tag) {
                    Some(g) => g.ops.push(o),
                    None => groups.push(Group {
                        tag: tag.clone(),
                        title: tag,
                        ops: vec![o],
                    }),
                }
            }
        }
    }
    groups.retain(|g| !g.ops.is_empty());
    DocsPage {
        chrome,
        title: s(&doc["info"]["title"]),
        version: s(&doc["info"]["version"]),
        description: s(&doc["info"]["description"]),
        openapi: s(&doc["openapi"]),
        groups,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_parts_describe_different_schemas_under_one_name() {
        // Merging keeps one schema per name: two types of one name would make one part's
        // operations describe the other's data.
        let mut seen: std::collections::HashMap<String, serde_json::Value> = Default::default();
        let mut clashes = Vec::new();
        for part in parts() {
            let part = serde_json::to_value(part).unwrap();
            let Some(schemas) = part["components"]["schemas"].as_object() else {
                continue;
            };
            for (name, schema) in schemas {
                match seen.get(name) {
                    Some(other) if other != schema => clashes.push(name.clone()),
                    _ => {
                        seen.insert(name.clone(), schema.clone());
                    }
                }
            }
        }
        assert!(
            clashes.is_empty(),
            "one name, different schemas: {clashes:?}"
        );
    }

    #[test]
    fn request_text_is_described_as_the_edge_admits_it() {
        let mut doc = serde_json::to_value(document()).unwrap();
        declare_shell_answers(&mut doc);
        let line = okno_kernel::text::admitted_pattern(true);
        let text = okno_kernel::text::admitted_pattern(false);
        let op = &doc["paths"]["/api/v1/agencies/{code}"]["get"];
        assert_eq!(op["parameters"][0]["schema"]["pattern"], line.as_str());
        for code in ["400", "404"] {
            assert!(op["responses"].get(code).is_some(), "{code}");
        }
        let login = &doc["components"]["schemas"]["SignInRequest"]["properties"]["login"];
        assert_eq!(login["pattern"], text.as_str());
        let answers = &doc["components"]["schemas"]["Ballot"]["properties"]["answers"];
        assert_eq!(answers["propertyNames"]["pattern"], line.as_str());
        assert!(doc["components"]["schemas"]["AdmittedJson"].is_object());
        let list = &doc["paths"]["/api/v1/agencies"]["get"];
        assert!(list.get("parameters").is_none() && list.get("requestBody").is_none());
        let secured = &doc["paths"]["/api/v1/tokens"]["post"]["responses"];
        for code in ["401", "403", "413", "415"] {
            assert!(secured.get(code).is_some(), "{code}");
        }
    }
}
