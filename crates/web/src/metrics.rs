//! Prometheus metrics of the process: requests by route and status, latency histograms, the outbox
//! backlog, database pool use and resident memory, in the text exposition format at `/metrics`.

use std::sync::atomic::AtomicI64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    pub state: &'static str,
}

/// The process's metrics.
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: Family<RouteLabels, Histogram>,
    pub outbox_events: Gauge<i64, AtomicI64>,
    pub outbox_deliveries: Gauge<i64, AtomicI64>,
    pub audit_unsealed: Gauge<i64, AtomicI64>,
    pub pool: Family<PoolLabels, Gauge<i64, AtomicI64>>,
    pub memory: Gauge<i64, AtomicI64>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("okno");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by method and route",
            latency.clone(),
        );
        let outbox_events = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "outbox_backlog_events",
            "Outbox events not yet routed to deliveries",
            outbox_events.clone(),
        );
        let outbox_deliveries = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "outbox_backlog_deliveries",
            "Deliveries waiting to be sent (pending)",
            outbox_deliveries.clone(),
        );
        let audit_unsealed = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "audit_unsealed_records",
            "Audit records committed but not yet linked into the hash chain",
            audit_unsealed.clone(),
        );
        let pool = Family::<PoolLabels, Gauge<i64, AtomicI64>>::default();
        registry.register(
            "db_pool_connections",
            "Database connections by state",
            pool.clone(),
        );
        let memory = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "process_resident_memory_bytes",
            "Resident memory of the process",
            memory.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            outbox_events,
            outbox_deliveries,
            audit_unsealed,
            pool,
            memory,
        }
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_string(),
                route: route.to_string(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_string(),
                route: route.to_string(),
            })
            .observe(seconds);
    }

    /// The text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// Resident set size in bytes, from `/proc/self/statm` (Linux); 0 elsewhere.
pub fn resident_memory() -> i64 {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: i64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * 4096
}
