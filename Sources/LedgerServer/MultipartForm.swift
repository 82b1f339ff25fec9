import Foundation

/// A `multipart/form-data` body (RFC 7578, framed as RFC 2046 says), split into its parts.
///
/// The body is a preamble, then parts each introduced by a delimiter line `--boundary` and
/// ended by the next one; `--boundary--` closes the body (an epilogue after it is ignored). The
/// CRLF before a delimiter belongs to the delimiter, not to the part before it. A part is header
/// lines, an empty line, then its content as sent. Header lines ending in a bare LF are accepted
/// (some tools write them); the delimiter must be preceded by CRLF (or begin the body), so a part's
/// own content can hold anything but the delimiter itself, which the sender chose not to occur.
struct MultipartForm: Sendable, Equatable {
    struct Part: Sendable, Equatable {
        /// The `name` of `Content-Disposition: form-data; name="…"`.
        let name: String
        /// The `filename`, for a file.
        let filename: String?
        /// The part's `Content-Type`, when given.
        let contentType: String?
        let body: [UInt8]

        /// The body as UTF-8 text.
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    let parts: [Part]

    /// The first part named `name`.
    func part(_ name: String) -> Part? { parts.first { $0.name == name } }

    struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        let message: String
        init(_ message: String) { self.message = message }
        var description: String { message }
    }

    /// At most this many parts (a form of a file and a flag or two; anything more is not ours).
    static let maximumParts = 100
    /// Bytes of one part's header lines.
    static let maximumHeaderBytes = 16 * 1024

    /// The `boundary` parameter of a `multipart/form-data` content type, or nil when the type
    /// is something else. A type of multipart/form-data without a usable boundary is a failure.
    static func boundary(contentType: String) throws -> String? {
        let pieces = splitParameters(contentType)
        guard let type = pieces.first?.trimmingCharacters(in: .whitespaces).lowercased(), type == "multipart/form-data" else {
            return nil
        }
        let parameters = try pieces.dropFirst().map(parameter)
        guard let boundary = parameters.first(where: { $0.name == "boundary" })?.value else {
            throw Failure("Content-Type multipart/form-data has no boundary parameter")
        }
        // RFC 2046: 1–70 characters, none of them control characters; not ending in a space.
        guard (1...70).contains(boundary.utf8.count), !boundary.hasSuffix(" "),
              boundary.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value < 0x7f })
        else {
            throw Failure("the multipart boundary must be 1–70 visible ASCII characters")
        }
        return boundary
    }

    /// Splits `bytes` on `boundary`.
    init(bytes: [UInt8], boundary: String) throws {
        let dashBoundary = Array("--\(boundary)".utf8)
        let delimiter = [0x0D, 0x0A] + dashBoundary
        // The first delimiter: at the very start, or after CRLF ending the preamble.
        var cursor: Int
        if bytes.starts(with: dashBoundary) {
            cursor = dashBoundary.count
        } else if let found = Self.find(delimiter, in: bytes, from: 0) {
            cursor = found + delimiter.count
        } else {
            throw Failure("the multipart body has no part: the boundary \(boundary.debugDescription) does not occur in it")
        }
        var parts: [Part] = []
        while true {
            // After a delimiter: `--` closes the body; otherwise optional padding, then CRLF.
            if bytes[cursor...].starts(with: [0x2D, 0x2D]) { break }
            while cursor < bytes.count, bytes[cursor] == 0x20 || bytes[cursor] == 0x09 { cursor += 1 }
            if bytes[cursor...].starts(with: [0x0D, 0x0A]) {
                cursor += 2
            } else if bytes[cursor...].starts(with: [0x0A]) {
                cursor += 1
            } else {
                throw Failure("the multipart body ends without its closing boundary (--\(boundary)--)")
            }
            guard let end = Self.find(delimiter, in: bytes, from: cursor) else {
                throw Failure("the multipart body ends without its closing boundary (--\(boundary)--)")
            }
            parts.append(try Self.part(bytes[cursor..<end]))
            guard parts.count <= Self.maximumParts else { throw Failure("the multipart body has more than \(Self.maximumParts) parts") }
            cursor = end + delimiter.count
        }
        self.parts = parts
    }

    /// One part: header lines, an empty line, the content.
    static func part(_ bytes: ArraySlice<UInt8>) throws -> Part {
        var lines: [String] = []
        var cursor = bytes.startIndex
        var bodyStart: Int?
        while cursor < bytes.endIndex {
            guard let newline = bytes[cursor...].firstIndex(of: 0x0A) else { break }
            var lineEnd = newline
            if lineEnd > cursor, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            if lineEnd == cursor {
                bodyStart = newline + 1
                break
            }
            lines.append(String(decoding: bytes[cursor..<lineEnd], as: UTF8.self))
            cursor = newline + 1
            guard cursor - bytes.startIndex <= maximumHeaderBytes else { throw Failure("a multipart part's headers are too long") }
        }
        guard let bodyStart else { throw Failure("a multipart part has no empty line after its headers") }
        var name: String?
        var filename: String?
        var contentType: String?
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw Failure("a multipart part has a malformed header line") }
            let header = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            switch header {
            case "content-disposition":
                let pieces = splitParameters(value)
                guard pieces.first?.trimmingCharacters(in: .whitespaces).lowercased() == "form-data" else {
                    throw Failure("a multipart part's Content-Disposition must be form-data")
                }
                for (key, text) in try pieces.dropFirst().map(parameter) {
                    if key == "name" { name = text }
                    if key == "filename" { filename = text }
                }
            case "content-type":
                contentType = value
            default:
                continue
            }
        }
        guard let name else { throw Failure("a multipart part has no Content-Disposition name") }
        return Part(name: name, filename: filename, contentType: contentType, body: Array(bytes[bodyStart...]))
    }

    /// `a; b="x;y"; c=z` → `["a", " b=\"x;y\"", " c=z"]`: split on semicolons outside quotes.
    static func splitParameters(_ text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if quoted, character == "\\" {
                current.append(character)
                escaped = true
            } else if character == "\"" {
                current.append(character)
                quoted.toggle()
            } else if character == ";", !quoted {
                pieces.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        pieces.append(current)
        return pieces
    }

    /// `name=value` or `name="va\"lue"` → (lowercased name, value unquoted).
    static func parameter(_ piece: String) throws -> (name: String, value: String) {
        guard let equals = piece.firstIndex(of: "=") else { throw Failure("malformed parameter \(piece.trimmingCharacters(in: .whitespaces).debugDescription)") }
        let name = piece[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
        let raw = piece[piece.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        guard raw.hasPrefix("\"") else { return (name, raw) }
        guard raw.count >= 2, raw.hasSuffix("\"") else { throw Failure("parameter \(name) has an unclosed quote") }
        var value = ""
        var escaped = false
        for character in raw.dropFirst().dropLast() {
            if escaped {
                value.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                value.append(character)
            }
        }
        return (name, value)
    }

    /// Where `pattern` next occurs in `bytes` at or after `start`.
    static func find(_ pattern: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard !pattern.isEmpty, bytes.count >= pattern.count, start <= bytes.count - pattern.count else { return nil }
        return bytes.withUnsafeBufferPointer { haystack in
            pattern.withUnsafeBufferPointer { needle in
                let first = needle[0]
                var index = start
                let last = haystack.count - needle.count
                while index <= last {
                    if haystack[index] == first {
                        var matched = 1
                        while matched < needle.count, haystack[index + matched] == needle[matched] { matched += 1 }
                        if matched == needle.count { return index }
                    }
                    index += 1
                }
                return nil
            }
        }
    }
}
