import EventStore
import Foundation
import Postgres

/// Who did what, when: the events behind one stream or one beneficiary, in position order, each
/// with its recording time, the role that recorded it, the command it came from and its business
/// date.
public struct HistoryEntry: Sendable, Equatable, Encodable {
    public let position: Int64
    public let streamID: String
    public let streamVersion: Int64
    public let type: String
    /// When the database recorded it (microseconds since 1970, UTC).
    public let recordedAtMicroseconds: Int64
    /// The PostgreSQL role that appended it (set by the database).
    public let actor: String
    public let commandID: String
    /// The command kind (`payment`, `approve`, …) when the ledger's command handler recorded it.
    public let command: String?
    /// The business date the event states (`paid_on`, `decided_on`, …), if it has one.
    public let businessDate: String?
    public let businessDateField: String?
    /// The payload as stored (jsonb text).
    public let payloadJSON: String

    enum CodingKeys: String, CodingKey {
        case position, streamID = "stream_id", streamVersion = "stream_version", type = "event_type"
        case recordedAtMicroseconds = "recorded_at_micros", recordedAt = "recorded_at", actor, commandID = "command_id", command
        case businessDate = "business_date", businessDateField = "business_date_field", payload
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(position, forKey: .position)
        try container.encode(streamID, forKey: .streamID)
        try container.encode(streamVersion, forKey: .streamVersion)
        try container.encode(type, forKey: .type)
        try container.encode(recordedAtMicroseconds, forKey: .recordedAtMicroseconds)
        try container.encode(VietnamTime.rfc3339(microsecondsSinceEpoch: recordedAtMicroseconds), forKey: .recordedAt)
        try container.encode(actor, forKey: .actor)
        try container.encode(commandID, forKey: .commandID)
        try container.encode(command, forKey: .command)
        try container.encode(businessDate, forKey: .businessDate)
        try container.encode(businessDateField, forKey: .businessDateField)
        try container.encode(JSONText(payloadJSON), forKey: .payload)
    }

    init(_ event: RecordedEvent) {
        position = event.position
        streamID = event.streamID.rawValue
        streamVersion = event.streamVersion
        type = event.type
        recordedAtMicroseconds = event.recordedAtMicroseconds
        actor = event.actor ?? ""
        commandID = event.commandID
        let metadata = (try? JSONSerialization.jsonObject(with: Data(event.metadataJSON.utf8))) as? [String: Any]
        command = metadata?["command"] as? String
        let payload = (try? JSONSerialization.jsonObject(with: Data(event.payloadJSON.utf8))) as? [String: Any]
        // The business date: the payload's first `…_on` field in a fixed order of preference.
        let field = Self.businessDateFields.first { payload?[$0] is String }
        businessDateField = field
        businessDate = field.flatMap { payload?[$0] as? String }
        payloadJSON = event.payloadJSON
    }

    /// Business-date fields of the domain's events, most specific first.
    static let businessDateFields = [
        "paid_on", "reversed_on", "disbursed_on", "decided_on", "withdrawn_on", "closed_on", "written_off_on",
        "settled_on", "submitted_on", "amended_on", "effective_from",
    ]
}

/// Encodes stored JSON text as the JSON value it is.
struct JSONText: Encodable {
    let text: String
    init(_ text: String) { self.text = text }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value = try? JSONDecoder().decode(AnyJSON.self, from: Data(text.utf8)) {
            try container.encode(value)
        } else {
            try container.encode(text)
        }
    }
}

/// Any JSON value, decoded and encoded again (numbers kept as integers where they are).
indirect enum AnyJSON: Codable {
    case null, bool(Bool), integer(Int64), number(Double), string(String), array([AnyJSON]), object([String: AnyJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int64.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([AnyJSON].self) { self = .array(value) }
        else { self = .object(try container.decode([String: AnyJSON].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension LedgerService {
    /// The history of one stream, in order.
    public func history(stream: String) async throws -> [HistoryEntry] {
        try await store.readEvents(ofStreams: [StreamID(stream)]).map(HistoryEntry.init)
    }

    /// The history of a beneficiary: their own stream, every application submitted for them, and
    /// every loan opened on those applications, merged in position order. Empty when the
    /// beneficiary was never registered and nothing names them.
    public func history(beneficiary id: String) async throws -> [HistoryEntry] {
        let beneficiary = try Identifier.validated(id, field: "--beneficiary")
        let applications = try await connection.query("""
            SELECT stream_id FROM ledger.events
            WHERE event_type = 'ApplicationSubmitted' AND payload ->> 'beneficiary_id' = $1
            """, [beneficiary]) { try $0.string(0) }
        let loans = applications.isEmpty ? [] : try await connection.query("""
            SELECT payload ->> 'loan_id' FROM ledger.events WHERE event_type = 'LoanOpened' AND stream_id = ANY($1)
            """, [PostgresValue.textArray(applications)]) { try $0.string(0) }.map(Streams.loan)
        let streams = [Streams.beneficiary(beneficiary)] + applications + loans
        return try await store.readEvents(ofStreams: streams.map { StreamID($0) }).map(HistoryEntry.init)
    }
}
