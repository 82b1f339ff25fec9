import Foundation
import Postgres

/// The order fold rows are cut into chunks in on a standby, and the order PostgreSQL's range
/// condition uses: text by its UTF-8 bytes (`COLLATE "C"`), integers by value.
enum ChunkKey {
    enum Kind: Equatable { case text, integer }

    /// The kind of a key column of SQL type `type` (`format_type`); nil for any other type (its
    /// table is then compared in one piece).
    static func kind(ofType type: String) -> Kind? {
        switch type {
        case "text", "bigint", "integer", "smallint": return type == "text" ? .text : .integer
        default: return type.hasPrefix("character varying") ? .text : nil
        }
    }

    /// Whether key `a` comes strictly before key `b`; nil when an integer does not parse.
    static func precedes(_ a: [String], _ b: [String], _ kinds: [Kind]) -> Bool? {
        for (index, kind) in kinds.enumerated() {
            switch kind {
            case .text:
                if a[index].utf8.elementsEqual(b[index].utf8) { continue }
                return a[index].utf8.lexicographicallyPrecedes(b[index].utf8)
            case .integer:
                guard let left = Int64(a[index]), let right = Int64(b[index]) else { return nil }
                if left == right { continue }
                return left < right
            }
        }
        return false
    }
}

extension Reconcile {
    /// The fold's rows of a chunk did not come in key order: compare the table in one piece.
    private struct OutOfOrder: Error {}

    /// Compares one table of `projection` with the live one on a standby, `chunkRows` fold rows
    /// per jsonb parameter: each chunk against the live rows in the key range it covers (from its
    /// first key to the next chunk's), so that every live row is compared with exactly one chunk.
    /// Counts are summed over the chunks; the first `listLimit` differing rows are those of the
    /// whole table in key order (each chunk's first ones, ordered together by PostgreSQL). The
    /// same answer as one parameter of every row (`chunkRows: .max`), which a table whose fold
    /// rows do not come in the chunks' key order, or whose key is not of text and integers, gets.
    static func compareInChunks(
        _ table: ReadModelTable, _ index: Int, of projection: any Projection, columnTypes: [String], listLimit: Int, chunkRows: Int,
        on connection: isolated PostgresConnection
    ) throws -> (TableReconciliation, [ReconcileDifference]) {
        let kinds = columnTypes.prefix(table.keyCount).compactMap(ChunkKey.kind(ofType:))
        if chunkRows < .max, kinds.count == table.keyCount {
            do {
                return try compare(table, index, of: projection, columnTypes: columnTypes, kinds: kinds, listLimit: listLimit,
                                   chunkRows: chunkRows, on: connection)
            } catch is OutOfOrder {}
        }
        return try compare(table, index, of: projection, columnTypes: columnTypes, kinds: nil, listLimit: listLimit,
                           chunkRows: .max, on: connection)
    }

    private static func compare(
        _ table: ReadModelTable, _ index: Int, of projection: any Projection, columnTypes: [String], kinds: [ChunkKey.Kind]?,
        listLimit: Int, chunkRows: Int, on connection: isolated PostgresConnection
    ) throws -> (TableReconciliation, [ReconcileDifference]) {
        var tableRows: Int64 = 0, foldRows: Int64 = 0, compared: Int64 = 0, differing: Int64 = 0, differences: Int64 = 0
        var candidates: [(key: [String], differences: [ReconcileDifference])] = []
        var chunk: [ReadModelRow] = []
        var lower: [String]?
        var previous: [String]?
        var chunks = 0
        let encoder = JSONEncoder()

        func send(upTo upper: [String]?) throws {
            let inline = InlineFold(
                json: String(decoding: try encoder.encode(chunk), as: UTF8.self), types: columnTypes, lower: lower, upper: upper
            )
            chunks += 1
            let found = try summary(table, connection, inline: inline)
            tableRows += found.tableRows
            foldRows += found.foldRows
            compared += found.rowsCompared
            differing += found.rowsDiffering
            differences += found.differences
            guard listLimit > 0, found.differences > 0 else { return }
            candidates += try differingRows(table, limit: listLimit, connection, inline: inline)
            if candidates.count > listLimit { candidates = try firstInKeyOrder(candidates, table, columnTypes, listLimit, connection) }
        }

        try projection.forEachRow(ofTable: index) { row in
            if let kinds {
                let key = row.prefix(table.keyCount).map { $0 ?? "" }
                if let previous, ChunkKey.precedes(previous, key, kinds) != true { throw OutOfOrder() }
                previous = key
                if chunk.count >= chunkRows {
                    try send(upTo: key)
                    lower = key
                    chunk.removeAll(keepingCapacity: true)
                }
            }
            chunk.append(row)
        }
        try send(upTo: nil)
        if chunks > 1, candidates.count > 1 { candidates = try firstInKeyOrder(candidates, table, columnTypes, listLimit, connection) }
        let listed = Array(candidates.prefix(listLimit).map(\.differences).joined().prefix(max(listLimit, 0)))
        return (TableReconciliation(
            table: table.name, tableRows: tableRows, foldRows: foldRows, rowsCompared: compared, rowsDiffering: differing,
            differences: differences
        ), listed)
    }

    /// The first `limit` of `rows` ordered by key as `ORDER BY` the key columns orders them
    /// (each column's type and collation), as one query over the whole table would list them.
    private static func firstInKeyOrder(
        _ rows: [(key: [String], differences: [ReconcileDifference])], _ table: ReadModelTable, _ columnTypes: [String], _ limit: Int,
        _ connection: isolated PostgresConnection
    ) throws -> [(key: [String], differences: [ReconcileDifference])] {
        let order = table.keyColumns.indices.map { "(k ->> \($0))::\(columnTypes[$0])" }.joined(separator: ", ")
        let keys = String(decoding: try JSONEncoder().encode(rows.map(\.key)), as: UTF8.self)
        let ordered = try connection.query(
            "SELECT (i - 1)::bigint FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS r(k, i) ORDER BY \(order) LIMIT $2",
            [keys, limit]
        ) { try $0.int64(0) }
        return ordered.map { rows[Int($0)] }
    }
}
