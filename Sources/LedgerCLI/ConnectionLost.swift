import EventStore
import Ledger
import Postgres

/// A command whose connection was lost part way (the server crashed or was stopped, a failover):
/// said as such, with what to do, rather than as libpq's raw message.
enum ConnectionLost {
    /// The lost connection behind `error`, if that is what it is, and the command id being
    /// recorded when it was lost (when it was lost while appending).
    static func underlying(_ error: any Error) -> (lost: PostgresError, commandID: String?)? {
        if let error = error as? CommandConnectionLost { return (error.underlying, error.commandID) }
        let lost: PostgresError? = switch error {
        case let error as PostgresError: error.isConnectionLost ? error : nil
        case let error as EventStoreError: error.underlying.flatMap { $0.isConnectionLost ? $0 : nil }
        default: nil
        }
        return lost.map { ($0, nil) }
    }

    /// The message: lost, possibly recorded, and safe to run again (a write's command id is the
    /// same when the same command runs again, so nothing is recorded twice; a read changes nothing).
    static func text(_ lost: (lost: PostgresError, commandID: String?)) -> String {
        var text = Output.text(Message(
            "the connection to the database server was lost before the command finished ({0}); it may or may not have been recorded. "
                + "Running it again is safe: the same command has the same command id and is never recorded twice.",
            .text(lost.lost.firstLine)
        ))
        if let commandID = lost.commandID {
            text += " " + Output.text(Message("Command id: {0} (`ledger events list --command-id {0}` shows whether it is recorded).", .text(commandID)))
        }
        return text
    }
}
