import Postgres

/// The SQL of the read side: leases, checkpoints, staged upserts, rebuild-and-swap. Every value
/// is a parameter; table and column names come only from `ReadModelTable` constants.
enum ProjectionStore {
    static let liveSchema = "ledger_read"
    static let buildSchema = "ledger_read_build"
    /// The role that owns and writes the read models (sql/0006_projections.sql).
    static let ownerRole = "ledger_admin"

    /// Advisory-lock namespaces (the first key of `pg_try_advisory_lock(int, int)`); the second
    /// key is `hashtext(projection name)`.
    enum Lease: Int32 {
        /// Held by the one runner applying events to a projection's live tables.
        case runner = 74_701
        /// Held by the one rebuild of a projection.
        case rebuild = 74_702
    }

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

    /// Takes the lease if it is free (session-level: it ends with the connection, so a killed
    /// runner never leaves it behind).
    static func tryLease(_ lease: Lease, _ name: String, _ connection: PostgresConnection) async throws -> Bool {
        try await connection.queryOne("SELECT pg_try_advisory_lock($1::int, hashtext($2))", [lease.rawValue, name]) { try $0.bool(0) }
    }

    static func releaseLease(_ lease: Lease, _ name: String, _ connection: PostgresConnection) async throws {
        _ = try await connection.queryOne("SELECT pg_advisory_unlock($1::int, hashtext($2))", [lease.rawValue, name]) { try $0.bool(0) }
    }

    /// The server process holding the lease, if any.
    static func leaseHolder(_ lease: Lease, _ name: String, _ connection: PostgresConnection) async throws -> Int32? {
        try await connection.queryOne(Self.leaseHolderSQL, [lease.rawValue, name]) { $0.isNull(0) ? nil : try $0.int32(0) }
    }

    static let leaseHolderSQL = "SELECT \(leaseHolder(namespace: "$1", name: "$2"))"

    /// A scalar subquery: the pid holding the two-key advisory lock (`namespace`, hashtext(`name`))
    /// in this database, or NULL. Its arguments are SQL expressions (parameters or columns).
    static func leaseHolder(namespace: String, name: String) -> String {
        """
        (SELECT l.pid FROM pg_catalog.pg_locks l
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
           AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
           AND l.classid = \(namespace)::int::oid AND l.objid = hashtext(\(name))::oid
         LIMIT 1)
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

    /// A temporary staging table per read-model table (rows vanish at each commit).
    static func prepareStaging(_ tables: [ReadModelTable], _ connection: PostgresConnection) async throws {
        for table in tables {
            try await connection.simpleQuery(
                "CREATE TEMP TABLE IF NOT EXISTS \(stagingName(table)) (LIKE \(liveSchema).\(table.name)) ON COMMIT DELETE ROWS"
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
                "UPDATE ledger_read.checkpoints SET position = $1, updated_at = now() WHERE projection = $2 AND position = $3 AND generation = $4",
                [move.to, move.projection, move.from, move.generation]
            )
            guard updated == 1 else {
                throw ProjectionError(
                    .checkpointMoved,
                    "the checkpoint of \(move.projection) is no longer at position \(move.from) (generation \(move.generation)): another writer moved it"
                )
            }
        }
    }

    /// Creates empty build tables shaped like the live ones and fills them with `rows` by COPY.
    static func createBuildTables(
        _ tables: [ReadModelTable], rows: [[ReadModelRow]], on connection: isolated PostgresConnection
    ) throws {
        for (table, tableRows) in zip(tables, rows) {
            try connection.simpleQuery("""
                DROP TABLE IF EXISTS \(buildSchema).\(table.name);
                CREATE TABLE \(buildSchema).\(table.name) (LIKE \(liveSchema).\(table.name) INCLUDING ALL)
                """)
            guard !tableRows.isEmpty else { continue }
            try connection.copyFrom("COPY \(buildSchema).\(table.name) (\(table.columns.joined(separator: ", "))) FROM STDIN") { writer in
                for row in tableRows { try writer.writeRow(row) }
            }
        }
    }

    /// Swaps the build tables in for the live ones and sets the checkpoint to `position`, in the
    /// caller's transaction; returns the new generation. Tables are locked in catalog order, the
    /// order a runner writes them, so a runner's batch in flight finishes first.
    static func swap(
        _ name: String, _ tables: [ReadModelTable], position: Int64, on connection: isolated PostgresConnection
    ) throws -> Int64 {
        let live = tables.map { "\(liveSchema).\($0.name)" }.joined(separator: ", ")
        try connection.simpleQuery("LOCK TABLE \(live) IN ACCESS EXCLUSIVE MODE")
        for table in tables {
            try connection.simpleQuery("""
                DROP TABLE \(liveSchema).\(table.name);
                ALTER TABLE \(buildSchema).\(table.name) SET SCHEMA \(liveSchema)
                """)
        }
        return try connection.queryOne(
            """
            INSERT INTO ledger_read.checkpoints AS c (projection, position, generation) VALUES ($2, $1, 1)
            ON CONFLICT (projection) DO UPDATE SET position = EXCLUDED.position, generation = c.generation + 1, updated_at = now()
            RETURNING generation
            """,
            [position, name]
        ) { try $0.int64(0) }
    }
}
