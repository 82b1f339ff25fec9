import CLibPQ

extension PostgresError {
    /// Whether the error says an open connection was lost (the server crashed, was stopped or
    /// restarted, or the network dropped), as opposed to a server's refusal or a connection that
    /// could not be made at all: libpq's own client-side failure once connected, a SQLSTATE of
    /// class 08, or a server ending the session (`admin_shutdown`, `crash_shutdown`).
    public var isConnectionLost: Bool {
        if code.rawValue == "57P01" || code.rawValue == "57P02" { return true }
        guard code.rawValue.hasPrefix("08") else { return false }
        return !message.hasPrefix(PostgresError.cannotConnectPrefix)
    }

    /// How `PostgresConnection.connect` begins the message of a connection it could not open.
    static let cannotConnectPrefix = "cannot connect to PostgreSQL"

    /// libpq's reason on one line ("server closed the connection unexpectedly").
    public var firstLine: String {
        String(message.split(separator: "\n", omittingEmptySubsequences: true).first ?? Substring(message))
            .trimmingCharacters(in: .whitespaces)
    }
}

extension PostgresConnection {
    /// Reconnects a connection that was lost with the same parameters (libpq's `PQreset`): the
    /// same hosts tried in the same order, the same `target_session_attrs`, the same role and
    /// password — so after a failover a multi-host connection string finds the promoted standby.
    /// The session is set up again as `connect` does (UTC, ISO dates, UTF-8). Throws
    /// `connectionFailure` when no server that fits could be reached.
    public func reset() throws {
        let connection = try handleForReset()
        PQreset(connection)
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = PostgresError.connectionMessage(connection) ?? "connection failed"
            throw PostgresError(code: .connectionFailure, message: "\(PostgresError.cannotConnectPrefix) again: \(reason)")
        }
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        try setUpSession()
    }
}
