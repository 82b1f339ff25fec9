import Foundation

extension AppendResult {
    /// Reads the append function's reply (jsonb text) with a small parser for its fixed shape:
    /// objects, arrays, strings, integers and booleans. Anything it does not expect (another
    /// shape, a fraction, a missing key) goes to `JSONDecoder`, which decodes it or says what is
    /// wrong; the two agree on every reply the function makes (see the tests).
    static func parse(_ text: UnsafeBufferPointer<UInt8>) throws -> AppendResult {
        var parser = MiniJSON(text)
        if let value = parser.document(), let result = AppendResult(json: value) { return result }
        do {
            return try JSONDecoder().decode(AppendResult.self, from: Data(text))
        } catch {
            throw EventStoreError(code: .database, message: "cannot read the append function's reply: \(error)")
        }
    }

    init?(json: MiniJSON.Value) {
        guard case .object(let fields) = json else { return nil }
        var commandID: String?
        var firstPosition: Int64?
        var lastPosition: Int64?
        var recordedAt: Int64?
        var streams: [StreamVersion]?
        var replayed: Bool?
        for (key, value) in fields {
            switch (key, value) {
            case ("command_id", .string(let text)): commandID = text
            case ("first_position", .integer(let number)): firstPosition = number
            case ("last_position", .integer(let number)): lastPosition = number
            case ("recorded_at_micros", .integer(let number)): recordedAt = number
            case ("replayed", .bool(let flag)): replayed = flag
            case ("streams", .array(let items)):
                var parsed: [StreamVersion] = []
                parsed.reserveCapacity(items.count)
                for item in items {
                    guard let stream = StreamVersion(json: item) else { return nil }
                    parsed.append(stream)
                }
                streams = parsed
            default: continue  // JSONDecoder ignores unknown keys too; a known key of another type is nil below
            }
        }
        guard let commandID, let firstPosition, let lastPosition, let recordedAt, let streams, let replayed else { return nil }
        self.init(
            commandID: commandID, firstPosition: firstPosition, lastPosition: lastPosition,
            recordedAtMicroseconds: recordedAt, streams: streams, replayed: replayed
        )
    }
}

extension AppendResult.StreamVersion {
    init?(json: MiniJSON.Value) {
        guard case .object(let fields) = json else { return nil }
        var streamID: String?
        var version: Int64?
        var firstPosition: Int64?
        for (key, value) in fields {
            switch (key, value) {
            case ("stream_id", .string(let text)): streamID = text
            case ("version", .integer(let number)): version = number
            case ("first_position", .integer(let number)): firstPosition = number
            default: continue
            }
        }
        guard let streamID, let version, let firstPosition else { return nil }
        self.init(streamID: StreamID(streamID), version: version, firstPosition: firstPosition)
    }
}
