//! The OpenAPI 3.1 document, assembled from every part's annotated handlers, and the Russian docs
//! page at `/api/docs` rendered from it on the server (no external scripts).

use askama::Template;
use okno_kernel::http::Chrome;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = crate::api::KernelApi::openapi();
    doc.merge(okno_notify::api::NotifyApi::openapi());
    doc.merge(okno_identity::api::IdentityApi::openapi());
    doc.merge(okno_identity::organisations::OrganisationsApi::openapi());
    doc.merge(okno_directory::api::DirectoryApi::openapi());
    doc.merge(okno_offices::api::OfficesApi::openapi());
    doc.merge(okno_services::api::ServicesApi::openapi());
    doc.merge(crate::verify::DocumentsApi::openapi());
    doc.merge(okno_appeals::api::AppealsApi::openapi());
    doc.merge(okno_appeals::polls::PollsApi::openapi());
    doc.merge(okno_offices::desk_web::DeskApi::openapi());
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

/// Declares what the shell answers for every operation, so the description lists it exactly:
/// `401` for an operation that requires credentials (answered before anything else), and `400`
/// for one that takes any text (path, query or body), which the edge check can refuse.
pub fn declare_shell_answers(doc: &mut serde_json::Value) {
    let secured = secured_operations(doc);
    let problem = |description: &str| {
        serde_json::json!({
            "description": description,
            "content": { "application/problem+json": {
                "schema": { "$ref": "#/components/schemas/Problem" } } }
        })
    };
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get_mut(method) else {
                continue;
            };
            let takes_text = op["parameters"].as_array().is_some_and(|p| !p.is_empty())
                || op.get("requestBody").is_some();
            let needs_credentials = secured.contains(&(method.to_ascii_uppercase(), path.clone()));
            let Some(responses) = op["responses"].as_object_mut() else {
                continue;
            };
            if needs_credentials && !responses.contains_key("401") {
                responses.insert(
                    "401".into(),
                    problem("Нет учётных данных или они недействительны (auth.required, auth.invalid_token)"),
                );
            }
            if takes_text && !responses.contains_key("400") {
                responses.insert(
                    "400".into(),
                    problem(
                        "Ошибка в запросе: например, управляющий символ в поле (validation.failed)",
                    ),
                );
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
