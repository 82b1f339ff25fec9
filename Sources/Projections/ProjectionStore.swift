import Postgres

/// The SQL of the read side: leases, checkpoints, staged upserts, rebuild-and-swap. Every value
/// is a parameter; table and column names come only from `ReadModelTable` constants.
enum ProjectionStore {
    static let liveSchema = "ledger_read"
    static let buildSchema = "ledger_read_build"
    /// The role that owns and writes the read models (sql/0006_projections.sql).
    static let ownerRole = "ledger_admin"

    /// The two leases of a projection (sql/0010_projection_leases.sql): each a view
    /// `ledger_read.lease_<projection>_<kind>` locked IN EXCLUSIVE MODE by a `LeaseConnection`.
    enum Lease: String, Sendable {
        /// Held by the one runner applying events to a projection's live tables.
        case runner
        /// Held by the one rebuild of a projection.
        case rebuild
    }

    /// The view whose lock is the lease (projection names are catalog constants).
    static func leaseView(_ lease: Lease, _ name: String) -> String { "lease_\(name)_\(lease.rawValue)" }

    /// Acts as the owner of the read models for the rest of the session, so tables a rebuild
    /// creates belong to it like the migrated ones.
    static func becomeOwner(_ connection: PostgresConnection) async throws {
        let member = try await connection.queryOne(
            "SELECT pg_has_role(session_user, $1, 'MEMBER')", [ownerRole]
        ) { try $0.bool(0) }
        guard member else {
            let who = try await connection.queryOne("SELECT session_user::text") { try $0.string(0) }
            throw ProjectionError(.notAdmin, "projections are run by an admin: \(who) is not a member of \(ownerRole) (connect with --user as an admin)")
        }
        try await connection.simpleQuery("SET ROLE \(ownerRole)")
    }

    /// Who holds a lease: the lease connection's server process, its login role, since when (nil
    /// when that process did not record it yet).
    struct LeaseHolder: Sendable, Equatable {
        let pid: Int32
        let role: String?
        let sinceMicroseconds: Int64?

        var description: String {
            "server process \(pid)\(role.map { ", role \($0)" } ?? "")"
                + (sinceMicroseconds.map { ", since \(VietnamTime.display(microsecondsSinceEpoch: $0))" } ?? "")
        }
    }

    /// The holder of `lease`, if one holds it.
    static func leaseHolder(_ lease: Lease, _ name: String, _ connection: PostgresConnection) async throws -> LeaseHolder? {
        try await connection.query(
            "SELECT h.pid, h.role, h.since FROM \(leaseHolders(kind: "$1::text")) h WHERE h.projection = $2", [lease.rawValue, name]
        ) { row in
            LeaseHolder(pid: try row.int32(0), role: row.isNull(1) ? nil : try row.string(1),
                        sinceMicroseconds: row.isNull(2) ? nil : try row.timestampMicroseconds(2))
        }.first
    }

    /// A subquery (projection, pid, role, since): every held lease of `kind` (an SQL expression) in
    /// this database, as pg_locks shows it, with what its holder recorded. pg_locks, pg_class and
    /// pg_stat_activity's pid and usename are visible to every role.
    static func leaseHolders(kind: String) -> String {
        """
        (SELECT substring(c.relname FROM 7 FOR length(c.relname) - 7 - length(\(kind))) AS projection, l.pid,
                coalesce(a.usename::text, r.holder_role) AS role,
                CASE WHEN r.holder_pid = l.pid THEN r.since END AS since
         FROM pg_catalog.pg_locks l
         JOIN pg_catalog.pg_class c ON c.oid = l.relation
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname = '\(liveSchema)'
         LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
         LEFT JOIN ledger_read.projection_leases r
           ON r.kind = \(kind) AND 'lease_' || r.projection || '_' || r.kind = c.relname
         WHERE l.locktype = 'relation' AND l.granted AND l.mode = 'ExclusiveLock'
           AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
           AND c.relname LIKE 'lease\\_%\\_' || \(kind))
        """
    }

    /// (position, generation) of `name`'s checkpoint. A missing row (a restore that left the
    /// checkpoints out) is created at 0: the projection is then folded from the start.
    static func checkpoint(_ name: String, _ connection: PostgresConnection) async throws -> (Int64, Int64) {
        try await connection.execute(
            "INSERT INTO ledger_read.checkpoints (projection) VALUES ($1) ON CONFLICT (projection) DO NOTHING", [name]
        )
        return try await connection.queryOne(
            "SELECT position, generation FROM ledger_read.checkpoints WHERE projection = $1", [name]
        ) { (try $0.int64(0), try $0.int64(1)) }
    }

    /// The copy of a read-model table's shape (sql/0010_projection_leases.sql) that rebuilds and
    /// staging tables are created LIKE, so they need no live table.
    static func shapeName(_ table: ReadModelTable) -> String { "\(buildSchema).shape_\(table.name)" }

    /// A temporary staging table per read-model table (rows vanish at each commit).
    static func prepareStaging(_ tables: [ReadModelTable], _ connection: PostgresConnection) async throws {
        for table in tables {
            try await connection.simpleQuery(
                "CREATE TEMP TABLE IF NOT EXISTS \(stagingName(table)) (LIKE \(shapeName(table))) ON COMMIT DELETE ROWS"
            )
        }
    }

    static func stagingName(_ table: ReadModelTable) -> String { "ledger_stage_\(table.name)" }

    /// Rows to write to one table.
    struct TableWrite: Sendable {
        let table: ReadModelTable
        let rows: [ReadModelRow]
    }

    /// A checkpoint to move from `from` to `to`, if it is still at `from` in `generation`.
    struct CheckpointMove: Sendable {
        let projection: String
        let from: Int64
        let to: Int64
        let generation: Int64
        /// Recorded with the checkpoint (nil clears a stall recorded before).
        var stall: ProjectionStall? = nil
    }

    /// Upserts `writes` into `schema` through the staging tables (COPY, then one INSERT … ON
    /// CONFLICT per table). Runs inside the caller's transaction, which writes each table once
    /// (the staged rows vanish at its end).
    static func upsert(_ writes: [TableWrite], schema: String, on connection: isolated PostgresConnection) throws {
        for write in writes where !write.rows.isEmpty {
            let table = write.table
            let columns = table.columns.joined(separator: ", ")
            try connection.copyFrom("COPY pg_temp.\(stagingName(table)) (\(columns)) FROM STDIN") { writer in
                for row in write.rows { try writer.writeRow(row) }
            }
            let updates = table.columns.dropFirst(table.keyCount).map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
            try connection.execute("""
                INSERT INTO \(schema).\(table.name) (\(columns)) SELECT \(columns) FROM pg_temp.\(stagingName(table))
                ON CONFLICT (\(table.keyColumns.joined(separator: ", "))) DO UPDATE SET \(updates)
                """)
        }
    }

    /// Moves each checkpoint by compare-and-set; throws `checkpointMoved` (rolling back the
    /// caller's transaction) when one is no longer where this runner left it.
    static func move(_ moves: [CheckpointMove], on connection: isolated PostgresConnection) throws {
        for move in moves {
            let updated = try connection.execute(
                """
                UPDATE ledger_read.checkpoints SET position = $1, updated_at = now(), stalled_at = $5, stalled_reason = $6
                WHERE projection = $2 AND position = $3 AND generation = $4
                """,
                [move.to, move.projection, move.from, move.generation, move.stall?.position, move.stall?.reason]
            )
            guard updated == 1 else {
                throw ProjectionError(
                    .checkpointMoved,
                    "the checkpoint of \(move.projection) is no longer at position \(move.from) (generation \(move.generation)): another writer moved it"
                )
            }
        }
    }

    /// Creates empty build tables of the read models' shapes and, with `projection`, fills them
    /// with its rows by COPY, each row built as it is written (no table held as text).
    static func createBuildTables(
        _ tables: [ReadModelTable], rows projection: (any Projection)?, on connection: isolated PostgresConnection
    ) throws {
        for (index, table) in tables.enumerated() {
            try connection.simpleQuery("""
                DROP TABLE IF EXISTS \(buildSchema).\(table.name);
                CREATE TABLE \(buildSchema).\(table.name) (LIKE \(shapeName(table)) INCLUDING ALL)
                """)
            guard let projection else { continue }
            try copyIntoBuildTable(table, on: connection) { writer in
                try projection.forEachRow(ofTable: index) { try writer.writeRow($0) }
            }
        }
    }

    /// Appends rows to a build table by COPY.
    static func copyIntoBuildTable(
        _ table: ReadModelTable, on connection: isolated PostgresConnection, _ write: (inout CopyWriter) throws -> Void
    ) throws {
        _ = try connection.copyFrom("COPY \(buildSchema).\(table.name) (\(table.columns.joined(separator: ", "))) FROM STDIN", write)
    }

    /// How long the swap waits for the live tables (a reader's open transaction) before it gives
    /// up, rolls back and tries again: readers queued behind it wait no longer than this.
    static let swapLockTimeoutMilliseconds = 2_000

    /// Swaps the build tables in for the live ones (creating any that is missing) and sets the
    /// checkpoint to `position` with `stall`, in the caller's transaction; returns the new
    /// generation. Tables are locked in catalog order, the order a runner writes them, so a
    /// runner's batch in flight finishes first; the lock waits at most `swapLockTimeoutMilliseconds`
    /// (then throws SQLSTATE 55P03).
    static func swap(
        _ name: String, _ tables: [ReadModelTable], position: Int64, stall: ProjectionStall?, on connection: isolated PostgresConnection
    ) throws -> Int64 {
        try connection.simpleQuery("SET LOCAL lock_timeout = '\(swapLockTimeoutMilliseconds)ms'")
        let present = try connection.query(
            "SELECT c.relname::text FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = ANY($2::text[])",
            [liveSchema, PostgresValue.textArray(tables.map(\.name))]
        ) { try $0.string(0) }
        let live = tables.filter { present.contains($0.name) }.map { "\(liveSchema).\($0.name)" }
        if !live.isEmpty {
            try connection.simpleQuery("LOCK TABLE \(live.joined(separator: ", ")) IN ACCESS EXCLUSIVE MODE")
        }
        for table in tables {
            if present.contains(table.name) { try connection.simpleQuery("DROP TABLE \(liveSchema).\(table.name)") }
            try connection.simpleQuery("ALTER TABLE \(buildSchema).\(table.name) SET SCHEMA \(liveSchema)")
        }
        return try connection.queryOne(
            """
            INSERT INTO ledger_read.checkpoints AS c (projection, position, generation, stalled_at, stalled_reason) VALUES ($2, $1, 1, $3, $4)
            ON CONFLICT (projection) DO UPDATE SET position = EXCLUDED.position, generation = c.generation + 1, updated_at = now(),
                stalled_at = EXCLUDED.stalled_at, stalled_reason = EXCLUDED.stalled_reason
            RETURNING generation
            """,
            [position, name, stall?.position, stall?.reason]
        ) { try $0.int64(0) }
    }

    /// Who holds a lock on one of `tables` (other than this session), as pg_locks and
    /// pg_stat_activity show it to this role: "server process 812 (role an, idle in transaction
    /// since …) holds AccessShareLock on ledger_read.applications".
    static func lockHolders(_ tables: [ReadModelTable], _ connection: PostgresConnection) async throws -> [String] {
        try await connection.query("""
            SELECT l.pid, a.usename::text, a.state, a.xact_start, c.relname::text, l.mode
            FROM pg_catalog.pg_locks l
            JOIN pg_catalog.pg_class c ON c.oid = l.relation
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname = $1
            LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid() AND c.relname = ANY($2::text[])
            ORDER BY l.pid, c.relname
            """, [liveSchema, PostgresValue.textArray(tables.map(\.name))]) { row in
            var who: [String] = []
            if !row.isNull(1) { who.append("role \(try row.string(1))") }
            if !row.isNull(2) {
                var state = try row.string(2)
                if !row.isNull(3) { state += " since \(VietnamTime.display(microsecondsSinceEpoch: try row.timestampMicroseconds(3)))" }
                who.append(state)
            }
            return "server process \(try row.int32(0))\(who.isEmpty ? "" : " (\(who.joined(separator: ", ")))") holds \(try row.string(5)) on \(liveSchema).\(try row.string(4))"
        }
    }
}

/// A connection that holds leases for as long as it lives: each lease is a table lock on the
/// lease's view (sql/0010_projection_leases.sql), taken IN EXCLUSIVE MODE NOWAIT inside one
/// transaction this connection keeps open and never writes in (no transaction id, no snapshot
/// between statements: it holds back neither VACUUM nor anyone's rows). Only ledger_admin may take
/// that lock; the connection's end — `close`, or a killed process — ends every lease it holds.
/// The runner's own writes go through another connection and never wait on these locks.
actor LeaseConnection {
    let connection: PostgresConnection
    private var taken: [(ProjectionStore.Lease, String)] = []

    private init(connection: PostgresConnection) { self.connection = connection }

    /// Connects as `configuration` says, acts as the read models' owner, and opens the transaction
    /// that will hold the leases (the session's `idle_in_transaction_session_timeout` is switched
    /// off: being idle in that transaction is its job).
    static func open(_ configuration: ConnectionConfiguration, applicationName: String) async throws -> LeaseConnection {
        var configuration = configuration
        configuration.applicationName = applicationName
        let connection = try await PostgresConnection.connect(configuration)
        do {
            try await ProjectionStore.becomeOwner(connection)
            try await connection.simpleQuery("SET idle_in_transaction_session_timeout = 0; SET lock_timeout = 0; BEGIN")
            return LeaseConnection(connection: connection)
        } catch {
            await connection.close()
            throw error
        }
    }

    var pid: Int32 { get async { await connection.backendPID } }

    /// Takes `lease` of `name` if it is free (false when another holds it), and records who holds it.
    func tryTake(_ lease: ProjectionStore.Lease, _ name: String, recordOn writer: PostgresConnection) async throws -> Bool {
        let view = "\(ProjectionStore.liveSchema).\(ProjectionStore.leaseView(lease, name))"
        do {
            try await connection.simpleQuery("SAVEPOINT lease; LOCK TABLE \(view) IN EXCLUSIVE MODE NOWAIT; RELEASE SAVEPOINT lease")
        } catch let error as PostgresError where error.code == .lockNotAvailable {
            try await connection.simpleQuery("ROLLBACK TO SAVEPOINT lease; RELEASE SAVEPOINT lease")
            return false
        } catch let error as PostgresError where error.code == .undefinedTable {
            throw ProjectionError(.notMigrated, "the lease of projection \(name) (\(view)) is missing: run `ledger migrate`")
        }
        taken.append((lease, name))
        // Written by the writer (autocommit), never by this connection: it must stay without a transaction id.
        try await writer.execute("""
            INSERT INTO ledger_read.projection_leases AS l (projection, kind, holder_pid, holder_role, since)
            VALUES ($1, $2, $3, session_user, now())
            ON CONFLICT (projection, kind) DO UPDATE SET holder_pid = EXCLUDED.holder_pid, holder_role = EXCLUDED.holder_role, since = EXCLUDED.since
            """, [name, lease.rawValue, await connection.backendPID])
        return true
    }

    /// Ends every lease (the transaction) and the connection.
    func close() async {
        // Release before closing: the server process lives on for a moment after its connection
        // is closed, and a runner started right after this one would be refused.
        try? await connection.simpleQuery("ROLLBACK")
        await connection.close()
    }
}

extension PostgresError.Code {
    /// NOWAIT found the lock taken, or lock_timeout expired.
    static let lockNotAvailable = PostgresError.Code("55P03")
}
