import EventStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Ledger
import Logging
import Metrics
import Migrations
import NIOCore
import NIOSSL
import Postgres
import Projections
import ServiceLifecycle
import Synchronization

/// How `ledger serve` runs.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (printed in the "listening on" line).
    public var port = 8080
    /// Connection slots: each signed-in person holds one connection of their own.
    public var maxConnections = 50
    public var sessionIdle: Duration = .seconds(30 * 60)
    /// Run the projection follower inside the service, as the service's own role.
    public var followProjections = false
    public var logFormat: LogFormat = .logfmt
    public var logLevel: Logger.Level = .info
    /// Addresses of reverse proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed.
    public var trustedProxies: Set<String> = []
    /// Serve HTTPS directly with this PEM certificate chain and key.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// The database, and the service's own role (health, metrics, the follower). People sign in
    /// with their own role and password on the same server and database.
    public var database: ConnectionConfiguration
    /// Requests of one session running or waiting at once; more are answered 503.
    public var maxRequestsPerSession = 4
    public var signInPolicy = SignInLimiter.Policy()
    /// Seconds a sign-in waits for the database before giving up.
    public var connectTimeoutSeconds = 10
    /// `--sign-key`: the key that signs the tree heads the audit routes give (and receipts need);
    /// nil: heads are unsigned and receipts are refused.
    public var signingKey: TreeSigningKey?

    public init(database: ConnectionConfiguration) {
        self.database = database
    }

    public var servesTLS: Bool { tlsCertificatePath != nil }
}

/// The service: sessions, sign-in limits, metrics and the service's own database connection,
/// shared by every route.
public final class LedgerServer: Sendable {
    public let configuration: ServerConfiguration
    public let sessions: SessionStore
    let signIns: SignInGate
    let metrics: ServerMetrics
    let database: ServiceDatabase
    let logger: Logger
    /// How the `--follow-projections` follower is doing (for `/readyz`).
    let follower = FollowerHealth()
    /// The newest migration this build carries (`/readyz` compares the database's with it).
    public static let newestMigration: Int = (try? Migration.bundled().map(\.version).max()) ?? 0

    public init(configuration: ServerConfiguration, metrics: ServerMetrics, logger: Logger) {
        self.configuration = configuration
        self.sessions = SessionStore(maxConnections: configuration.maxConnections, idleLimit: configuration.sessionIdle)
        self.signIns = SignInGate(policy: configuration.signInPolicy)
        self.metrics = metrics
        var own = configuration.database
        own.applicationName = "ledger-serve"
        own.connectTimeoutSeconds = configuration.connectTimeoutSeconds
        self.database = ServiceDatabase(configuration: own)
        self.logger = logger
    }

    /// The router with every route and middleware.
    public func router() -> Router<LedgerRequestContext> {
        let router = Router(context: LedgerRequestContext.self)
        router.add(middleware: RequestMiddleware(server: self))
        addHealthRoutes(to: router)
        addSessionRoutes(to: router)
        addPaymentRoutes(to: router)
        addWriteRoutes(to: router)
        addReadRoutes(to: router)
        addOpenAPIRoutes(to: router)
        addWebRoutes(to: router)
        return router
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting, lets requests in flight finish,
    /// and closes every session's connection.
    public func run() async throws {
        let server: HTTPServerBuilder
        if let certificate = configuration.tlsCertificatePath, let key = configuration.tlsKeyPath {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            server = try .tls(.http1(), tlsConfiguration: tls)
        } else {
            server = .http1()
        }
        let scheme = configuration.servesTLS ? "https" : "http"
        let logger = self.logger
        var services: [any Service] = [SessionReaper(server: self)]
        if configuration.followProjections {
            services.append(ProjectionFollower(configuration: database.configuration, logger: logger, health: follower))
        }
        let app = Application(
            router: router(),
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("listening on \(scheme)://\(channel.localAddress?.ipAddress ?? "?"):\(port)")
            },
            logger: logger
        )
        await metrics.start(database: database)
        // Shut down in reverse: the HTTP server first (drains requests), then the follower,
        // then the sessions' connections.
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) } + [.init(service: app)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        await sessions.closeAll()
        await database.close()
        logger.info("stopped")
    }

    // MARK: Who is asking

    /// The client's address: the peer, or the last `X-Forwarded-For` hop when the peer is a trusted proxy.
    func clientAddress(_ request: Request, _ context: LedgerRequestContext) -> String {
        let peer = context.remoteAddress?.ipAddress ?? "unknown"
        guard configuration.trustedProxies.contains(peer),
              let forwarded = request.headers[.init("X-Forwarded-For")!]?.split(separator: ",").last
        else { return peer }
        return forwarded.trimmingCharacters(in: .whitespaces)
    }

    /// Whether the client reached us over TLS: directly, or as a trusted proxy says.
    func overTLS(_ request: Request, _ context: LedgerRequestContext) -> Bool {
        if configuration.servesTLS { return true }
        let peer = context.remoteAddress?.ipAddress ?? ""
        return configuration.trustedProxies.contains(peer)
            && request.headers[.init("X-Forwarded-Proto")!]?.lowercased() == "https"
    }
}

/// The sign-in limiter behind an actor.
actor SignInGate {
    private var limiter: SignInLimiter
    init(policy: SignInLimiter.Policy) { limiter = SignInLimiter(policy: policy) }
    func lock(user: String, address: String) -> SignInLimiter.Lock? { limiter.lock(user: user, address: address, now: .now) }
    func failed(user: String, address: String) -> Duration { limiter.failed(user: user, address: address, now: .now) }
    func succeeded(user: String) { limiter.succeeded(user: user) }
}

/// The service's own connection (health, metrics), opened on first use and again after a failure.
actor ServiceDatabase {
    nonisolated let configuration: ConnectionConfiguration
    private var connection: PostgresConnection?

    init(configuration: ConnectionConfiguration) {
        self.configuration = configuration
    }

    func use<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let open: PostgresConnection
        if let connection, await connection.isOpen {
            open = connection
        } else {
            await connection?.close()
            open = try await PostgresConnection.connect(configuration)
            // Its queries are small; compiling one (JIT) would cost more than running it.
            try await open.simpleQuery("SET jit = off")
            connection = open
        }
        do {
            return try await body(open)
        } catch {
            if await !open.isOpen { connection = nil }
            throw error
        }
    }

    func close() async {
        await connection?.close()
        connection = nil
    }
}

/// Closes idle sessions every little while; at shutdown, closes them all.
struct SessionReaper: Service {
    let server: LedgerServer

    func run() async throws {
        let idle = server.configuration.sessionIdle
        let every = min(max(idle / 4, .seconds(1)), .seconds(30))
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: every)
                let closed = await server.sessions.closeIdle()
                if closed > 0 { server.logger.info("closed idle sessions", metadata: ["count": "\(closed)"]) }
            }
        }
        await server.sessions.closeAll()
    }
}

/// `--follow-projections`: the projection follower in the service's process, as its own role.
struct ProjectionFollower: Service {
    let configuration: ConnectionConfiguration
    let logger: Logger
    let health: FollowerHealth

    func run() async throws {
        let stop = StopSignal()
        await withGracefulShutdownHandler {
            while !stop.isStopped {
                do {
                    let runner = try await ProjectionRunner.start(configuration: configuration, standby: stop) { name, pid in
                        health.state = .standby
                        logger.info("projection run by another runner; waiting as a standby", metadata: ["projection": "\(name)", "pid": "\(pid ?? 0)"])
                    }
                    do {
                        _ = try await runner.catchUp(stop: stop)
                        health.state = .following
                        logger.info("projections caught up; following")
                        try await runner.follow(configuration: configuration, stop: stop) { _ in } onStall: { stalled, _ in
                            for report in stalled {
                                logger.error("projection stalled", metadata: ["projection": "\(report.projection)", "position": "\(report.stall?.position ?? 0)"])
                            }
                        }
                        await runner.close()
                    } catch {
                        await runner.close()
                        throw error
                    }
                } catch {
                    if stop.isStopped { break }
                    health.state = .failing(String(describing: error).prefix(300).description)
                    logger.error("projection follower failed; retrying in 10 s", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(10))
                }
            }
        } onGracefulShutdown: {
            stop.stop()
        }
    }
}

/// The follower's state, as `/readyz` reports it.
final class FollowerHealth: Sendable {
    enum State: Sendable, Equatable {
        case starting, following, standby
        case failing(String)
    }

    private let value = Mutex(State.starting)
    var state: State {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
