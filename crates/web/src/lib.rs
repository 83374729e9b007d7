//! The web shell: assembles every part's routes into one router, wraps them in the middleware stack,
//! serves embedded static assets and the OpenAPI document, and runs the HTTP(S) server with graceful
//! shutdown.

pub mod api;
pub mod edge;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod pages;
pub mod verify;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use okno_kernel::http::{render, Chrome};
use okno_kernel::Platform;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;

use crate::metrics::Metrics;
use crate::middleware::Shell;

/// Settings of the HTTP side.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Served over TLS (responses get HSTS).
    pub tls: bool,
    /// Cookies get `Secure`: under TLS, or behind a proxy that terminates TLS.
    pub secure_cookies: bool,
    /// Largest request body accepted.
    pub body_limit: usize,
    /// A request taking longer is answered 408.
    pub request_timeout: Duration,
    pub session_idle: Duration,
    pub session_absolute: Duration,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            tls: false,
            secure_cookies: false,
            body_limit: 2 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 3600),
        }
    }
}

/// The whole application as one router.
#[allow(clippy::too_many_arguments)]
pub fn app(
    platform: Platform,
    settings: WebSettings,
    metrics: Arc<Metrics>,
    identity: Arc<okno_identity::Identity>,
    limits: okno_identity::limits::Limits,
    offices: Arc<okno_offices::Settings>,
    services: Arc<okno_services::Settings>,
    appeals: Arc<okno_appeals::Settings>,
    payments: Arc<okno_payments::Settings>,
) -> Router {
    let limiter = Arc::new(okno_identity::limits::Limiter::new(limits));
    let mut doc = serde_json::to_value(openapi::document()).unwrap_or_default();
    openapi::declare_shell_answers(&mut doc);
    let shell = Shell {
        platform: platform.clone(),
        settings: Arc::new(settings.clone()),
        metrics,
        secured: Arc::new(openapi::secured_operations(&doc)),
    };
    let doc = Arc::new(doc);

    let parts = part_routes(identity, limiter, offices, services, appeals, payments);
    let router = Router::new()
        .merge(
            shell_routes()
                .merge(docs_routes(doc))
                .with_state(shell.clone()),
        )
        .merge(parts.with_state(platform));
    with_layers(router, shell, &settings)
}

/// The shell's own pages and API: home, sign-in of staff, the audit journal, tokens, health,
/// metrics and static assets.
fn shell_routes() -> Router<Shell> {
    Router::new()
        .route("/", get(pages::home))
        .route("/admin", get(pages::admin))
        .route("/admin/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/admin/logout", post(pages::logout))
        .route("/admin/audit", get(pages::audit_page))
        .route("/kiosk", get(pages::kiosk))
        .route("/healthz", get(pages::healthz))
        .route("/readyz", get(pages::readyz))
        .route("/metrics", get(pages::metrics))
        .route("/api/v1/audit", get(api::audit_list))
        .route("/api/v1/audit/verify", get(api::audit_verify))
        .route("/api/v1/audit/checkpoints", get(api::audit_checkpoints))
        .route(
            "/api/v1/tokens",
            get(api::token_list).post(api::token_issue),
        )
        .route("/api/v1/tokens/{id}", delete(api::token_revoke))
        .route("/static/{file}", get(asset))
}

/// The OpenAPI document and its docs page.
fn docs_routes(doc: Arc<serde_json::Value>) -> Router<Shell> {
    let doc_json = doc.clone();
    let doc_page = doc;
    Router::new()
        .route(
            "/api/openapi.json",
            get(move || {
                let d = doc_json.clone();
                async move { axum::Json((*d).clone()) }
            }),
        )
        .route(
            "/api/docs",
            get(move |chrome: Chrome| {
                let d = doc_page.clone();
                async move { render(&openapi::docs_page(chrome, &d)) }
            }),
        )
}

/// Every part's routes: identity, notify, directory, offices, the document check, services,
/// appeals and payments.
fn part_routes(
    identity: Arc<okno_identity::Identity>,
    limiter: Arc<okno_identity::limits::Limiter>,
    offices: Arc<okno_offices::Settings>,
    services: Arc<okno_services::Settings>,
    appeals: Arc<okno_appeals::Settings>,
    payments: Arc<okno_payments::Settings>,
) -> Router<Platform> {
    Router::new()
        .merge(okno_identity::api::routes(
            identity.clone(),
            limiter.clone(),
        ))
        .merge(okno_identity::pages::routes(identity.clone(), limiter))
        .merge(okno_identity::organisations_http::routes())
        .merge(okno_notify::api::routes())
        .merge(okno_notify::pages::routes())
        .merge(okno_directory::api::routes())
        .merge(okno_directory::pages::routes())
        .merge(okno_directory::admin_pages::routes())
        .merge(okno_offices::routes(offices, identity))
        .merge(verify::routes(services.files()))
        .merge(okno_services::routes(services))
        .merge(okno_appeals::routes(appeals))
        .merge(okno_payments::routes(payments))
}

/// The middleware around every route, innermost first: the edge check, the actor, the body
/// limit, the timeout, panics, error pages, security headers, compression, the request context.
fn with_layers(router: Router, shell: Shell, settings: &WebSettings) -> Router {
    router
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(axum::middleware::from_fn_with_state(
            shell.clone(),
            edge::refuse_control_characters,
        ))
        .layer(axum::middleware::from_fn_with_state(
            shell.clone(),
            middleware::authenticate,
        ))
        .layer(DefaultBodyLimit::max(settings.body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            settings.request_timeout,
        ))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn(middleware::render_errors))
        .layer(axum::middleware::from_fn_with_state(
            shell.clone(),
            middleware::security_headers,
        ))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            shell,
            middleware::request_context,
        ))
}

struct Asset {
    bytes: &'static [u8],
    content_type: &'static str,
}

fn find_asset(name: &str) -> Option<Asset> {
    Some(match name {
        "okno.css" => Asset {
            bytes: include_bytes!("../static/okno.css"),
            content_type: "text/css; charset=utf-8",
        },
        "okno.js" => Asset {
            bytes: include_bytes!("../static/okno.js"),
            content_type: "text/javascript; charset=utf-8",
        },
        "favicon.svg" => Asset {
            bytes: include_bytes!("../static/favicon.svg"),
            content_type: "image/svg+xml",
        },
        _ => return None,
    })
}

/// Static assets embedded in the binary.
async fn asset(
    State(_): State<Shell>,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> Response {
    match find_asset(&file) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.content_type),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            a.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Where and how to listen.
#[derive(Debug, Clone)]
pub struct ListenSettings {
    pub addr: SocketAddr,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
}

/// Loads a PEM certificate chain and private key into a TLS acceptor (rustls, TLS 1.2 and 1.3).
pub fn tls_acceptor(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    use anyhow::Context;
    let certs = rustls_pemfile::certs(&mut std::io::BufReader::new(
        std::fs::File::open(cert).with_context(|| format!("opening {}", cert.display()))?,
    ))
    .collect::<Result<Vec<_>, _>>()
    .with_context(|| format!("reading certificates from {}", cert.display()))?;
    let key = rustls_pemfile::private_key(&mut std::io::BufReader::new(
        std::fs::File::open(key).with_context(|| format!("opening {}", key.display()))?,
    ))
    .with_context(|| format!("reading the private key from {}", key.display()))?
    .context("no private key in the key file")?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("certificate and key do not match")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Serves `app` on an already bound listener until `stop` is cancelled; then stops accepting and
/// waits up to `grace` for requests in flight to finish.
pub async fn serve(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    app: Router,
    stop: CancellationToken,
    grace: Duration,
) -> anyhow::Result<()> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    loop {
        let (stream, peer) = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                app.clone().oneshot(req.map(Body::new))
            });
        match &tls {
            None => {
                let conn = builder
                    .serve_connection_with_upgrades(TokioIo::new(stream), service)
                    .into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let builder = builder.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let stream = match tokio::time::timeout(
                        Duration::from_secs(10),
                        acceptor.accept(stream),
                    )
                    .await
                    {
                        Ok(Ok(s)) => s,
                        _ => return,
                    };
                    let conn = builder
                        .serve_connection_with_upgrades(TokioIo::new(stream), service)
                        .into_owned();
                    let _ = watcher.watch(conn).await;
                });
            }
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => tracing::info!("all connections closed"),
        _ = tokio::time::sleep(grace) => tracing::warn!("grace period over; closing remaining connections"),
    }
    Ok(())
}
