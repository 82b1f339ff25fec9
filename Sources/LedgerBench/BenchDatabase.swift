import ArgumentParser
import Dispatch
import Foundation
import Ledger
import Migrations
import Postgres
import Synchronization

/// A scratch database of the benchmark's own (`ledger_bench_<random>`), created and migrated on the
/// server the environment names, and dropped at the end: on success, on error, and on SIGINT/SIGTERM.
struct BenchDatabase: Sendable {
    let name: String
    /// The environment's settings (its database is where CREATE/DROP DATABASE run).
    let base: ConnectionConfiguration
    /// Connected to the environment's database; used only to create and drop.
    let admin: PostgresConnection

    static func create(_ base: ConnectionConfiguration) async throws -> BenchDatabase {
        let admin = try await PostgresConnection.connect(base)
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let name = "ledger_bench_" + String(repeating: "0", count: 16 - suffix.count) + suffix
        // The name is ours (letters, digits, underscore): safe as an identifier without quoting.
        try await admin.simpleQuery("CREATE DATABASE \(name) ENCODING 'UTF8' TEMPLATE template0")
        return BenchDatabase(name: name, base: base, admin: admin)
    }

    /// Creates a scratch database, runs `body` in it and drops it — also on error (reported on
    /// stderr, then exit 1) and on a signal. `afterDrop` runs once the database is gone.
    static func withScratch(
        keep: Bool = false,
        _ body: (BenchDatabase) async throws -> Void, afterDrop: (BenchDatabase) async throws -> Void = { _ in }
    ) async throws {
        let database: BenchDatabase
        do {
            database = try await create(.fromEnvironment(applicationName: "ledger-bench"))
        } catch {
            Console.progress("error: cannot create the scratch database: \(Store.describe(error))")
            throw ExitCode.failure
        }
        let cleanup = database.dropOnSignal()
        defer { cleanup.cancel() }
        do {
            try await body(database)
        } catch {
            Console.progress("error: \(Store.describe(error))")
            try? await database.drop()
            try? await afterDrop(database)
            throw ExitCode.failure
        }
        if keep {
            Console.progress("kept the database \(database.name) (--keep): drop it with DROP DATABASE \(database.name)")
            return
        }
        try await database.drop()
        try await afterDrop(database)
    }

    var configuration: ConnectionConfiguration {
        var configuration = base
        configuration.database = name
        configuration.applicationName = "ledger-bench"
        return configuration
    }

    /// A `LedgerService` on a new connection to this database, as `user` (nil: the environment's).
    func service(user: String?) async throws -> LedgerService {
        var configuration = configuration
        if let user { configuration.user = user }
        return LedgerService(connection: try await PostgresConnection.connect(configuration))
    }

    func connect() async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration)
    }

    func migrate() async throws {
        let connection = try await connect()
        try await Migrator(connection: connection).migrate()
        await connection.close()
    }

    /// Drops the database, ending any session still connected to it.
    func drop() async throws {
        try await admin.simpleQuery("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        await admin.close()
    }

    /// Until `cancel()`, SIGINT, SIGTERM and SIGHUP drop the database (on a connection of their own) and exit.
    func dropOnSignal() -> SignalCleanup {
        SignalCleanup(database: name, base: base)
    }
}

/// Drops the scratch database when the process is interrupted, then exits with 128 + the signal.
final class SignalCleanup: @unchecked Sendable {
    // Only touched on the creating task (init/cancel); the handlers capture values, not self.
    private var sources: [DispatchSourceSignal] = []
    private static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]
    /// Set when a signal arrived: the failures it causes (connections terminated) are not worth reporting.
    static let interrupted = Atomic<Bool>(false)

    init(database: String, base: ConnectionConfiguration) {
        for number in Self.signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                guard !SignalCleanup.interrupted.exchange(true, ordering: .sequentiallyConsistent) else { return }
                Console.progress("interrupted (signal \(number)); dropping database \(database)")
                Task.detached {
                    if let connection = try? await PostgresConnection.connect(base) {
                        try? await connection.simpleQuery("DROP DATABASE IF EXISTS \(database) WITH (FORCE)")
                    }
                    exit(128 + number)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    func cancel() {
        sources.forEach { $0.cancel() }
        sources = []
        for number in Self.signals { signal(number, SIG_DFL) }
    }
}
