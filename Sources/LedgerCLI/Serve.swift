import ArgumentParser
import EventStore
import Foundation
import LedgerServer
import Logging
import Postgres

/// `ledger serve`: the HTTP API (docs/api.md). People sign in with their own database login and
/// password; every request of theirs runs on that connection.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the HTTP API (JSON under /api/v1; /metrics, /healthz, /readyz).",
        discussion: """
            People sign in with POST /api/v1/session as their own database role; the database checks the password \
            (it must ask for one: scram-sha-256 in pg_hba.conf) and every request of the session runs on that connection. \
            The connection options name the database and the service's own role, used for /readyz, /metrics and \
            --follow-projections. SIGTERM or SIGINT: stop accepting, finish requests in flight, close connections.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Address and port to listen on (HOST:PORT; port 0 picks a free one).")
    var listen = "127.0.0.1:8080"

    @Option(help: "Connection slots: each signed-in person holds one database connection (1–10000).")
    var maxConnections = 50

    @Option(help: "Close a session unused for this many minutes (1–1440).")
    var sessionIdle = 30

    /// For tests of expiry: seconds instead of minutes (not shown in --help).
    @Option(help: .hidden) var sessionIdleSeconds: Int?

    @Flag(help: "Also run the projection follower, as the service's own role.")
    var followProjections = false

    @Option(help: "Log lines as logfmt or json.")
    var logFormat: LogFormatOption = .logfmt

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(help: "A reverse proxy's address whose X-Forwarded-For and X-Forwarded-Proto are believed (repeatable).")
    var trustedProxy: [String] = []

    @Option(help: "Serve HTTPS with this PEM certificate chain (with --tls-key).")
    var tlsCertificate: String?

    @Option(help: "The PEM private key of --tls-certificate.")
    var tlsKey: String?

    @Option(help: "Requests of one session running at once; more are answered 503 (1–64).")
    var maxRequestsPerSession = 4

    @Option(name: .customLong("sign-key"), help: "Sign the tree heads the audit routes give with this key (from `ledger audit keygen`); receipts need it.",
            completion: .file())
    var signKey: String?

    enum LogFormatOption: String, ExpressibleByArgument, CaseIterable {
        case logfmt, json
    }

    func validate() throws {
        guard (1...10_000).contains(maxConnections) else { throw ValidationError("--max-connections must be 1–10000") }
        guard (1...1_440).contains(sessionIdle) else { throw ValidationError("--session-idle must be 1–1440 minutes") }
        if let sessionIdleSeconds, !(1...86_400).contains(sessionIdleSeconds) { throw ValidationError("--session-idle-seconds must be 1–86400") }
        guard (1...64).contains(maxRequestsPerSession) else { throw ValidationError("--max-requests-per-session must be 1–64") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        _ = try Self.hostAndPort(listen)
        guard (tlsCertificate == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-certificate and --tls-key go together")
        }
        for path in [tlsCertificate, tlsKey].compactMap({ $0 }) where !FileManager.default.isReadableFile(atPath: path) {
            throw ValidationError("\(path): cannot read this file")
        }
    }

    static func hostAndPort(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            throw ValidationError("--listen: \(text.debugDescription) must be HOST:PORT, e.g. 127.0.0.1:8080")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ValidationError("--listen: the host is missing (e.g. 127.0.0.1:8080)") }
        return (host, port)
    }

    func run() async throws {
        // The signing key is read before anything listens: a bad key stops the start.
        var signingKey: TreeSigningKey?
        if let signKey {
            do {
                signingKey = try TreeSigningKey.read(path: signKey)
            } catch let error as KeyFileError {
                Output.message("\(Output.errorPrefix) --sign-key: \(error.description)")
                throw ExitCode(ExitStatus.failure)
            }
        }
        let format: LogFormat = logFormat == .json ? .json : .logfmt
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, format: format, level: level) }
        let logger = Logger(label: "ledger.serve")
        var configuration = ServerConfiguration(database: connection.configuration)
        (configuration.host, configuration.port) = try Self.hostAndPort(listen)
        configuration.maxConnections = maxConnections
        configuration.sessionIdle = .seconds(sessionIdleSeconds ?? sessionIdle * 60)
        configuration.followProjections = followProjections
        configuration.logFormat = format
        configuration.logLevel = level
        configuration.trustedProxies = Set(trustedProxy)
        configuration.tlsCertificatePath = tlsCertificate
        configuration.tlsKeyPath = tlsKey
        configuration.maxRequestsPerSession = maxRequestsPerSession
        configuration.signingKey = signingKey
        if let signingKey { logger.info("tree heads are signed", metadata: ["key_id": "\(signingKey.publicKey.keyID)"]) }
        let server = LedgerServer(configuration: configuration, metrics: ServerMetrics.bootstrap(), logger: logger)
        do {
            try await server.run()
        } catch {
            logger.critical("the service stopped: \(error)")
            throw ExitCode(ExitStatus.failure)
        }
    }
}
