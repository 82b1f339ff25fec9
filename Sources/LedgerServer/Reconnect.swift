import EventStore
import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import Postgres

/// A session whose database connection was lost — the server restarted, or the primary failed
/// and a standby was promoted — is reconnected in place: libpq's `PQreset` opens it again with the
/// same parameters (the person's role and password, the same multi-host connection string with
/// `target_session_attrs`), so it finds whichever server accepts it now, and the person stays
/// signed in. The request that found the connection broken is run again once when that is safe:
/// a read (GET, HEAD) always; a write of the API (`write`) because it carries a command id (the
/// client's `Idempotency-Key`, or one derived from the command's content), so a write that was
/// recorded before the connection dropped is answered as a replay, never recorded twice. Any other
/// request is answered 503 `connection_lost` (send it again), and 503 `database_unavailable` while
/// no server can be reached (a failover in progress).
extension LedgerServer {
    /// The lost connection behind `error`, if that is what it is.
    static func lostConnection(_ error: any Error) -> PostgresError? {
        switch error {
        case let error as PostgresError: error.isConnectionLost ? error : nil
        case let error as EventStoreError: error.underlying.flatMap { $0.isConnectionLost ? $0 : nil }
        case let error as CommandConnectionLost: error.underlying
        default: nil
        }
    }

    /// Reconnects the session's connection after `lost`; throws 503 when no server could be reached.
    func reconnect(_ session: Session, after lost: PostgresError) async throws {
        logger.notice("a session's database connection was lost; reconnecting",
                      metadata: ["user": "\(session.user)", "error": "\(lost.firstLine)"])
        do {
            // Another request of the same session may have reopened it already.
            if await !session.connection.isOpen { try await session.connection.reset() }
        } catch {
            logger.error("could not reconnect a session", metadata: ["user": "\(session.user)", "error": "\(error)"])
            throw Problem(
                .serviceUnavailable, code: "database_unavailable", title: "The database is not reachable",
                detail: "the connection to the database was lost and no server accepts it yet (a failover may be in progress); "
                    + "try again shortly: you stay signed in",
                retryAfter: 2
            )
        }
    }

    /// Runs `body`; when it finds the connection lost, reconnects and runs it once more if
    /// `retry`, else answers 503 `connection_lost`.
    func reconnecting<T: Sendable>(_ session: Session, retry: Bool, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            guard let lost = Self.lostConnection(error) else { throw error }
            try await reconnect(session, after: lost)
            guard retry else {
                throw Problem(
                    .serviceUnavailable, code: "connection_lost", title: "The connection to the database was lost",
                    detail: "the connection to the database was lost during the request and has been opened again; "
                        + "it may or may not have been recorded: send it again",
                    retryAfter: 1
                )
            }
            return try await body()
        }
    }
}
