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
        var text = canonicalText
        text.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        return Array(hasher.finalize())
    }

    /// The event's hash: the same bytes as `hash(previous:canonicalText:)` of `canonicalText(of:)`,
    /// fed to SHA-256 from the fields themselves, without making the text.
    public static func hash(of event: RecordedEvent, previous: [UInt8]) -> [UInt8] {
        var streamID = event.streamID.rawValue
        var type = event.type
        var payload = event.payloadJSON
        var metadata = event.metadataJSON
        let result = previous.withUnsafeBytes { (previous) -> SHA256.Digest in
            streamID.withUTF8 { (streamID) -> SHA256.Digest in
                type.withUTF8 { (type) -> SHA256.Digest in
                    payload.withUTF8 { (payload) -> SHA256.Digest in
                        metadata.withUTF8 { (metadata) -> SHA256.Digest in
                            digest(
                                previous: previous, position: event.position, streamID: streamID,
                                streamVersion: event.streamVersion, type: type, schemaVersion: Int64(event.schemaVersion),
                                recordedAtMicroseconds: event.recordedAtMicroseconds, payload: payload, metadata: metadata
                            )
                        }
                    }
                }
            }
        }
        return Array(result)
    }

    static let versionTag = Array("ledger-event-v1".utf8)

    /// SHA-256 of `previous` ‖ the canonical text's UTF-8 bytes, assembled from the pieces in one
    /// buffer (text fields as the database stores them, numbers in decimal) and hashed once.
    /// The one place the Swift side renders the canonical form; `canonicalText(of:)` is the
    /// readable statement of it, and the tests hold the two together.
    static func digest(
        previous: UnsafeRawBufferPointer, position: Int64, streamID: UnsafeBufferPointer<UInt8>, streamVersion: Int64,
        type: UnsafeBufferPointer<UInt8>, schemaVersion: Int64, recordedAtMicroseconds: Int64,
        payload: UnsafeBufferPointer<UInt8>, metadata: UnsafeBufferPointer<UInt8>
    ) -> SHA256.Digest {
        // Each decimal takes at most 20 bytes ("-9223372036854775808"); 8 line feeds.
        let capacity = previous.count + versionTag.count + 4 * 20 + 8 + streamID.count + type.count + payload.count + metadata.count
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            let base = buffer.baseAddress!
            var end = copy(previous, to: base)
            end = versionTag.withUnsafeBytes { copy($0, to: end) }
            end = newline(at: end)
            end += writeDecimal(position, to: end)
            end = newline(at: end)
            end = copy(UnsafeRawBufferPointer(streamID), to: end)
            end = newline(at: end)
            end += writeDecimal(streamVersion, to: end)
            end = newline(at: end)
            end = copy(UnsafeRawBufferPointer(type), to: end)
            end = newline(at: end)
            end += writeDecimal(schemaVersion, to: end)
            end = newline(at: end)
            end += writeDecimal(recordedAtMicroseconds, to: end)
            end = newline(at: end)
            end = copy(UnsafeRawBufferPointer(payload), to: end)
            end = newline(at: end)
            end = copy(UnsafeRawBufferPointer(metadata), to: end)
            var hasher = SHA256()
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: base, count: end - base))
            return hasher.finalize()
        }
    }

    /// Copies `bytes` to `destination`; returns the position after them.
    @inline(__always)
    private static func copy(_ bytes: UnsafeRawBufferPointer, to destination: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return destination }
        UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: bytes.count)
        return destination + bytes.count
    }

    @inline(__always)
    private static func newline(at destination: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        destination.pointee = 10
        return destination + 1
    }

    /// Writes `value` in decimal (a `-` sign when negative, no leading zeros), as PostgreSQL's
    /// `bigint::text` and Swift's `String(_:)` do; returns the number of bytes written (≤ 20).
    static func writeDecimal(_ value: Int64, to output: UnsafeMutablePointer<UInt8>) -> Int {
        var magnitude = value.magnitude
        var digits = 1
        var power: UInt64 = 10
        while digits < 20, magnitude >= power {
            digits += 1
            power = power &* 10  // wraps only after the 20th digit, where the loop stops anyway
        }
        var offset = 0
        if value < 0 {
            output.pointee = 45
            offset = 1
        }
        var index = offset + digits - 1
        repeat {
            let (quotient, remainder) = magnitude.quotientAndRemainder(dividingBy: 10)
            output[index] = UInt8(truncatingIfNeeded: remainder) &+ 48
            magnitude = quotient
            index -= 1
        } while magnitude > 0
        return offset + digits
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

/// 32 bytes (a SHA-256 hash) held inline, so comparing and keeping one allocates nothing.
struct Hash256: Equatable, Sendable {
    private var words: (UInt64, UInt64, UInt64, UInt64)

    static let zero = Hash256(words: (0, 0, 0, 0))

    private init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    /// nil unless exactly 32 bytes.
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 32 else { return nil }
        words = (
            bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
        )
    }

    init?(_ bytes: [UInt8]) {
        guard let value = bytes.withUnsafeBytes({ Hash256($0) }) else { return nil }
        self = value
    }

    init(_ digest: SHA256.Digest) {
        self = digest.withUnsafeBytes { Hash256($0)! }
    }

    static func == (lhs: Hash256, rhs: Hash256) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2 && lhs.words.3 == rhs.words.3
    }

    var bytes: [UInt8] {
        withUnsafeBytes(of: words) { Array($0) }
    }
}

extension EventHashing {
    static let leafVersionTag = Array("ledger-leaf-v1".utf8)

    /// SHA-256(0x00 ‖ leaf input) of a stored event (`EventLeaf.input`'s twelve lines),
    /// assembled from the bytes the server sent, like `digest` for the chain.
    static func leafDigest(
        position: Int64, streamID: UnsafeBufferPointer<UInt8>, streamVersion: Int64, type: UnsafeBufferPointer<UInt8>,
        schemaVersion: Int64, recordedAtMicroseconds: Int64, commandID: UnsafeBufferPointer<UInt8>,
        payload: UnsafeBufferPointer<UInt8>, metadata: UnsafeBufferPointer<UInt8>,
        previous: UnsafeRawBufferPointer, hash: UnsafeRawBufferPointer
    ) -> SHA256.Digest {
        let capacity = 1 + leafVersionTag.count + 4 * 20 + 11 + streamID.count + type.count + commandID.count
            + payload.count + metadata.count + 2 * previous.count + 2 * hash.count
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            let base = buffer.baseAddress!
            base.pointee = 0x00
            var end = leafVersionTag.withUnsafeBytes { copy($0, to: base + 1) }
            end = newline(at: end)
            end += writeDecimal(position, to: end)
            end = newline(at: end)
            end = copy(UnsafeRawBufferPointer(streamID), to: end)
            end = newline(at: end)
            end += writeDecimal(streamVersion, to: end)
            end = newline(at: end)
            end = copy(UnsafeRawBufferPointer(type), to: end)
            end = newline(at: end)
            end += writeDecimal(schemaVersion, to: end)
            end = newline(at: end)
            end += writeDecimal(recordedAtMicroseconds, to: end)
            end = newline(at: end)
            end = copy(UnsafeRawBufferPointer(commandID), to: end)
            end = newline(at: end)
            end = copy(UnsafeRawBufferPointer(payload), to: end)
            end = newline(at: end)
            end = copy(UnsafeRawBufferPointer(metadata), to: end)
            end = newline(at: end)
            end = writeHex(previous, to: end)
            end = newline(at: end)
            end = writeHex(hash, to: end)
            var hasher = SHA256()
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: base, count: end - base))
            return hasher.finalize()
        }
    }

    @inline(__always)
    private static func writeHex(_ bytes: UnsafeRawBufferPointer, to destination: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var end = destination
        for byte in bytes {
            end[0] = hexDigits[Int(byte >> 4)]
            end[1] = hexDigits[Int(byte & 0x0f)]
            end += 2
        }
        return end
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
