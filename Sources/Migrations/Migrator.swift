import Foundation
import Postgres

/// Applies numbered migrations in order, each in its own transaction, recording name and checksum
/// in `ledger_meta.schema_migrations`. Idempotent; refuses to run if an applied file has changed.
///
/// Runs as a superuser, or as the deploy account: a LOGIN role with CREATEROLE that is a member of
/// `ledger_owner` and `ledger_admin` (docs/operations.md, "Roles and the deploy account"). The first
/// migrations create the roles, and 0011 creates an event trigger, so the first run on a database
/// needs a superuser. Files after 0011 `SET LOCAL ROLE ledger_owner`.
public struct Migrator: Sendable {
    public let connection: PostgresConnection
    public let migrations: [Migration]

    public init(connection: PostgresConnection, migrations: [Migration]) {
        self.connection = connection
        self.migrations = migrations
    }

    public init(connection: PostgresConnection) throws {
        self.init(connection: connection, migrations: try Migration.bundled())
    }

    /// A migration as recorded in the database.
    public struct AppliedMigration: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let checksum: String
        public let appliedAtMicroseconds: Int64
        public let appliedBy: String
    }

    /// What `migrate` did.
    public struct Report: Sendable {
        /// Applied by this run, in order.
        public let applied: [Migration]
        /// Already applied before this run.
        public let alreadyApplied: Int
    }

    /// Applies every pending migration. Concurrent runs wait for each other (advisory lock).
    @discardableResult
    public func migrate() async throws -> Report {
        let migrations = self.migrations
        return try await connection.withMigrationLock { connection in
            try Self.ensureBookkeeping(connection)
            let applied = try Self.appliedMigrations(connection)
            try Self.check(applied: applied, against: migrations)
            let appliedVersions = Set(applied.map(\.version))
            var done: [Migration] = []
            for migration in migrations where !appliedVersions.contains(migration.version) {
                do {
                    try connection.transaction { connection in
                        // The row first: the DDL event trigger (0011) knows a running migration by a
                        // schema_migrations row inserted in its own transaction, and does not log its DDL.
                        try connection.execute(
                            "INSERT INTO ledger_meta.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                            [migration.version, migration.name, migration.checksum]
                        )
                        try connection.simpleQuery(migration.sql)
                        try connection.simpleQuery("RESET ROLE")
                    }
                } catch let error as PostgresError {
                    throw MigrationError.failed(name: migration.name, reason: error.description)
                }
                done.append(migration)
            }
            return Report(applied: done, alreadyApplied: applied.count)
        }
    }

    /// The migrations recorded in the database (empty before the first `migrate`).
    public func applied() async throws -> [AppliedMigration] {
        try await connection.withAppliedMigrations()
    }

    static func ensureBookkeeping(_ connection: isolated PostgresConnection) throws {
        // Only when missing: CREATE SCHEMA IF NOT EXISTS still needs CREATE on the database,
        // which the deploy account (a member of ledger_owner) does not have.
        let exists = try connection.queryOne("SELECT to_regclass('ledger_meta.schema_migrations') IS NOT NULL") { try $0.bool(0) }
        guard !exists else { return }
        try connection.simpleQuery("""
            CREATE SCHEMA IF NOT EXISTS ledger_meta;
            CREATE TABLE IF NOT EXISTS ledger_meta.schema_migrations (
                version    integer PRIMARY KEY,
                name       text        NOT NULL,
                checksum   text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                applied_by text        NOT NULL DEFAULT session_user
            );
            """)
    }

    static func appliedMigrations(_ connection: isolated PostgresConnection) throws -> [AppliedMigration] {
        try connection.query(
            "SELECT version, name, checksum, applied_at, applied_by FROM ledger_meta.schema_migrations ORDER BY version"
        ) { row in
            AppliedMigration(
                version: try row.int(0), name: try row.string(1), checksum: try row.string(2),
                appliedAtMicroseconds: try row.timestampMicroseconds(3), appliedBy: try row.string(4)
            )
        }
    }

    static func check(applied: [AppliedMigration], against migrations: [Migration]) throws {
        let byVersion = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for record in applied {
            guard let migration = byVersion[record.version] else {
                throw MigrationError.unknownAppliedVersion(version: record.version, name: record.name)
            }
            guard migration.checksum == record.checksum else {
                throw MigrationError.changedSinceApplied(
                    name: migration.name, appliedChecksum: record.checksum, fileChecksum: migration.checksum
                )
            }
        }
    }
}

extension PostgresConnection {
    /// Holds a session advisory lock for the duration of `body` so two `migrate` runs never interleave.
    fileprivate func withMigrationLock<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) throws -> T) throws -> T {
        try execute("SELECT pg_advisory_lock(hashtext('ledger.migrate'))")
        defer { _ = try? execute("SELECT pg_advisory_unlock(hashtext('ledger.migrate'))") }
        return try body(self)
    }

    fileprivate func withAppliedMigrations() throws -> [Migrator.AppliedMigration] {
        let exists = try queryOne("SELECT to_regclass('ledger_meta.schema_migrations') IS NOT NULL") { try $0.bool(0) }
        guard exists else { return [] }
        return try Migrator.appliedMigrations(self)
    }
}
