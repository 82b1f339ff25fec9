import CLibPQ
import Foundation

/// A notification delivered by `NOTIFY` / `pg_notify`.
public struct PostgresNotification: Sendable, Equatable {
    public let channel: String
    public let payload: String
    /// The server process that sent it.
    public let senderPID: Int32
}

extension PostgresConnection {
    /// `LISTEN channel`. Channel names are identifiers, which cannot be parameters, so only
    /// `[a-z_][a-z0-9_]*` (at most 63 characters) is accepted.
    public func listen(_ channel: String) throws {
        try simpleQuery("LISTEN \(try Self.checkedChannel(channel))")
    }

    public func unlisten(_ channel: String) throws {
        try simpleQuery("UNLISTEN \(try Self.checkedChannel(channel))")
    }

    static func checkedChannel(_ channel: String) throws -> String {
        let bytes = Array(channel.utf8)
        let valid = !bytes.isEmpty && bytes.count <= 63
            && bytes.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
            && !(bytes[0] >= 48 && bytes[0] <= 57)
        guard valid else {
            throw PostgresError(code: .invalidArgument, message: "channel name \(channel.debugDescription) must match [a-z_][a-z0-9_]* (at most 63 characters)")
        }
        return channel
    }

    /// Waits up to `timeoutMilliseconds` for a notification on any channel this connection listens to;
    /// nil when none arrived. Blocks only this connection's executor.
    public func waitForNotification(timeoutMilliseconds: Int32) throws -> PostgresNotification? {
        let connection = try liveHandle()
        if let pending = try nextPending(connection) { return pending }
        var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
        guard descriptor.fd >= 0 else {
            throw PostgresError(code: .connectionFailure, message: "the connection has no socket")
        }
        let ready = poll(&descriptor, 1, timeoutMilliseconds)
        if ready < 0, errno != EINTR {
            throw PostgresError(code: .connectionFailure, message: "poll failed: errno \(errno)")
        }
        return try nextPending(connection)
    }

    private func nextPending(_ connection: OpaquePointer) throws -> PostgresNotification? {
        guard PQconsumeInput(connection) == 1 else {
            throw PostgresError(code: .connectionFailure, message: PostgresError.connectionMessage(connection) ?? "connection lost")
        }
        guard let raw = PQnotifies(connection) else { return nil }
        defer { PQfreemem(raw) }
        let notify = raw.pointee
        return PostgresNotification(
            channel: String(cString: notify.relname),
            payload: notify.extra.map { String(cString: $0) } ?? "",
            senderPID: notify.be_pid
        )
    }

    /// Notifications as an async sequence; it ends when the task is cancelled.
    public nonisolated func notifications(pollMilliseconds: Int32 = 250) -> PostgresNotifications {
        PostgresNotifications(connection: self, pollMilliseconds: pollMilliseconds)
    }
}

/// Notifications from one listening connection, for `for try await`. Ends on task cancellation.
public struct PostgresNotifications: AsyncSequence, Sendable {
    public typealias Element = PostgresNotification
    let connection: PostgresConnection
    let pollMilliseconds: Int32

    public struct AsyncIterator: AsyncIteratorProtocol {
        let connection: PostgresConnection
        let pollMilliseconds: Int32

        public mutating func next() async throws -> PostgresNotification? {
            while !Task.isCancelled {
                if let notification = try await connection.waitForNotification(timeoutMilliseconds: pollMilliseconds) {
                    return notification
                }
            }
            return nil
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(connection: connection, pollMilliseconds: pollMilliseconds)
    }
}
