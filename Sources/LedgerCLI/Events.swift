import ArgumentParser
import EventStore
import Foundation

/// `ledger events …`: low-level access to the log for admins (the domain commands come later).
struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Append raw events or list the log (admin and diagnostics).",
        subcommands: [Append.self, List.self]
    )

    struct Append: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Append one event to a stream.")

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "Stream id, e.g. note-1.") var stream: String
        @Option(help: "Event type, e.g. NoteWritten.") var type: String
        @Option(help: "Payload: a JSON object.") var payload: String
        @Option(help: "Schema version of the payload.") var schemaVersion: Int = 1
        @Option(help: "any, no_stream, stream_exists, or a version number.") var expectedVersion: String = "any"
        @Option(help: "Idempotency key (default: a new UUID).") var commandId: String?

        func run() async throws {
            try await reportingErrors {
                let expected = try Self.parseExpectedVersion(expectedVersion)
                let event: NewEvent
                do {
                    event = try NewEvent(type: type, schemaVersion: schemaVersion, payloadJSON: payload)
                } catch let error as EventStoreError {
                    throw CommandError("--payload: \(Self.afterColon(error.message))")
                }
                let store = EventStore(connection: try await connection.connect())
                let commandID = commandId ?? UUID().uuidString.lowercased()
                let result: AppendResult
                do {
                    result = try await store.append([event], to: StreamID(stream), expectedVersion: expected, commandID: commandID)
                } catch let error as EventStoreError {
                    // Name the flag the user typed rather than the batch field it became.
                    switch error.code {
                    case .invalidStreamID: throw CommandError("--stream: \(Self.afterColon(error.message))")
                    case .invalidEventType: throw CommandError("--type: \(Self.afterColon(error.message))")
                    case .invalidPayload: throw CommandError("--payload: \(Self.afterColon(error.message))")
                    case .invalidCommandID: throw CommandError("--command-id: \(Self.afterColon(error.message))")
                    default: throw error
                    }
                }
                if result.replayed { Output.message("command \(commandID) was already recorded; nothing appended") }
                switch output.format {
                case .json:
                    Output.data(try Output.json(AppendDocument(
                        commandID: commandID, position: result.firstPosition, stream: stream,
                        streamVersion: result.streams.first?.version ?? 0, replayed: result.replayed
                    )))
                case .table:
                    Output.data(Output.keyValues([
                        ("command id", commandID), ("position", String(result.firstPosition)),
                        ("stream", stream), ("stream version", String(result.streams.first?.version ?? 0)),
                    ]))
                }
            }
        }

        /// `batch[0].stream_id: must match …` → `must match …`.
        static func afterColon(_ message: String) -> String {
            guard let range = message.range(of: ": ") else { return message }
            return String(message[range.upperBound...])
        }

        struct AppendDocument: Encodable {
            let commandID: String
            let position: Int64
            let stream: String
            let streamVersion: Int64
            let replayed: Bool

            enum CodingKeys: String, CodingKey {
                case commandID = "command_id", position, stream, streamVersion = "stream_version", replayed
            }
        }

        static func parseExpectedVersion(_ text: String) throws -> ExpectedVersion {
            switch text {
            case "any": return .any
            case "no_stream": return .noStream
            case "stream_exists": return .streamExists
            default:
                guard let version = Int64(text), version >= 0 else {
                    throw CommandError("--expected-version: \(text.debugDescription) is not any, no_stream, stream_exists or a version number ≥ 0")
                }
                return .exactly(version)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List events of the log or of one stream.")

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "Only this stream.") var stream: String?
        @Option(help: "Start after this position (or, with --stream, after this version).") var after: Int64 = 0
        @Option(help: "At most this many events.") var limit: Int = 100
        @Option(help: ArgumentHelp(
            "Only the events of this command id (as `command id` in a write's output): none means the command is not recorded.",
            discussion: "After a failover or a lost connection, this tells whether a command is in the log; running the same command again is safe either way."
        ))
        var commandId: String?

        func validate() throws {
            if let commandId, commandId.trimmingCharacters(in: .whitespaces).isEmpty {
                throw ValidationError("--command-id: is empty; give the command id a write printed (`command id: …`)")
            }
            if commandId != nil, stream != nil || after != 0 { throw ValidationError("--command-id: give it alone, without --stream or --after") }
            guard limit > 0, limit <= 100_000 else { throw ValidationError("--limit: must be between 1 and 100000") }
            guard after >= 0 else { throw ValidationError("--after: must be ≥ 0") }
        }

        func run() async throws {
            try await reportingErrors {
                let store = EventStore(connection: try await connection.connect())
                let events = if let commandId {
                    Array(try await store.readEvents(commandID: commandId).prefix(limit))
                } else if let stream {
                    try await store.readStream(StreamID(stream), from: after + 1, limit: limit)
                } else {
                    try await store.readPage(after: after, limit: limit)
                }
                if let commandId, events.isEmpty {
                    Output.message("ledger: no events under command id \(commandId): that command is not recorded")
                }
                switch output.format {
                case .json:
                    let lines = events.map { event in
                        "{\"position\":\(event.position),\"stream_id\":\(EventStoreJSON.string(event.streamID.rawValue)),"
                            + "\"stream_version\":\(event.streamVersion),\"type\":\(EventStoreJSON.string(event.type)),"
                            + "\"schema_version\":\(event.schemaVersion),\"recorded_at\":\(EventStoreJSON.string(Output.jsonTimestamp(event.recordedAtMicroseconds))),"
                            + "\"payload\":\(event.payloadJSON),\"metadata\":\(event.metadataJSON),\"hash\":\"\(EventHashing.hex(event.hash))\"}"
                    }
                    Output.data("[" + lines.joined(separator: ",\n") + "]")
                case .table:
                    Output.data(Output.table(
                        ["position", "stream", "version", "type", "recorded at", "actor", "payload"],
                        events.map {
                            [String($0.position), $0.streamID.rawValue, String($0.streamVersion), $0.type,
                             Output.timestamp($0.recordedAtMicroseconds), $0.actor ?? "-", String($0.payloadJSON.prefix(60))]
                        }
                    ))
                }
            }
        }
    }
}
