import Postgres

/// The connection was lost while a command's events were being appended (the server crashed or
/// was stopped, a failover): the command may or may not be recorded. `commandID` says which to
/// look for (`ledger events list --command-id`); running the same command again is safe, as it
/// has the same id.
public struct CommandConnectionLost: Error, Sendable, CustomStringConvertible {
    public let commandID: String
    public let underlying: PostgresError

    public init(commandID: String, underlying: PostgresError) {
        self.commandID = commandID
        self.underlying = underlying
    }

    public var description: String {
        "the connection to the database server was lost while command \(commandID) was being recorded (\(underlying.firstLine))"
    }
}
