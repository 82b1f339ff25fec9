import Foundation
import LocalCluster
import TestSupport

/// A primary and a streaming standby started by the test itself on this machine (never the test
/// server of `make test`): the primary migrated by `ledger migrate`, sample programmes loaded, a
/// budget, and login roles for officers and an approver. `synchronous` makes the standby the
/// primary's synchronous standby (`synchronous_standby_names`, `synchronous_commit = on`): a
/// commit returns only once the standby has flushed it.
struct ReplicaSet {
    let cluster: LocalCluster
    let primary: LocalServer
    let standby: LocalServer
    static let database = "ledger"

    /// Builds, runs `body`, and always removes every server and folder afterwards.
    static func with<T>(
        synchronous: Bool, archiving: Bool = false, primarySettings: [String: String] = [:],
        _ body: (ReplicaSet) async throws -> T
    ) async throws -> T {
        let cluster = try LocalCluster(label: "replica")
        defer { cluster.remove() }
        let primary = try cluster.makePrimary(archiving: archiving, settings: primarySettings)
        try primary.start()
        try primary.psql("CREATE DATABASE \(database)")
        let set = ReplicaSet(cluster: cluster, primary: primary, standby: try cluster.makeStandby(of: primary))
        try set.standby.start()
        // Synchronous only once the standby streams: before, every commit would wait for it.
        if synchronous {
            try primary.psql("ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 (standby)'")
            try primary.psql("ALTER SYSTEM SET synchronous_commit = 'on'")
            try primary.psql("SELECT pg_reload_conf()")
            try primary.waitFor("SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby'", toBe: "sync")
        }
        try await set.prepare()
        return try await body(set)
    }

    /// The environment of a `ledger` run against one server.
    func environment(_ server: LocalServer, user: String = "postgres") -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") && $0.key != "DATABASE_URL" }
        for (key, value) in server.environment(database: Self.database, user: user) { environment[key] = value }
        environment["LEDGER_PROGRESS"] = "never"
        return environment
    }

    /// The environment of a `ledger` run with a multi-host connection string naming both servers,
    /// primary first (as an operator writes it once, in DATABASE_URL): libpq picks the one that
    /// matches `targetSessionAttrs`.
    func multiHostEnvironment(user: String = "postgres", targetSessionAttrs: String = "read-write") -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") && $0.key != "DATABASE_URL" }
        environment["DATABASE_URL"] = multiHostURL(user: user, targetSessionAttrs: targetSessionAttrs)
        environment["LEDGER_PROGRESS"] = "never"
        return environment
    }

    func multiHostURL(user: String = "postgres", targetSessionAttrs: String) -> String {
        "host=\(primary.socketDirectory.path),\(standby.socketDirectory.path) port=\(primary.port),\(standby.port) "
            + "dbname=\(Self.database) user=\(user) target_session_attrs=\(targetSessionAttrs) connect_timeout=5"
    }

    /// Runs `ledger` and fails with its output unless it exits 0.
    @discardableResult
    func ledger(_ arguments: [String], on server: LocalServer? = nil, user: String = "postgres") async throws -> LedgerRun {
        let run = try await LedgerBinary.run(arguments, environment: environment(server ?? primary, user: user))
        guard run.status == 0 else { throw LocalClusterError("\(run)") }
        return run
    }

    /// The officers and the approver the tests act as (login roles on the primary).
    static let officers = ["officer_lan", "officer_hung", "officer_mai"]
    static let approver = "approver_minh"

    private func prepare() async throws {
        try await ledger(["migrate"])
        let sample = try await ledger(["program", "sample"])
        let catalog = cluster.folder.appendingPathComponent("programs.json")
        try Data(sample.stdout.utf8).write(to: catalog)
        try await ledger(["program", "load", catalog.path])
        for officer in Self.officers { try await ledger(["user", "add", officer, "--role", "officer"]) }
        try await ledger(["user", "add", Self.approver, "--role", "approver"])
        try await ledger(["budget", "allocate", "--program", "NQ12-HOUSING", "--year", "2024", "--district", "Ninh Kiều",
                          "--amount", "100.000.000.000", "--reference", "QĐ 1"])
    }

    /// Registers `count` households and has each one's application approved (by the approver,
    /// submitted by an officer), ready for payments: application ids `A-<n>`.
    func approvedApplications(_ count: Int, amount: Int = 10_000_000) async throws {
        for n in 1...count {
            try await ledger(["beneficiary", "register", "--id", "HH-\(n)", "--kind", "household", "--name", "Hộ số \(n)",
                              "--district", "ninh kieu", "--category", "poor", "--bank-account", "Agribank \(100_000 + n)"],
                             user: Self.officers[0])
            try await ledger(["application", "submit", "--id", "A-\(n)", "--beneficiary", "HH-\(n)", "--program", "NQ12-HOUSING",
                              "--amount", String(amount), "--submitted-on", "2024-03-01"], user: Self.officers[0])
            try await ledger(["application", "approve", "--id", "A-\(n)", "--amount", String(amount), "--decision", "QĐ \(n)",
                              "--decided-on", "2024-03-02"], user: Self.approver)
        }
    }

    /// The primary's last position (ledger.head), read on `server`.
    func head(on server: LocalServer) throws -> Int64 {
        Int64(try server.psql("SELECT last_position FROM ledger.head", database: Self.database)) ?? -1
    }

    /// Waits until the standby has replayed everything the primary has written so far.
    func waitForStandbyToCatchUp(timeout: TimeInterval = 30) throws {
        let lsn = try primary.psql("SELECT pg_current_wal_lsn()")
        try standby.waitFor("SELECT pg_last_wal_replay_lsn() >= '\(lsn)'::pg_lsn", toBe: "t", timeout: timeout)
    }
}
