import Foundation

/// A stream's identifier, e.g. `application-A1`. The database enforces the alphabet and length
/// (see `ledger.limits()`); this type only names the concept.
public struct StreamID: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringInterpolation {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }
}

/// What the writer believes about a stream's version; checked under the append lock.
public enum ExpectedVersion: Sendable, Equatable, CustomStringConvertible {
    /// No check.
    case any
    /// The stream must not exist yet.
    case noStream
    /// The stream must exist, at any version.
    case streamExists
    /// The stream must be exactly at this version (0 means it does not exist yet).
    case exactly(Int64)

    /// The form the append function takes: `"any"`, `"no_stream"`, `"stream_exists"` or an integer.
    var jsonValue: String {
        switch self {
        case .any: "\"any\""
        case .noStream: "\"no_stream\""
        case .streamExists: "\"stream_exists\""
        case .exactly(let version): String(version)
        }
    }

    public var description: String {
        switch self {
        case .any: "any"
        case .noStream: "no stream"
        case .streamExists: "stream exists"
        case .exactly(let version): "version \(version)"
        }
    }
}

/// An event to append: its type, schema version, and payload and metadata as JSON object text.
public struct NewEvent: Sendable, Equatable {
    public let type: String
    public let schemaVersion: Int
    /// A JSON object, as text.
    public let payloadJSON: String
    /// A JSON object, as text. `actor` and `command_id` are set by the database and cannot be supplied.
    public let metadataJSON: String

    /// From JSON text, checked here to be one JSON object so it can never alter the batch around it.
    public init(type: String, schemaVersion: Int = 1, payloadJSON: String, metadataJSON: String = "{}") throws {
        try Self.requireObject(payloadJSON, field: "payload")
        try Self.requireObject(metadataJSON, field: "metadata")
        self.init(type: type, schemaVersion: schemaVersion, trustedPayload: payloadJSON, trustedMetadata: metadataJSON)
    }

    /// From an `Encodable` payload (encoded with sorted keys; JSONEncoder output needs no re-check).
    public init(type: String, schemaVersion: Int = 1, payload: some Encodable, metadata: [String: String] = [:]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let payloadText = String(decoding: try encoder.encode(payload), as: UTF8.self)
        guard payloadText.first == "{" else {
            throw EventStoreError(code: .invalidPayload, message: "payload: must encode to a JSON object")
        }
        let metadataText = String(decoding: try encoder.encode(metadata), as: UTF8.self)
        self.init(type: type, schemaVersion: schemaVersion, trustedPayload: payloadText, trustedMetadata: metadataText)
    }

    private init(type: String, schemaVersion: Int, trustedPayload: String, trustedMetadata: String) {
        self.type = type
        self.schemaVersion = schemaVersion
        self.payloadJSON = trustedPayload
        self.metadataJSON = trustedMetadata
    }

    static func requireObject(_ text: String, field: String) throws {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            throw EventStoreError(code: .invalidJSON, message: "\(field): invalid JSON (\(text.prefix(40))…)")
        }
        guard object is [String: Any] else {
            throw EventStoreError(code: field == "payload" ? .invalidPayload : .invalidMetadata, message: "\(field): must be a JSON object")
        }
    }
}

/// Events for one stream within an append, with the version the writer expects it to be at.
public struct StreamAppend: Sendable, Equatable {
    public let stream: StreamID
    public let expectedVersion: ExpectedVersion
    public let events: [NewEvent]

    public init(stream: StreamID, expectedVersion: ExpectedVersion, events: [NewEvent]) {
        self.stream = stream
        self.expectedVersion = expectedVersion
        self.events = events
    }
}

/// What an append recorded (or, for a replayed command, had recorded the first time).
public struct AppendResult: Sendable, Equatable, Decodable {
    public struct StreamVersion: Sendable, Equatable, Decodable {
        public let streamID: StreamID
        /// The stream's version after the append.
        public let version: Int64
        /// The position of this stream's first event in the append.
        public let firstPosition: Int64

        public init(streamID: StreamID, version: Int64, firstPosition: Int64) {
            self.streamID = streamID
            self.version = version
            self.firstPosition = firstPosition
        }

        enum CodingKeys: String, CodingKey {
            case streamID = "stream_id", version, firstPosition = "first_position"
        }
    }

    public let commandID: String
    public let firstPosition: Int64
    public let lastPosition: Int64
    public let recordedAtMicroseconds: Int64
    public let streams: [StreamVersion]
    /// True when the command id had been recorded before with the same content: nothing was appended.
    public let replayed: Bool

    enum CodingKeys: String, CodingKey {
        case commandID = "command_id", firstPosition = "first_position", lastPosition = "last_position"
        case recordedAtMicroseconds = "recorded_at_micros", streams, replayed
    }
}

/// An event as stored, with its place in the log and in the hash chain.
public struct RecordedEvent: Sendable, Equatable {
    /// Global, gapless, commit-ordered position (1, 2, 3, …).
    public let position: Int64
    public let streamID: StreamID
    /// The event's version within its stream (1, 2, 3, …).
    public let streamVersion: Int64
    public let type: String
    public let schemaVersion: Int
    /// PostgreSQL's jsonb text of the payload — exactly the bytes the hash covers.
    public let payloadJSON: String
    /// PostgreSQL's jsonb text of the metadata, including `actor` and `command_id`.
    public let metadataJSON: String
    public let commandID: String
    /// Recording time, set by the database, in microseconds since the Unix epoch.
    public let recordedAtMicroseconds: Int64
    public let previousHash: [UInt8]
    public let hash: [UInt8]

    public init(
        position: Int64, streamID: StreamID, streamVersion: Int64, type: String, schemaVersion: Int,
        payloadJSON: String, metadataJSON: String, commandID: String, recordedAtMicroseconds: Int64,
        previousHash: [UInt8], hash: [UInt8]
    ) {
        self.position = position
        self.streamID = streamID
        self.streamVersion = streamVersion
        self.type = type
        self.schemaVersion = schemaVersion
        self.payloadJSON = payloadJSON
        self.metadataJSON = metadataJSON
        self.commandID = commandID
        self.recordedAtMicroseconds = recordedAtMicroseconds
        self.previousHash = previousHash
        self.hash = hash
    }

    public var recordedAt: Date { Date(timeIntervalSince1970: Double(recordedAtMicroseconds) / 1_000_000) }

    /// The database role that appended the event (`session_user` at the time).
    public var actor: String? {
        // Read on every event of a replay: the small parser, not JSONSerialization; a top-level
        // key only (client metadata may nest other "actor" keys, never at the top).
        guard case .object(let fields)? = MiniJSON.parse(metadataJSON) else {
            // Something the small parser does not read (a fraction in client metadata, say).
            guard let object = try? JSONSerialization.jsonObject(with: Data(metadataJSON.utf8)) as? [String: Any] else { return nil }
            return object["actor"] as? String
        }
        for (key, value) in fields where key == "actor" {
            if case .string(let actor) = value { return actor }
        }
        return nil
    }

    /// Decodes the payload.
    public func decodePayload<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(payloadJSON.utf8))
    }
}

/// Position and head hash: what an auditor keeps to prove later that history up to it is unchanged.
public struct Digest: Sendable, Equatable, Codable {
    public let position: Int64
    /// Lowercase hex of the hash at `position` (64 zeros for an empty log).
    public let hash: String

    public init(position: Int64, hash: String) {
        self.position = position
        self.hash = hash.lowercased()
    }
}

/// The store's head and size.
public struct StoreStatus: Sendable, Equatable {
    public let headPosition: Int64
    public let headHash: String
    public let events: Int64
    public let streams: Int64
    /// Recording time of the newest event, if any.
    public let lastRecordedAtMicroseconds: Int64?
}

/// A command the store recorded: what `append` returned for it, who sent it, and the metadata of
/// its first event.
public struct RecordedCommand: Sendable, Equatable {
    public let result: AppendResult
    public let actor: String
    /// jsonb text of the first event's metadata (`actor`, `command_id`, and what the client added).
    public let firstEventMetadataJSON: String

    public init(result: AppendResult, actor: String, firstEventMetadataJSON: String) {
        self.result = result
        self.actor = actor
        self.firstEventMetadataJSON = firstEventMetadataJSON
    }
}
