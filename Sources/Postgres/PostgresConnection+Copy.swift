import CLibPQ

extension PostgresConnection {
    /// Runs `COPY … FROM STDIN` and streams what `write` produces; returns the number of rows copied.
    /// If `write` throws, the COPY is aborted and nothing is copied.
    @discardableResult
    public func copyFrom(_ sql: String, _ write: (inout CopyWriter) throws -> Void) throws -> Int64 {
        let connection = try liveHandle()
        guard let start = PQexec(connection, sql) else {
            throw PostgresError(code: .connectionFailure, message: PostgresError.connectionMessage(connection) ?? "no result")
        }
        let startStatus = PQresultStatus(start)
        guard startStatus == PGRES_COPY_IN else {
            defer { PQclear(start) }
            if startStatus == PGRES_FATAL_ERROR { throw PostgresError.from(result: start, connection: connection) }
            throw PostgresError(code: .unexpectedResult, message: "statement is not COPY … FROM STDIN")
        }
        PQclear(start)
        var writer = CopyWriter(connection: connection)
        var failure: Error?
        do {
            try write(&writer)
            try writer.flush()
        } catch {
            failure = error
        }
        let endStatus = failure == nil ? PQputCopyEnd(connection, nil) : PQputCopyEnd(connection, "aborted by client: \(failure!)")
        var serverError: PostgresError?
        var rows: Int64 = 0
        while let result = PQgetResult(connection) {
            defer { PQclear(result) }
            let status = PQresultStatus(result)
            if status == PGRES_COMMAND_OK {
                if let text = PQcmdTuples(result) { rows = Int64(String(cString: text)) ?? 0 }
            } else if serverError == nil {
                serverError = PostgresError.from(result: result, connection: connection)
            }
        }
        if let failure { throw failure }
        if endStatus != 1 {
            throw PostgresError(code: .connectionFailure, message: PostgresError.connectionMessage(connection) ?? "COPY end failed")
        }
        if let serverError { throw serverError }
        return rows
    }
}

/// Buffers COPY data and sends it in chunks. Rows are in PostgreSQL's text COPY format.
public struct CopyWriter {
    /// Bytes gathered before one `PQputCopyData` call.
    static let chunkBytes = 256 * 1024
    private let connection: OpaquePointer
    private var buffer: [UInt8] = []

    init(connection: OpaquePointer) {
        self.connection = connection
        buffer.reserveCapacity(Self.chunkBytes + 4096)
    }

    /// Appends raw COPY bytes.
    public mutating func write(_ bytes: some Sequence<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.chunkBytes { try flush() }
    }

    /// Appends one row in text format: fields tab-separated, `\N` for NULL, special characters escaped.
    public mutating func writeRow(_ fields: [String?]) throws {
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.append(9) }
            guard let field else {
                buffer.append(contentsOf: [92, 78])
                continue
            }
            for byte in field.utf8 {
                switch byte {
                case 92: buffer.append(contentsOf: [92, 92])
                case 9: buffer.append(contentsOf: [92, 116])
                case 10: buffer.append(contentsOf: [92, 110])
                case 13: buffer.append(contentsOf: [92, 114])
                default: buffer.append(byte)
                }
            }
        }
        buffer.append(10)
        if buffer.count >= Self.chunkBytes { try flush() }
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        let status = buffer.withUnsafeBufferPointer { bytes in
            bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                PQputCopyData(connection, $0, Int32(bytes.count))
            }
        }
        guard status == 1 else {
            throw PostgresError(code: .connectionFailure, message: PostgresError.connectionMessage(connection) ?? "COPY send failed")
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
