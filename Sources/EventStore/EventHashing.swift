import Crypto

/// The hash chain, re-implemented from `docs/audit.md` independently of the database's
/// `ledger.event_canonical_text` / `ledger.event_hash`, so a verify does not trust the server's arithmetic.
public enum EventHashing {
    /// The hash before position 1: 32 zero bytes.
    public static let genesisHash = [UInt8](repeating: 0, count: 32)

    /// `ledger-event-v1`, then position, stream id, stream version, type, schema version,
    /// recorded-at microseconds, payload jsonb text and metadata jsonb text, joined by `\n`.
    public static func canonicalText(of event: RecordedEvent) -> String {
        "ledger-event-v1\n\(event.position)\n\(event.streamID.rawValue)\n\(event.streamVersion)\n\(event.type)\n"
            + "\(event.schemaVersion)\n\(event.recordedAtMicroseconds)\n\(event.payloadJSON)\n\(event.metadataJSON)"
    }

    /// sha256(previous hash ‖ UTF-8 of the canonical text).
    public static func hash(previous: [UInt8], canonicalText: String) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(data: Array(canonicalText.utf8))
        return Array(hasher.finalize())
    }

    public static func hash(of event: RecordedEvent, previous: [UInt8]) -> [UInt8] {
        hash(previous: previous, canonicalText: canonicalText(of: event))
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Parses lowercase or uppercase hex; nil if malformed.
    public static func bytes(hex: String) -> [UInt8]? {
        let text = Array(hex.utf8)
        guard text.count % 2 == 0 else { return nil }
        var output = [UInt8]()
        output.reserveCapacity(text.count / 2)
        var index = 0
        while index < text.count {
            guard let high = nibble(text[index]), let low = nibble(text[index + 1]) else { return nil }
            output.append(high << 4 | low)
            index += 2
        }
        return output
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: byte - 48
        case 97...102: byte - 87
        case 65...70: byte - 55
        default: nil
        }
    }
}
