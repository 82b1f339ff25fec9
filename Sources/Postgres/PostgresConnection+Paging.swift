import CLibPQ

/// A keyset-paged read for `PostgresConnection.fetchPage`: `sql` selects the rows whose key is
/// greater than `$1`, ordered by that key, `LIMIT $2`; `parameters` are `$3`, `$4`, …. The key is
/// a `bigint` column (`keyColumn`). A page with fewer than `pageSize` rows is the last one.
///
/// Each value identifies one read: a prefetched page belongs to the query that sent it.
public struct PostgresPagedQuery: Sendable {
    public let sql: String
    public let parameters: [any PostgresEncodable]
    public let keyColumn: Int
    public let pageSize: Int
    public let resultFormat: PostgresResultFormat
    let token = Token()

    final class Token: Sendable {}

    public init(
        _ sql: String, parameters: [any PostgresEncodable] = [], keyColumn: Int = 0, pageSize: Int,
        resultFormat: PostgresResultFormat = .text
    ) {
        precondition(pageSize > 0, "a page holds at least one row")
        self.sql = sql
        self.parameters = parameters
        self.keyColumn = keyColumn
        self.pageSize = pageSize
        self.resultFormat = resultFormat
    }
}

extension PostgresConnection {
    /// The page sent ahead by `fetchPage`: which read it belongs to and the key it starts after.
    struct Prefetch {
        let token: PostgresPagedQuery.Token
        let after: Int64
    }

    /// The rows of `paged` with key > `after` (at most `pageSize`), each decoded by `decode`.
    ///
    /// Overlaps the server with the client: when the page is full, the query for the following
    /// page (key > this page's last key, read from the result before any row is decoded) is sent
    /// before this page is decoded, so the server computes it while `decode` runs, and while the
    /// caller works on the page. The next `fetchPage(paged, after: thatKey)` takes its result
    /// instead of asking again. While decoding, input that has arrived is read into libpq's buffer
    /// now and then, so the server is not held up by a full socket.
    ///
    /// Safety: every result is cleared. A page sent ahead is read and cleared (its rows unused) by
    /// anything else done on the connection first — another query, a transaction, COPY, LISTEN, a
    /// `fetchPage` of another read or at another key — and right away when `decode` throws, so the
    /// connection is always usable. A server error arrives with the page it belongs to.
    public func fetchPage<T: Sendable>(
        _ paged: PostgresPagedQuery, after: Int64, decode: (PostgresRow) throws -> T
    ) throws -> [T] {
        guard let connection = handleForPaging() else {
            throw PostgresError(code: .connectionFailure, message: "the connection is closed")
        }
        if let pending = prefetch, pending.token !== paged.token || pending.after != after {
            discardPrefetch(connection)
        }
        if prefetch == nil {
            try sendPage(paged, after: after, connection)
        }
        prefetch = nil
        let result = try takePageResult(connection)
        defer { PQclear(result) }

        let count = PQntuples(result)
        do {
            if Int(count) >= paged.pageSize {
                let lastKey = try PostgresRow(result: result, index: count - 1).int64(paged.keyColumn)
                // If it cannot be sent, the connection is failing: the next fetch reports it.
                if (try? sendPage(paged, after: lastKey, connection)) != nil {
                    prefetch = Prefetch(token: paged.token, after: lastKey)
                }
            }
            var rows: [T] = []
            rows.reserveCapacity(Int(count))
            for index in 0..<count {
                // Keep the socket drained while the next page streams in (never blocks).
                if index & 63 == 63, prefetch != nil { _ = PQconsumeInput(connection) }
                rows.append(try decode(PostgresRow(result: result, index: index)))
            }
            return rows
        } catch {
            if prefetch != nil { discardPrefetch(connection) }
            throw error
        }
    }

    /// Reads and clears a page sent ahead, if any, leaving the connection idle.
    public func discardPrefetchedPage() {
        if prefetch != nil, let connection = handleForPaging() { discardPrefetch(connection) }
    }

    /// Whether a page sent ahead by `fetchPage` is in flight (for tests and diagnostics).
    public var hasPrefetchedPage: Bool { prefetch != nil }

    func discardPrefetch(_ connection: OpaquePointer) {
        prefetch = nil
        while let result = PQgetResult(connection) {
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT { Self.abandonCopy(connection, status) }
        }
    }

    private func sendPage(_ paged: PostgresPagedQuery, after: Int64, _ connection: OpaquePointer) throws {
        let parameters: [any PostgresEncodable] = [after, paged.pageSize] + paged.parameters
        let sent = try ParameterBuffers(parameters).withPointers { values, lengths, formats in
            PQsendQueryParams(connection, paged.sql, Int32(parameters.count), nil, values, lengths, formats, paged.resultFormat.rawValue)
        }
        guard sent == 1 else {
            throw PostgresError(code: .connectionFailure, message: PostgresError.connectionMessage(connection) ?? "could not send the query")
        }
    }

    /// The rows of the query in flight, which is then read to its end (the connection is idle after).
    private func takePageResult(_ connection: OpaquePointer) throws -> OpaquePointer {
        guard let result = PQgetResult(connection) else {
            throw PostgresError(code: .connectionFailure, message: PostgresError.connectionMessage(connection) ?? "no result")
        }
        let status = PQresultStatus(result)
        guard status == PGRES_TUPLES_OK else {
            let error: PostgresError
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT {
                Self.abandonCopy(connection, status)
                error = PostgresError(code: .unexpectedResult, message: "a paged query must be a SELECT, not COPY")
            } else if status == PGRES_COMMAND_OK {
                error = PostgresError(code: .unexpectedResult, message: "a paged query must return rows")
            } else {
                error = PostgresError.from(result: result, connection: connection)
            }
            PQclear(result)
            while let extra = PQgetResult(connection) { PQclear(extra) }
            throw error
        }
        while let extra = PQgetResult(connection) { PQclear(extra) }
        return result
    }
}
