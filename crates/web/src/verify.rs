//! The public check of documents the platform issued: `/verify/{id}` (the QR code on every result
//! document leads here) says whether the document is in the register and its signature is the
//! platform's, and checks a file someone holds against the registered SHA-256. The same in JSON
//! under `/api/v1/documents`.

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use okno_kernel::documents::{self, IssuedDocument};
use okno_kernel::files::Files;
use okno_kernel::http::{render, Chrome, PageError};
use okno_kernel::{Platform, Problem, Result};
use serde::Serialize;

pub fn routes(files: Files) -> Router<Platform> {
    Router::new()
        .route("/verify/{id}", get(page))
        .route("/api/v1/documents/public-key", get(public_key))
        .route("/api/v1/documents/{id}", get(verification))
        .route("/api/v1/documents/{id}/check", post(check))
        .layer(Extension(files))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(public_key, verification, check),
    components(schemas(Verification, PublicDocument, FileCheck, PublicKey)),
    tags((name = "documents", description = "Проверка подлинности документов, выданных платформой"))
)]
pub struct DocumentsApi;

/// What the public may see of a registered document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicDocument {
    pub id: String,
    pub title: String,
    pub number: String,
    pub issuer: String,
    /// Surname and initials only.
    pub recipient: String,
    pub issued_at: String,
    pub sha256: String,
    pub size_bytes: i64,
}

/// The answer of a check.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Verification {
    /// The register holds the document and its entry carries the platform's valid signature.
    pub genuine: bool,
    /// The platform's own copy of the file is intact (its SHA-256 is the registered one).
    pub stored_file_intact: bool,
    /// Signed by an earlier document key that the platform still trusts (after a key rotation).
    pub signed_with_retired_key: bool,
    pub document: PublicDocument,
}

/// A file checked against the register.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FileCheck {
    pub genuine: bool,
    /// The file's bytes are exactly the registered document's.
    pub unchanged: bool,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicKey {
    pub algorithm: &'static str,
    /// Base64 of the 32-byte Ed25519 public key that signs new documents.
    pub public_key: String,
    /// Base64 public keys of earlier document keys whose documents still check.
    pub retired_public_keys: Vec<String>,
    /// What the signature covers.
    pub statement: &'static str,
}

fn not_found() -> Problem {
    Problem::new(404, "document.not_found", "Документ не найден").with_detail(
        "В реестре платформы нет документа с таким номером. Если номер взят из QR-кода документа, документ не выдавался платформой или номер искажён.",
    )
}

async fn load(p: &Platform, files: &Files, id: &str) -> Result<(Verification, i64)> {
    let mut c = p.db.read().await?;
    let d = documents::find(&mut c, id).await?.ok_or_else(not_found)?;
    drop(c);
    let intact = files.get(&d.sha256).await.is_ok();
    let issued_at = d.issued_at;
    Ok((
        Verification {
            genuine: documents::genuine(&p.secrets, &d),
            signed_with_retired_key: documents::signed_by_retired_key(&p.secrets, &d),
            stored_file_intact: intact,
            document: public(d),
        },
        issued_at,
    ))
}

fn public(d: IssuedDocument) -> PublicDocument {
    PublicDocument {
        id: d.id,
        title: d.title,
        number: d.number,
        issuer: d.issuer,
        recipient: d.recipient,
        issued_at: okno_kernel::clock::rfc3339(d.issued_at),
        sha256: d.sha256,
        size_bytes: d.size,
    }
}

/// The public key that verifies the platform's documents.
#[utoipa::path(get, path = "/api/v1/documents/public-key", tag = "documents",
    responses((status = 200, body = PublicKey)))]
async fn public_key(State(p): State<Platform>) -> Json<PublicKey> {
    Json(PublicKey {
        algorithm: "Ed25519",
        public_key: documents::public_key(&p.secrets),
        retired_public_keys: documents::retired_public_keys(&p.secrets),
        statement: "JSON array [\"okno-document:v1\", id, kind, sha256, number, title, issuer, recipient, issued_at (UTC ms, decimal string)]",
    })
}

/// Whether a document is genuine: in the register with the platform's valid signature.
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents",
    params(("id" = String, Path, description = "Номер документа в реестре (из QR-кода)")),
    responses((status = 200, body = Verification),
        (status = 404, description = "document.not_found", body = Problem, content_type = "application/problem+json")))]
async fn verification(
    State(p): State<Platform>,
    Extension(files): Extension<Files>,
    Path(id): Path<String>,
) -> Result<Json<Verification>> {
    Ok(Json(load(&p, &files, &id).await?.0))
}

/// Check a file (the request body) against the registered document: whether it is that document,
/// unchanged.
#[utoipa::path(post, path = "/api/v1/documents/{id}/check", tag = "documents",
    params(("id" = String, Path)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = FileCheck),
        (status = 404, description = "document.not_found", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "attachment.too_large", body = Problem, content_type = "application/problem+json")))]
async fn check(
    State(p): State<Platform>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<FileCheck>> {
    let bytes = okno_kernel::http::read_upload(body).await?;
    let mut c = p.db.read().await?;
    let d = documents::find(&mut c, &id).await?.ok_or_else(not_found)?;
    use sha2::{Digest, Sha256};
    Ok(Json(FileCheck {
        genuine: documents::genuine(&p.secrets, &d),
        unchanged: documents::matches(&d, &bytes),
        sha256: hex::encode(Sha256::digest(&bytes)),
    }))
}

#[derive(Template)]
#[template(path = "verify.html")]
struct Page {
    chrome: Chrome,
    v: Verification,
    issued: String,
}

async fn page(
    State(p): State<Platform>,
    Extension(files): Extension<Files>,
    chrome: Chrome,
    Path(id): Path<String>,
) -> std::result::Result<Response, PageError> {
    let (v, ms) = load(&p, &files, &id).await?;
    // Shown in Moscow time, as the register's time of issue; the JSON gives the UTC instant.
    let issued = jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(jiff::tz::TimeZone::get("Europe/Moscow").unwrap_or(jiff::tz::TimeZone::UTC))
                .strftime("%d.%m.%Y %H:%M (МСК)")
                .to_string()
        })
        .unwrap_or_default();
    Ok(render(&Page { chrome, v, issued }))
}
