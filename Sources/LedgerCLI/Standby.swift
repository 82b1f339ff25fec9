import EventStore
import Foundation
import Ledger
import Postgres
import Synchronization

/// Reading from a hot standby: every connection `ConnectionOptions.connect` opens is checked (free
/// on a primary: the server reports `in_hot_standby` itself), and on a standby one line on stderr
/// says, once per run, how far behind it is. `status` and `audit verify --format json` show the
/// same status; write commands there are refused with `refusal`.
enum StandbyReading {
    private static let state = Mutex<(noticed: Bool, status: StandbyStatus?)>((false, nil))

    /// What the first standby connection of this run saw (nil on a primary).
    static var current: StandbyStatus? { state.withLock { $0.status } }

    /// Called after every connection: on a standby, reads its status and, the first time in this
    /// run, says it on stderr. Returns the status (nil on a primary).
    @discardableResult
    static func notice(_ connection: PostgresConnection) async throws -> StandbyStatus? {
        guard await connection.isHotStandby != false else { return nil }
        guard let status = try await StandbyStatus.read(connection) else { return nil }
        let first = state.withLock { state in
            defer { state = (true, state.status ?? status) }
            return !state.noticed
        }
        if first { Output.message("ledger: " + line(status)) }
        return status
    }

    /// The line for people, e.g. "reading from a standby: it has replayed the log up to position
    /// 31 (head hash ea26cfd6…); replay lag 0.4 s, 1,234 bytes received but not yet replayed".
    static func line(_ status: StandbyStatus) -> String {
        var parts: [Message] = []
        if let position = status.headPosition, let hash = status.headHash {
            parts.append(Message("reading from a standby: it has replayed the log up to position {0} (head hash {1}…)",
                                 .text(String(position)), .text(String(hash.prefix(16)))))
        } else {
            parts.append(Message("reading from a standby (this role may not read the log's head)"))
        }
        if status.bytesNotReplayed > 0 {
            parts.append(Message("replay lag {0} s, {1} bytes received but not yet replayed",
                                 .text(seconds(status.replayLagMilliseconds)), .number(status.bytesNotReplayed)))
        } else {
            parts.append(Message("everything it has received is replayed"))
        }
        if status.replayPaused { parts.append(Message("replay is paused")) }
        if !status.receiving {
            parts.append(Message("it is not receiving from a primary (its primary is down or unreachable): it may be further behind than it can tell"))
        }
        return parts.map(Output.text).joined(separator: "; ")
    }

    /// Milliseconds as seconds with one decimal, in the language's decimal mark.
    static func seconds(_ milliseconds: Int64) -> String {
        let text = String(format: "%.1f", Double(milliseconds) / 1000)
        return Output.language == .vi ? text.replacingOccurrences(of: ".", with: ",") : text
    }

    /// On a standby, makes sure it has replayed the log through `position` (a kept digest's or tree
    /// head's): waits up to `wait` seconds when asked, then, if it still has not, says so and exits
    /// 75 (EX_TEMPFAIL) — a standby behind is not a log tampered with. Returns the standby's status
    /// (nil on a primary).
    @discardableResult
    static func awaitReplay(
        of position: Int64?, flag: String, on connection: PostgresConnection, wait: Double?, canWait: Bool = true
    ) async throws -> StandbyStatus? {
        guard var status = try await StandbyStatus.read(connection) else { return nil }
        if let position, let head = status.headPosition, head < position {
            if let wait, wait > 0 {
                Output.message("ledger: " + Output.text(Message("waiting up to {0} s for this standby to replay position {1}",
                                                                .text(seconds(Int64(wait * 1000))), .text(String(position)))))
                status = try await StandbyStatus.waitForPosition(position, on: connection, timeout: wait) ?? status
            }
            if let head = status.headPosition, head < position {
                let advice = wait == nil && !canWait
                    ? Message("try again later, or run it against the primary")
                    : Message("wait (--wait SECONDS), or verify against the primary")
                Output.message("\(Output.errorPrefix) " + Output.text(Message(
                    "{0}: this standby has replayed the log up to position {1}; the digest is of position {2}: not yet replayed here — {3}",
                    .text(flag), .text(String(head)), .text(String(position)), .message(advice))))
                throw CommandFailure(exitCode: ExitStatus.notYetReplayed)
            }
        }
        return status
    }

    /// Whether `error` is the server refusing a write because it is read-only (a hot standby):
    /// SQLSTATE 25006, from the connection or inside the event store's error.
    static func isReadOnlyRefusal(_ error: any Error) -> Bool {
        switch error {
        case let error as PostgresError: error.code == .readOnlySQLTransaction
        case let error as EventStoreError: error.underlying?.code == .readOnlySQLTransaction
        default: false
        }
    }

    /// The message for a write refused by a standby.
    static var refusal: Message {
        Message("this server is a standby (read-only): writes go to the primary — name it, or use target_session_attrs=read-write in a multi-host connection string")
    }
}

extension ConnectionOptions {
    /// For a command that writes through connections of its own (`projections run`, `rebuild`):
    /// refuses a hot standby before starting, naming what it would have written.
    func refuseStandby(_ what: String) async throws {
        let probe = try await connect()
        let standby: Bool
        if let reported = await probe.isHotStandby {
            standby = reported
        } else {
            standby = try await StandbyStatus.read(probe) != nil
        }
        await probe.close()
        if standby { throw CommandError("\(what): \(Output.text(StandbyReading.refusal))") }
    }
}
