import CLibPQ
import Foundation

/// One libpq connection, confined to its own serial executor (libpq forbids sharing a `PGconn`
/// across threads). Every method runs on that executor and blocks it, never the cooperative pool.
///
/// Methods are synchronous inside the actor, so a `transaction` body runs with no suspension point
/// and nothing else can interleave on the connection while it is open.
public actor PostgresConnection {
    private let executor: ConnectionExecutor
    private var handle: OpaquePointer?
    /// The next page of a paged read, already sent (see `fetchPage`); nil when the connection is idle.
    var prefetch: Prefetch?

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    private init(label: String) {
        executor = ConnectionExecutor(label: label)
    }

    isolated deinit {
        if let handle { PQfinish(handle) }
    }

    /// Opens a connection and sets the session to UTC, ISO dates and UTF-8 so decoding is exact.
    public static func connect(_ configuration: ConnectionConfiguration = .fromEnvironment()) async throws -> PostgresConnection {
        let connection = PostgresConnection(label: "ledger.postgres.\(configuration.applicationName)")
        try await connection.open(configuration)
        return connection
    }

    /// Opens a connection as `connect(_:)` does; when the server asks for a password and none was
    /// given (libpq's `PQconnectionNeedsPassword`), asks `passwordPrompt` with the role's name and
    /// tries once more with its answer (nil: no answer, the first failure is thrown).
    public static func connect(
        _ configuration: ConnectionConfiguration, passwordPrompt: @escaping @Sendable (_ user: String) -> String?
    ) async throws -> PostgresConnection {
        let connection = PostgresConnection(label: "ledger.postgres.\(configuration.applicationName)")
        try await connection.open(configuration, passwordPrompt: passwordPrompt)
        return connection
    }

    private func open(_ configuration: ConnectionConfiguration, passwordPrompt: (@Sendable (String) -> String?)? = nil) throws {
        let pairs = configuration.keywordValuePairs
        let keywords = pairs.map { strdup($0.0) }
        let values = pairs.map { strdup($0.1) }
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        var keywordPointers: [UnsafePointer<CChar>?] = keywords.map { UnsafePointer($0) } + [nil]
        var valuePointers: [UnsafePointer<CChar>?] = values.map { UnsafePointer($0) } + [nil]
        let connection = keywordPointers.withUnsafeMutableBufferPointer { keys in
            valuePointers.withUnsafeMutableBufferPointer { vals in
                PQconnectdbParams(keys.baseAddress, vals.baseAddress, 1)
            }
        }
        guard let connection else {
            throw PostgresError(code: .connectionFailure, message: "could not allocate a libpq connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = PostgresError.connectionMessage(connection) ?? "connection failed"
            let needsPassword = PQconnectionNeedsPassword(connection) == 1
            let user = PQuser(connection).map { String(cString: $0) } ?? ""
            PQfinish(connection)
            if needsPassword {
                if configuration.password == nil, let passwordPrompt, let password = passwordPrompt(user) {
                    var retry = configuration
                    retry.password = password
                    return try open(retry)
                }
                throw PostgresError(
                    code: .connectionFailure, message: "cannot connect to PostgreSQL: \(message)",
                    hint: "the server asks for a password for role \(user): set PGPASSWORD, put it in ~/.pgpass (or PGPASSFILE), or run on a terminal to be asked for it"
                )
            }
            // A server that answered and refused us needs a different fix from one that is not there.
            let refusedByServer = message.contains("FATAL")
            // target_session_attrs=read-write (or primary) and only standbys answered: the primary is
            // down or not yet promoted, as during a failover.
            let noPrimary = message.contains("session is read-only") || message.contains("server is in hot standby mode")
            // The server went away while the connection was being opened (libpq then tries no
            // other host): it crashed or stopped just now.
            let closedWhileOpening = message.contains("server closed the connection unexpectedly")
            throw PostgresError(
                code: .connectionFailure, message: "cannot connect to PostgreSQL: \(message)",
                hint: noPrimary
                    ? "no server in the connection string accepts writes now: the primary is down and the others are standbys "
                        + "(a failover in progress?); once a standby is promoted the same connection string reaches it: try again then"
                    : closedWhileOpening
                    ? "the server closed the connection while it was being opened: it has just stopped or crashed (a failover in "
                        + "progress?); nothing was done; try again in a moment (the same connection string reaches a promoted standby)"
                    : refusedByServer
                    ? "check the role (-U/--user, PGUSER), the database (-d/--dbname, PGDATABASE) and the password"
                    : "give -h/-p/-U/-d, or set DATABASE_URL or PGHOST/PGPORT/PGUSER/PGDATABASE, or run through scripts/with-postgres"
            )
        }
        // libpq prints NOTICEs to stderr by default; they are not ours to show.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        handle = connection
        try setUpSession()
    }

    /// The session settings decoding relies on (also after `reset()`).
    func setUpSession() throws {
        try simpleQuery("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET client_encoding = 'UTF8'; SET IntervalStyle = 'iso_8601'")
    }

    /// The handle for `reset()`, with any prefetched page forgotten (the server that would have
    /// sent it is gone).
    func handleForReset() throws -> OpaquePointer {
        guard let handle else {
            throw PostgresError(code: .connectionFailure, message: "the connection is closed")
        }
        prefetch = nil
        savepointDepth = 0
        return handle
    }

    /// Finishes the connection; later calls fail with `connectionFailure`.
    public func close() {
        prefetch = nil
        if let handle { PQfinish(handle) }
        handle = nil
    }

    public var isOpen: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Whether the server asked for a password when this connection was opened (libpq's
    /// `PQconnectionUsedPassword`): false under `trust` or `peer` authentication.
    public var usedPassword: Bool {
        guard let handle else { return false }
        return PQconnectionUsedPassword(handle) == 1
    }

    /// The server's process id for this session (for `pg_cancel_backend`, `pg_locks`, …).
    public var backendPID: Int32 {
        guard let handle else { return 0 }
        return PQbackendPID(handle)
    }

    /// e.g. 150018 for 15.18.
    public var serverVersion: Int32 {
        guard let handle else { return 0 }
        return PQserverVersion(handle)
    }

    /// A parameter the server reported at connection start or since (libpq's `PQparameterStatus`):
    /// `server_version`, `in_hot_standby`, `default_transaction_read_only`, … No round trip.
    public func parameterStatus(_ name: String) -> String? {
        guard let handle, let value = PQparameterStatus(handle, name) else { return nil }
        return String(cString: value)
    }

    /// Whether the server is a hot standby, from the `in_hot_standby` parameter it reports (PostgreSQL
    /// 14 and later; nil from an older server, which does not report it). No round trip.
    public var isHotStandby: Bool? {
        parameterStatus("in_hot_standby").map { $0 == "on" }
    }

    /// The handle as it is, possibly with a prefetched page in flight (only for `fetchPage`).
    func handleForPaging() -> OpaquePointer? { handle }

    /// The handle, idle: every use of the connection except `fetchPage` goes through here, so a
    /// prefetched page is always read and cleared before anything else is sent.
    func liveHandle() throws -> OpaquePointer {
        guard let handle else {
            throw PostgresError(code: .connectionFailure, message: "the connection is closed")
        }
        if prefetch != nil { discardPrefetch(handle) }
        return handle
    }

    // MARK: Queries

    /// Runs a parameterised statement and decodes each row with `decode` while the result is alive.
    public func query<T: Sendable>(
        _ sql: String, _ parameters: [any PostgresEncodable] = [],
        decode: (PostgresRow) throws -> T
    ) throws -> [T] {
        try query(sql, parameters, resultFormat: .text, decode: decode)
    }

    /// As `query`, with the result in `resultFormat` (binary: integers, `timestamptz` and `bytea`
    /// arrive as raw bytes; the row accessors read either format).
    public func query<T: Sendable>(
        _ sql: String, _ parameters: [any PostgresEncodable] = [], resultFormat: PostgresResultFormat,
        decode: (PostgresRow) throws -> T
    ) throws -> [T] {
        try withResult(sql, parameters, resultFormat: resultFormat) { result in
            let count = PQntuples(result)
            var rows: [T] = []
            rows.reserveCapacity(Int(count))
            for index in 0..<count {
                rows.append(try decode(PostgresRow(result: result, index: index)))
            }
            return rows
        }
    }

    /// The single row of a statement that must return exactly one.
    public func queryOne<T: Sendable>(
        _ sql: String, _ parameters: [any PostgresEncodable] = [],
        decode: (PostgresRow) throws -> T
    ) throws -> T {
        try queryOne(sql, parameters, resultFormat: .text, decode: decode)
    }

    /// As `queryOne`, with the result in `resultFormat`.
    public func queryOne<T: Sendable>(
        _ sql: String, _ parameters: [any PostgresEncodable] = [], resultFormat: PostgresResultFormat,
        decode: (PostgresRow) throws -> T
    ) throws -> T {
        let rows = try query(sql, parameters, resultFormat: resultFormat, decode: decode)
        guard rows.count == 1 else {
            throw PostgresError(code: .unexpectedResult, message: "expected one row, got \(rows.count)")
        }
        return rows[0]
    }

    /// Runs a parameterised statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [any PostgresEncodable] = []) throws -> Int64 {
        try withResult(sql, parameters) { result in
            guard let text = PQcmdTuples(result), text.pointee != 0 else { return 0 }
            return Int64(String(cString: text)) ?? 0
        }
    }

    /// Runs one or more statements with no parameters through the simple query protocol
    /// (for the project's own SQL files and fixed commands; never for values).
    public func simpleQuery(_ sql: String) throws {
        let connection = try liveHandle()
        guard PQsendQuery(connection, sql) == 1 else {
            throw PostgresError(code: .connectionFailure, message: PostgresError.connectionMessage(connection) ?? "send failed")
        }
        var firstError: PostgresError?
        while let result = PQgetResult(connection) {
            defer { PQclear(result) }
            let status = PQresultStatus(result)
            if status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE || status == PGRES_NONFATAL_ERROR {
                if firstError == nil { firstError = PostgresError.from(result: result, connection: connection) }
            } else if status == PGRES_COPY_IN || status == PGRES_COPY_OUT {
                Self.abandonCopy(connection, status)
                if firstError == nil {
                    firstError = PostgresError(code: .unexpectedResult, message: "COPY is not supported through simpleQuery; use copyFrom")
                }
            }
        }
        if let firstError { throw firstError }
    }

    /// Executes with parameters, checks the status, hands the live result to `body`, then clears it.
    func withResult<T>(
        _ sql: String, _ parameters: [any PostgresEncodable], resultFormat: PostgresResultFormat = .text,
        _ body: (OpaquePointer) throws -> T
    ) throws -> T {
        let connection = try liveHandle()
        let result = try ParameterBuffers(parameters).withPointers { values, lengths, formats in
            PQexecParams(connection, sql, Int32(parameters.count), nil, values, lengths, formats, resultFormat.rawValue)
        }
        guard let result else {
            throw PostgresError(code: .connectionFailure, message: PostgresError.connectionMessage(connection) ?? "no result")
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK else {
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT {
                Self.abandonCopy(connection, status)
                while let extra = PQgetResult(connection) { PQclear(extra) }
                throw PostgresError(code: .unexpectedResult, message: "COPY FROM STDIN goes through copyFrom; COPY TO STDOUT is not supported")
            }
            throw PostgresError.from(result: result, connection: connection)
        }
        return try body(result)
    }

    /// Ends a COPY the caller did not ask to stream: aborts COPY IN, drains COPY OUT.
    static func abandonCopy(_ connection: OpaquePointer, _ status: ExecStatusType) {
        if status == PGRES_COPY_IN {
            PQputCopyEnd(connection, "COPY FROM STDIN must go through copyFrom")
            return
        }
        var buffer: UnsafeMutablePointer<CChar>?
        while PQgetCopyData(connection, &buffer, 0) >= 0 {
            if let buffer { PQfreemem(buffer) }
            buffer = nil
        }
    }

    // MARK: Transactions

    /// Whether a transaction block is open on this connection.
    public var inTransaction: Bool {
        guard let handle = try? liveHandle() else { return false }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    var savepointDepth = 0

    /// Runs `body` inside BEGIN … COMMIT; any error rolls back and is rethrown.
    /// The body is synchronous and isolated to this connection, so nothing interleaves with it.
    /// Inside an open transaction it uses a savepoint instead, so an inner failure undoes only
    /// the inner work and an inner success never commits the outer transaction.
    public func transaction<T: Sendable>(
        isolation level: IsolationLevel = .readCommitted,
        _ body: @Sendable (isolated PostgresConnection) throws -> T
    ) throws -> T {
        if inTransaction {
            savepointDepth += 1
            let name = "ledger_savepoint_\(savepointDepth)"
            defer { savepointDepth -= 1 }
            try simpleQuery("SAVEPOINT \(name)")
            do {
                let value = try body(self)
                try simpleQuery("RELEASE SAVEPOINT \(name)")
                return value
            } catch {
                if isOpen { try? simpleQuery("ROLLBACK TO SAVEPOINT \(name); RELEASE SAVEPOINT \(name)") }
                throw error
            }
        }
        try simpleQuery("BEGIN ISOLATION LEVEL \(level.sql)")
        do {
            let value = try body(self)
            try simpleQuery("COMMIT")
            return value
        } catch {
            if isOpen { try? simpleQuery("ROLLBACK") }
            throw error
        }
    }

    /// Transaction isolation levels.
    public enum IsolationLevel: Sendable {
        case readCommitted, repeatableRead, serializable
        var sql: String {
            switch self {
            case .readCommitted: "READ COMMITTED"
            case .repeatableRead: "REPEATABLE READ"
            case .serializable: "SERIALIZABLE"
            }
        }
    }
}

/// C arrays for `PQexecParams`: text values NUL-terminated, binary values with lengths.
struct ParameterBuffers {
    private var storage: [UnsafeMutablePointer<CChar>?] = []
    private var lengths: [Int32] = []
    private var formats: [Int32] = []

    init(_ parameters: [any PostgresEncodable]) throws {
        for (index, parameter) in parameters.enumerated() {
            switch parameter.postgresValue {
            case .null:
                storage.append(nil)
                lengths.append(0)
                formats.append(0)
            case .text(let text):
                let utf8 = Array(text.utf8)
                guard !utf8.contains(0) else {
                    storage.forEach { $0?.deallocate() }
                    throw PostgresError(code: .invalidArgument, message: "parameter $\(index + 1) contains a NUL character, which PostgreSQL text cannot hold")
                }
                let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count + 1)
                utf8.withUnsafeBufferPointer { source in
                    if let base = source.baseAddress {
                        UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: utf8.count)
                    }
                }
                buffer[utf8.count] = 0
                storage.append(buffer)
                lengths.append(0)
                formats.append(0)
            case .binary(let bytes):
                let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
                bytes.withUnsafeBufferPointer { source in
                    if let base = source.baseAddress {
                        UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: bytes.count)
                    }
                }
                storage.append(buffer)
                lengths.append(Int32(bytes.count))
                formats.append(1)
            }
        }
    }

    func withPointers<R>(
        _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) throws -> R
    ) rethrows -> R {
        defer { storage.forEach { $0?.deallocate() } }
        let constPointers = storage.map { UnsafePointer($0) }
        return try constPointers.withUnsafeBufferPointer { values in
            try lengths.withUnsafeBufferPointer { lengthBuffer in
                try formats.withUnsafeBufferPointer { formatBuffer in
                    try body(values.baseAddress, lengthBuffer.baseAddress, formatBuffer.baseAddress)
                }
            }
        }
    }
}
