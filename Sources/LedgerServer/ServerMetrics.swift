import Foundation
import Logging
import Metrics
import Postgres
import Projections
import Prometheus
import Synchronization

/// What `/metrics` shows, in Prometheus text: requests by route and status, latency histograms,
/// open sessions and connections, the head position, each projection's lag, and events appended
/// by type since the service started. Request metrics go through swift-metrics; the database's
/// figures are read when scraped.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// The head when counting appends began (the service's start).
    private let countedThrough = Mutex<Int64?>(nil)
    private let appendCounters = Mutex<[String: Metrics.Counter]>([:])

    /// Bootstraps swift-metrics with a Prometheus factory over `registry` (once per process).
    public static func bootstrap() -> ServerMetrics {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
        return ServerMetrics(registry: registry)
    }

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func request(route: String, method: String, status: Int, duration: Duration) {
        Metrics.Counter(label: "ledger_http_requests_total", dimensions: [("route", route), ("method", method), ("status", String(status))]).increment()
        Metrics.Timer(label: "ledger_http_request_duration_seconds", dimensions: [("route", route), ("method", method)]).record(duration: duration)
    }

    func signIn(outcome: String) {
        Metrics.Counter(label: "ledger_sign_ins_total", dimensions: [("outcome", outcome)]).increment()
    }

    /// Notes the head at start: appends are counted from there.
    func start(database: ServiceDatabase) async {
        let head = try? await database.use { try await $0.queryOne("SELECT last_position FROM ledger.head") { try $0.int64(0) } }
        countedThrough.withLock { $0 = head ?? nil }
    }

    /// Reads the database's figures, then renders everything.
    func scrape(server: LedgerServer) async -> String {
        Gauge(label: "ledger_sessions_open").record(await server.sessions.openSessions)
        Gauge(label: "ledger_connections_in_use").record(await server.sessions.connectionsInUse)
        Gauge(label: "ledger_connections_max").record(server.configuration.maxConnections)
        do {
            try await server.database.use { connection in
                let head = try await connection.queryOne("SELECT last_position FROM ledger.head") { try $0.int64(0) }
                Gauge(label: "ledger_head_position").record(head)
                for status in try await ProjectionStatus.all(connection) {
                    Gauge(label: "ledger_projection_lag_events", dimensions: [("projection", status.projection)]).record(status.lagEvents)
                    Gauge(label: "ledger_projection_lag_seconds", dimensions: [("projection", status.projection)])
                        .record(Double(status.lagMicroseconds) / 1e6)
                    Gauge(label: "ledger_projection_stalled", dimensions: [("projection", status.projection)]).record(status.stalledAt == nil ? 0 : 1)
                }
                try await countAppends(connection, head: head)
            }
            Gauge(label: "ledger_database_up").record(1)
        } catch {
            Gauge(label: "ledger_database_up").record(0)
        }
        return registry.emitToString()
    }

    /// Adds the events appended since the last scrape, by type (at most a million per scrape;
    /// the rest next time).
    private func countAppends(_ connection: PostgresConnection, head: Int64) async throws {
        guard let from = countedThrough.withLock({ $0 }) else {
            countedThrough.withLock { $0 = head }
            return
        }
        guard head > from else { return }
        let through = min(head, from + 1_000_000)
        let counts = try await connection.query(
            "SELECT event_type, count(*) FROM ledger.events WHERE position > $1 AND position <= $2 GROUP BY event_type", [from, through]
        ) { (try $0.string(0), try $0.int64(1)) }
        for (type, count) in counts {
            let counter = appendCounters.withLock { counters in
                if let counter = counters[type] { return counter }
                let counter = Metrics.Counter(label: "ledger_appends_total", dimensions: [("event_type", type)])
                counters[type] = counter
                return counter
            }
            counter.increment(by: count)
        }
        countedThrough.withLock { $0 = through }
    }
}
