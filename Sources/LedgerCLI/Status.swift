import ArgumentParser
import EventStore

/// `ledger status`: the log's head and size.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the head position, head hash, and numbers of events and streams.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingErrors {
            let store = EventStore(connection: try await connection.connect())
            let status = try await store.status()
            switch output.format {
            case .json:
                Output.data(try Output.json(StatusDocument(
                    headPosition: status.headPosition, headHash: status.headHash, events: status.events,
                    streams: status.streams, lastRecordedAt: status.lastRecordedAtMicroseconds.map { Output.jsonTimestamp($0) },
                    standby: StandbyReading.current
                )))
            case .table:
                var pairs = [
                    ("head position", String(status.headPosition)),
                    ("head hash", status.headHash),
                    ("events", Output.grouped(status.events)),
                    ("streams", Output.grouped(status.streams)),
                    ("last recorded at", Output.timestamp(status.lastRecordedAtMicroseconds)),
                ]
                if let standby = StandbyReading.current { pairs.append(("server", StandbyReading.line(standby))) }
                Output.data(Output.keyValues(pairs))
            }
        }
    }

    struct StatusDocument: Encodable {
        let headPosition: Int64
        let headHash: String
        let events: Int64
        let streams: Int64
        let lastRecordedAt: String?
        /// On a hot standby, how far behind it is (absent on a primary).
        let standby: StandbyStatus?

        enum CodingKeys: String, CodingKey {
            case headPosition = "head_position", headHash = "head_hash", events, streams, lastRecordedAt = "last_recorded_at", standby
        }
    }
}
