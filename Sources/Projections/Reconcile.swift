import EventStore
import Foundation
import Postgres

/// Folds the log in memory into fresh projection states: the read models as they must be
/// (guarantee 9, docs/architecture.md). Streaming: pages of the log, never the whole log in memory.
public enum InMemoryFold {
    /// A fresh state of each of `types`, folded through its own position in `positions` (events
    /// after it are not applied; `Int64.max` folds the whole log). Reads the log once, up to the
    /// largest position; `progress` gets (position, last position to fold) now and then.
    public static func ofLog(
        _ types: [any Projection.Type], through positions: [Int64], store: EventStore, pageSize: Int = EventStore.defaultPageSize,
        progress: ((Int64, Int64) -> Void)? = nil
    ) async throws -> [any Projection] {
        try await ofLog(types, through: positions, store: store, pageSize: pageSize, writingRows: nil, progress: progress).projections
    }

    /// As `ofLog`; with `writingRows`, a projection whose rows never change once written
    /// (`Projection.keepOnlyUntakenRows`) keeps none: each page's new rows of it are handed to
    /// `writingRows` (its index in `types`, rows per table) as they are folded, and its index is
    /// returned in `streamed` (its state then holds no rows).
    static func ofLog(
        _ types: [any Projection.Type], through positions: [Int64], store: EventStore, pageSize: Int,
        writingRows: (@Sendable (Int, [[ReadModelRow]]) async throws -> Void)?, progress: ((Int64, Int64) -> Void)?
    ) async throws -> (projections: [any Projection], streamed: Set<Int>) {
        precondition(types.count == positions.count, "one position per projection")
        let folds = zip(types, positions).map { ConcurrentFold($0, through: $1) }
        guard let last = positions.max(), last > 0 else { return (types.map { $0.init() }, []) }
        var streamed: [Int] = []
        if writingRows != nil {
            for index in folds.indices where await folds[index].keepOnlyUntakenRows() { streamed.append(index) }
        }
        // Every row is compared at the end: which ones changed on the way is not worth keeping.
        for index in folds.indices where !streamed.contains(index) { await folds[index].forgetChangesAfterEachPage(true) }
        var afterFold: (@Sendable () async throws -> Void)?
        if let writingRows, !streamed.isEmpty {
            afterFold = { [streamed] in
                for index in streamed {
                    let rows = await folds[index].takeChangedRows()
                    if rows.contains(where: { !$0.isEmpty }) { try await writingRows(index, rows) }
                }
            }
        }
        let (reached, _, _) = try await ConcurrentFold.foldLog(
            into: folds, from: store, after: 0, through: last, pageSize: pageSize, afterFold: afterFold
        ) {
            progress?($0, last)
        }
        progress?(reached, last)
        var projections: [any Projection] = []
        for fold in folds {
            await fold.forgetChangesAfterEachPage(false)
            projections.append(await fold.folded())
        }
        return (projections, Set(streamed))
    }

    /// Every projection of the catalog folded through the whole log.
    public static func wholeLog(store: EventStore, pageSize: Int = EventStore.defaultPageSize) async throws -> [any Projection] {
        try await ofLog(ProjectionCatalog.all, through: ProjectionCatalog.all.map { _ in Int64.max }, store: store, pageSize: pageSize)
    }
}

/// One way a read-model table differs from the fold of the log.
public struct ReconcileDifference: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// The row is in both; `column` differs.
        case valueDiffers = "value_differs"
        /// The fold has the row; the table does not.
        case missingFromTable = "missing_from_table"
        /// The table has a row the fold does not.
        case notInFold = "not_in_fold"
    }

    public let table: String
    public let kind: Kind
    /// The row's key, column → text, in the table's key order when rendered by `keyDescription`.
    public let key: [String: String]
    /// `column=value, …` in key-column order.
    public let keyDescription: String
    /// The differing column (value differences only).
    public let column: String?
    /// PostgreSQL's text of the table's value (nil: NULL, or no row).
    public let tableValue: String?
    /// PostgreSQL's text of the fold's value (nil: NULL, or no row).
    public let foldValue: String?

    enum CodingKeys: String, CodingKey {
        case table, kind, key, keyDescription = "key_text", column, tableValue = "table_value", foldValue = "fold_value"
    }
}

/// One table of a projection against its fold.
public struct TableReconciliation: Sendable, Codable, Equatable {
    public let table: String
    public let tableRows: Int64
    public let foldRows: Int64
    /// Keys on either side.
    public let rowsCompared: Int64
    /// Rows with at least one difference (or missing on one side).
    public let rowsDiffering: Int64
    /// Differing values, plus one per row missing on either side.
    public let differences: Int64

    enum CodingKeys: String, CodingKey {
        case table, tableRows = "table_rows", foldRows = "fold_rows", rowsCompared = "rows_compared"
        case rowsDiffering = "rows_differing", differences
    }
}

/// One projection's tables against a fold of the log through its checkpoint.
public struct ProjectionReconciliation: Sendable, Codable, Equatable {
    public let projection: String
    /// The checkpoint the tables were read at: the fold went through exactly this position.
    public let checkpoint: Int64
    public let generation: Int64
    /// The head of the log in the same snapshot.
    public let headPosition: Int64
    /// Events after the checkpoint (not yet applied by a runner; not compared).
    public let behindHead: Int64
    public let tables: [TableReconciliation]
    public let rowsCompared: Int64
    public let differenceCount: Int64
    /// The first differences (at most the limit asked for), by table then key.
    public let differences: [ReconcileDifference]
    public var isEqual: Bool { differenceCount == 0 }

    enum CodingKeys: String, CodingKey {
        case projection, checkpoint, generation, headPosition = "head_position", behindHead = "behind_head", tables
        case rowsCompared = "rows_compared", differenceCount = "difference_count", differences, equal
    }

    init(projection: String, checkpoint: Int64, generation: Int64, headPosition: Int64, tables: [TableReconciliation], differences: [ReconcileDifference]) {
        self.projection = projection
        self.checkpoint = checkpoint
        self.generation = generation
        self.headPosition = headPosition
        behindHead = headPosition - checkpoint
        self.tables = tables
        rowsCompared = tables.map(\.rowsCompared).reduce(0, +)
        differenceCount = tables.map(\.differences).reduce(0, +)
        self.differences = differences
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            projection: try container.decode(String.self, forKey: .projection), checkpoint: try container.decode(Int64.self, forKey: .checkpoint),
            generation: try container.decode(Int64.self, forKey: .generation), headPosition: try container.decode(Int64.self, forKey: .headPosition),
            tables: try container.decode([TableReconciliation].self, forKey: .tables),
            differences: try container.decode([ReconcileDifference].self, forKey: .differences)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(projection, forKey: .projection)
        try container.encode(checkpoint, forKey: .checkpoint)
        try container.encode(generation, forKey: .generation)
        try container.encode(headPosition, forKey: .headPosition)
        try container.encode(behindHead, forKey: .behindHead)
        try container.encode(tables, forKey: .tables)
        try container.encode(rowsCompared, forKey: .rowsCompared)
        try container.encode(differenceCount, forKey: .differenceCount)
        try container.encode(differences, forKey: .differences)
        try container.encode(isEqual, forKey: .equal)
    }
}

/// What `audit reconcile` found.
public struct Reconciliation: Sendable, Codable, Equatable {
    public let projections: [ProjectionReconciliation]
    /// Events read from the log to fold (up to the furthest checkpoint).
    public let eventsFolded: Int64
    public var isEqual: Bool { projections.allSatisfy(\.isEqual) }

    enum CodingKeys: String, CodingKey {
        case projections, eventsFolded = "events_folded"
    }
}

/// Reconcile could not run (not an integrity problem: nothing was compared).
public struct ReconcileError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

/// `ledger audit reconcile`: each projection's tables, compared row by row (by key, column by
/// column) with a fold of the log in memory through the projection's checkpoint.
///
/// Consistency: the checkpoints and the tables are read in one REPEATABLE READ, READ ONLY
/// snapshot, taken after an ACCESS SHARE lock on the tables (so a rebuild's swap is either wholly
/// before the snapshot or waits for the copy), and copied into temporary tables; the log is then
/// folded through each checkpoint (events at or before a checkpoint never change). A runner
/// working meanwhile therefore never causes a false difference, and the lock is held only for the
/// copy, not for the fold. The comparison runs in PostgreSQL on typed values (`IS DISTINCT FROM`),
/// so a `jsonb` or `timestamptz` written in another text form is not a difference.
///
/// Writes nothing but temporary tables of its own session: an auditor (`ledger_auditor`: SELECT on
/// `ledger_read` and `ledger`, and the database's default TEMPORARY privilege) may run it. On a hot
/// standby, which cannot create them, it writes nothing at all (`runOnStandby`).
public enum Reconcile {
    /// Reconciles the projections called `names` (all when empty) on `connection` (left open; its
    /// temporary tables are dropped). At most `listLimit` differences are listed per projection;
    /// all are counted.
    public static func run(
        connection: PostgresConnection, projections names: [String] = [], listLimit: Int = 1_000,
        pageSize: Int = EventStore.defaultPageSize, progress: ((Int64, Int64) -> Void)? = nil
    ) async throws -> Reconciliation {
        let types = try ProjectionCatalog.projections(named: names)
        let tables = types.flatMap { $0.tables }
        if await connection.isHotStandby == true {
            do {
                return try await runOnStandby(types, connection: connection, listLimit: listLimit, pageSize: pageSize, progress: progress)
            } catch let error as PostgresError where error.code == .insufficientPrivilege {
                throw await privilegeError(error, connection)
            }
        }
        do {
            try await createScratchTables(tables, connection)
            let snapshot = try await readSnapshot(types, tables, connection)
            let positions = types.map { snapshot.checkpoints[$0.name]?.position ?? 0 }
            // Rows that never change once written (application steps) go to the fold's tables page
            // by page; every other table's rows are built one at a time as they are copied in.
            let (projections, streamed) = try await InMemoryFold.ofLog(
                types, through: positions, store: EventStore(connection: connection), pageSize: pageSize,
                writingRows: { index, rows in
                    try await connection.transaction { connection in
                        for (table, tableRows) in zip(types[index].tables, rows) where !tableRows.isEmpty {
                            try connection.copyFrom("COPY pg_temp.\(foldName(table)) (\(table.columns.joined(separator: ", "))) FROM STDIN") { writer in
                                for row in tableRows { try writer.writeRow(row) }
                            }
                        }
                    }
                },
                progress: progress
            )
            var results: [ProjectionReconciliation] = []
            for (index, (type, projection)) in zip(types, projections).enumerated() {
                if !streamed.contains(index) {
                    try await connection.transaction { connection in
                        for (tableIndex, table) in type.tables.enumerated() {
                            try connection.copyFrom("COPY pg_temp.\(foldName(table)) (\(table.columns.joined(separator: ", "))) FROM STDIN") { writer in
                                try projection.forEachRow(ofTable: tableIndex) { try writer.writeRow($0) }
                            }
                        }
                    }
                }
                var summaries: [TableReconciliation] = []
                var listed: [ReconcileDifference] = []
                for table in type.tables {
                    summaries.append(try await summary(table, connection))
                    if listed.count < listLimit, summaries.last?.differences ?? 0 > 0 {
                        listed += try await differences(table, limit: listLimit - listed.count, connection)
                    }
                }
                let checkpoint = snapshot.checkpoints[type.name] ?? (0, 0)
                results.append(ProjectionReconciliation(
                    projection: type.name, checkpoint: checkpoint.position, generation: checkpoint.generation,
                    headPosition: snapshot.head, tables: summaries, differences: Array(listed.prefix(listLimit))
                ))
            }
            try await dropScratchTables(tables, connection)
            return Reconciliation(projections: results, eventsFolded: positions.max() ?? 0)
        } catch let error as PostgresError where error.code == .insufficientPrivilege {
            try? await dropScratchTables(tables, connection)
            throw await privilegeError(error, connection)
        } catch {
            try? await dropScratchTables(tables, connection)
            throw error
        }
    }

    static func privilegeError(_ error: PostgresError, _ connection: PostgresConnection) async -> ReconcileError {
        let who = (try? await connection.queryOne("SELECT session_user::text") { try $0.string(0) }) ?? "this role"
        return ReconcileError(message: """
            audit reconcile reads the log and the read models: \(who) may not (\(error.message)); \
            connect as an auditor (a member of ledger_auditor) or an admin
            """)
    }

    /// The fold's rows of one table sent as a parameter (a jsonb array of rows of text, cast in
    /// PostgreSQL to the table's column types), where a primary copies them into a temporary table.
    struct InlineFold {
        let json: String
        let types: [String]
        /// When the fold's rows are sent a chunk at a time: the live rows compared with this chunk
        /// are those whose key is at or after `lower` and before `upper` (nil: unbounded), in
        /// byte order for text (`COLLATE "C"`) and numeric order for integers, the order the
        /// chunks were cut in (`ChunkKey`).
        var lower: [String]? = nil
        var upper: [String]? = nil

        /// The condition on the live table `t` for the range, its bounds as parameters from
        /// `$first` on, and those parameters.
        func range(_ table: ReadModelTable, first: Int) -> (sql: String, parameters: [String]) {
            var conditions: [String] = []
            var parameters: [String] = []
            let columns = table.keyColumns.enumerated().map { index, column in
                ChunkKey.kind(ofType: types[index]) == .text ? "t.\(column) COLLATE \"C\"" : "t.\(column)"
            }
            for (bound, comparison) in [(lower, ">="), (upper, "<")] {
                guard let bound else { continue }
                let values = bound.enumerated().map { index, _ in "$\(first + parameters.count + index)::\(types[index])" }
                conditions.append("ROW(\(columns.joined(separator: ", "))) \(comparison) ROW(\(values.joined(separator: ", ")))")
                parameters += bound
            }
            return (conditions.isEmpty ? "true" : conditions.joined(separator: " AND "), parameters)
        }
    }

    /// Rows of the fold sent to a standby per jsonb parameter: the live table is compared with
    /// each chunk over the key range the chunk covers, so neither side is held whole.
    static let standbyChunkRows = 20_000

    /// On a hot standby, which cannot create temporary tables: one REPEATABLE READ, READ ONLY
    /// transaction holds the snapshot (after an ACCESS SHARE lock, as on a primary) while the log is
    /// folded on the same connection through the checkpoints it shows, and each table is compared
    /// in it with the fold's rows sent as one parameter. Typed comparison as on a primary; nothing
    /// is written. Replay may cancel it (a conflict with recovery) when the primary swaps a rebuilt
    /// table meanwhile: run it again.
    static func runOnStandby(
        _ types: [any Projection.Type], connection: PostgresConnection, listLimit: Int, pageSize: Int,
        chunkRows: Int = standbyChunkRows, progress: ((Int64, Int64) -> Void)?
    ) async throws -> Reconciliation {
        let tables = types.flatMap { $0.tables }
        let live = tables.map { "\(ProjectionStore.liveSchema).\($0.name)" }.joined(separator: ", ")
        try await connection.simpleQuery("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; LOCK TABLE \(live) IN ACCESS SHARE MODE")
        do {
            let rows = try await connection.query(
                "SELECT projection, position, generation FROM ledger_read.checkpoints WHERE projection = ANY($1::text[])",
                [PostgresValue.textArray(types.map { $0.name })]
            ) { (try $0.string(0), try $0.int64(1), try $0.int64(2)) }
            var checkpoints: [String: (position: Int64, generation: Int64)] = [:]
            for (name, position, generation) in rows { checkpoints[name] = (position, generation) }
            let head = try await connection.queryOne("SELECT last_position FROM ledger.head") { try $0.int64(0) }
            for type in types where checkpoints[type.name] == nil {
                throw ReconcileError(message: "projection \(type.name) has no checkpoint row in ledger_read.checkpoints (migrations not applied?)")
            }
            let positions = types.map { checkpoints[$0.name]?.position ?? 0 }
            let projections = try await InMemoryFold.ofLog(
                types, through: positions, store: EventStore(connection: connection), pageSize: pageSize, progress: progress
            )
            var results: [ProjectionReconciliation] = []
            for (type, projection) in zip(types, projections) {
                var summaries: [TableReconciliation] = []
                var listed: [ReconcileDifference] = []
                for (index, table) in type.tables.enumerated() {
                    let (summary, found) = try await compareInChunks(
                        table, index, of: projection, columnTypes: try await columnTypes(table, connection),
                        listLimit: listLimit - listed.count, chunkRows: chunkRows, on: connection
                    )
                    summaries.append(summary)
                    listed += found
                }
                let checkpoint = checkpoints[type.name] ?? (0, 0)
                results.append(ProjectionReconciliation(
                    projection: type.name, checkpoint: checkpoint.position, generation: checkpoint.generation,
                    headPosition: head, tables: summaries, differences: Array(listed.prefix(listLimit))
                ))
            }
            try await connection.simpleQuery("COMMIT")
            return Reconciliation(projections: results, eventsFolded: positions.max() ?? 0)
        } catch {
            if await connection.isOpen { try? await connection.simpleQuery("ROLLBACK") }
            throw error
        }
    }

    /// The SQL type of each of `table`'s columns, in its order (`format_type`: `bigint`,
    /// `timestamp with time zone`, `jsonb`, …).
    static func columnTypes(_ table: ReadModelTable, _ connection: PostgresConnection) async throws -> [String] {
        let rows = try await connection.query("""
            SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute
            WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped
            """, ["\(ProjectionStore.liveSchema).\(table.name)"]) { (try $0.string(0), try $0.string(1)) }
        let types = Dictionary(rows, uniquingKeysWith: { first, _ in first })
        return try table.columns.map { column in
            guard let type = types[column] else {
                throw ReconcileError(message: "read model \(table.name) has no column \(column) (migrations not applied?)")
            }
            return type
        }
    }

    static func liveName(_ table: ReadModelTable) -> String { "ledger_reconcile_live_\(table.name)" }
    static func foldName(_ table: ReadModelTable) -> String { "ledger_reconcile_fold_\(table.name)" }

    /// Empty temporary tables shaped like the live ones: the live rows as read in the snapshot,
    /// and the fold's rows. Created before the snapshot's transaction, which is READ ONLY.
    static func createScratchTables(_ tables: [ReadModelTable], _ connection: PostgresConnection) async throws {
        for table in tables {
            try await connection.simpleQuery("""
                DROP TABLE IF EXISTS pg_temp.\(liveName(table)), pg_temp.\(foldName(table));
                CREATE TEMP TABLE \(liveName(table)) (LIKE \(ProjectionStore.liveSchema).\(table.name));
                CREATE TEMP TABLE \(foldName(table)) (LIKE \(ProjectionStore.liveSchema).\(table.name))
                """)
        }
    }

    static func dropScratchTables(_ tables: [ReadModelTable], _ connection: PostgresConnection) async throws {
        guard await connection.isOpen else { return }
        for table in tables {
            try await connection.simpleQuery("DROP TABLE IF EXISTS pg_temp.\(liveName(table)), pg_temp.\(foldName(table))")
        }
    }

    struct Snapshot: Sendable {
        var checkpoints: [String: (position: Int64, generation: Int64)]
        var head: Int64
    }

    /// Checkpoints, head and a copy of every table, in one snapshot.
    static func readSnapshot(_ types: [any Projection.Type], _ tables: [ReadModelTable], _ connection: PostgresConnection) async throws -> Snapshot {
        let names = types.map { $0.name }
        // LOCK before the first query: a REPEATABLE READ snapshot is taken by the first query, so
        // a swap is either committed before it (new tables, new checkpoint) or waits for the copy.
        let live = tables.map { "\(ProjectionStore.liveSchema).\($0.name)" }.joined(separator: ", ")
        return try await connection.transaction(isolation: .repeatableRead) { connection in
            try connection.simpleQuery("SET TRANSACTION READ ONLY; LOCK TABLE \(live) IN ACCESS SHARE MODE")
            let rows = try connection.query(
                "SELECT projection, position, generation FROM ledger_read.checkpoints WHERE projection = ANY($1::text[])",
                [PostgresValue.textArray(names)]
            ) { (try $0.string(0), try $0.int64(1), try $0.int64(2)) }
            var checkpoints: [String: (position: Int64, generation: Int64)] = [:]
            for (name, position, generation) in rows { checkpoints[name] = (position, generation) }
            let head = try connection.queryOne("SELECT last_position FROM ledger.head") { try $0.int64(0) }
            for table in tables {
                let columns = table.columns.joined(separator: ", ")
                try connection.execute(
                    "INSERT INTO pg_temp.\(liveName(table)) (\(columns)) SELECT \(columns) FROM \(ProjectionStore.liveSchema).\(table.name)"
                )
            }
            for name in names where checkpoints[name] == nil {
                throw ReconcileError(message: "projection \(name) has no checkpoint row in ledger_read.checkpoints (migrations not applied?)")
            }
            return Snapshot(checkpoints: checkpoints, head: head)
        }
    }

    /// `FROM live t FULL JOIN fold f USING (key)`: every key on either side.
    static func join(_ table: ReadModelTable, inline: InlineFold? = nil, parameter: Int = 1) -> String {
        let keys = table.keyColumns.joined(separator: ", ")
        guard let inline else {
            return "pg_temp.\(liveName(table)) t FULL JOIN pg_temp.\(foldName(table)) f USING (\(keys))"
        }
        let casts = zip(table.columns, inline.types).enumerated().map { index, column in
            "(r ->> \(index))::\(column.1) AS \(column.0)"
        }.joined(separator: ", ")
        let live = inline.lower == nil && inline.upper == nil ? "\(ProjectionStore.liveSchema).\(table.name) t"
            : "(SELECT * FROM \(ProjectionStore.liveSchema).\(table.name) t WHERE \(inline.range(table, first: parameter + 1).sql)) t"
        return "\(live) FULL JOIN "
            + "(SELECT \(casts) FROM jsonb_array_elements($\(parameter)::jsonb) AS r) f USING (\(keys))"
    }

    /// The parameters of `join` after its own: the chunk's bounds.
    static func rangeParameters(_ table: ReadModelTable, _ inline: InlineFold?) -> [any PostgresEncodable] {
        guard let inline, inline.lower != nil || inline.upper != nil else { return [] }
        return inline.range(table, first: 1).parameters
    }

    static func valueColumns(_ table: ReadModelTable) -> ArraySlice<String> { table.columns.dropFirst(table.keyCount) }

    static func summary(_ table: ReadModelTable, _ connection: isolated PostgresConnection, inline: InlineFold? = nil) throws -> TableReconciliation {
        let firstKey = table.columns[0]
        let differing = valueColumns(table).map { "(t.\($0) IS DISTINCT FROM f.\($0))::int" }
        let valueDifferences = differing.isEmpty ? "0" : differing.joined(separator: " + ")
        return try connection.queryOne("""
            SELECT count(t.\(firstKey)), count(f.\(firstKey)), count(*),
                   count(*) FILTER (WHERE t.\(firstKey) IS NULL OR f.\(firstKey) IS NULL OR (\(valueDifferences)) > 0),
                   coalesce(sum(CASE WHEN t.\(firstKey) IS NULL OR f.\(firstKey) IS NULL THEN 1 ELSE \(valueDifferences) END), 0)
            FROM \(join(table, inline: inline))
            """, (inline.map { [$0.json] } ?? []) + rangeParameters(table, inline)) { row in
            TableReconciliation(
                table: table.name, tableRows: try row.int64(0), foldRows: try row.int64(1), rowsCompared: try row.int64(2),
                rowsDiffering: try row.int64(3), differences: try row.int64(4)
            )
        }
    }

    /// The first differences of `table` by key, at most `limit`.
    static func differences(
        _ table: ReadModelTable, limit: Int, _ connection: isolated PostgresConnection, inline: InlineFold? = nil
    ) throws -> [ReconcileDifference] {
        Array(try differingRows(table, limit: limit, connection, inline: inline).map(\.differences).joined().prefix(limit))
    }

    /// The first rows of `table` that differ, by key, at most `limit`: each row's key texts (in
    /// key-column order) and its differences.
    static func differingRows(
        _ table: ReadModelTable, limit: Int, _ connection: isolated PostgresConnection, inline: InlineFold? = nil
    ) throws -> [(key: [String], differences: [ReconcileDifference])] {
        let firstKey = table.columns[0]
        let keys = Array(table.keyColumns)
        let values = Array(valueColumns(table))
        var select = keys.map { "\($0)::text" }
        select += ["t.\(firstKey) IS NULL", "f.\(firstKey) IS NULL"]
        for column in values {
            select += ["t.\(column) IS DISTINCT FROM f.\(column)", "t.\(column)::text", "f.\(column)::text"]
        }
        let condition = (["t.\(firstKey) IS NULL", "f.\(firstKey) IS NULL"] + values.map { "t.\($0) IS DISTINCT FROM f.\($0)" })
            .joined(separator: " OR ")
        return try connection.query("""
            SELECT \(select.joined(separator: ", ")) FROM \(join(table, inline: inline, parameter: 2))
            WHERE \(condition) ORDER BY \(keys.joined(separator: ", ")) LIMIT $1
            """, [limit] + (inline.map { [$0.json as any PostgresEncodable] } ?? []) + rangeParameters(table, inline)) { row -> (key: [String], differences: [ReconcileDifference]) in
            var key: [String: String] = [:]
            var parts: [String] = []
            for (index, column) in keys.enumerated() {
                let value = try row.string(index)
                key[column] = value
                parts.append("\(column)=\(value)")
            }
            let keyDescription = parts.joined(separator: ", ")
            func difference(_ kind: ReconcileDifference.Kind, _ column: String?, _ tableValue: String?, _ foldValue: String?) -> ReconcileDifference {
                ReconcileDifference(table: table.name, kind: kind, key: key, keyDescription: keyDescription, column: column,
                                    tableValue: tableValue, foldValue: foldValue)
            }
            let keyTexts = keys.map { key[$0] ?? "" }
            if try row.bool(keys.count) { return (keyTexts, [difference(.missingFromTable, nil, nil, nil)]) }
            if try row.bool(keys.count + 1) { return (keyTexts, [difference(.notInFold, nil, nil, nil)]) }
            var found: [ReconcileDifference] = []
            for (offset, column) in values.enumerated() {
                let base = keys.count + 2 + offset * 3
                guard try row.bool(base) else { continue }
                found.append(difference(
                    .valueDiffers, column, row.isNull(base + 1) ? nil : try row.string(base + 1), row.isNull(base + 2) ? nil : try row.string(base + 2)
                ))
            }
            return (keyTexts, found)
        }
    }
}
