import Foundation
import Logging
import Synchronization

/// How `ledger serve` writes its log: one line per entry on stderr.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `time=… level=info msg="request" request_id=… route=/api/v1/payments status=201 duration_ms=3.1`
    case logfmt
    /// One JSON object per line with the same keys.
    case json
}

/// A swift-log handler writing logfmt or JSON lines to stderr. Only what the service puts in
/// metadata is written: never bodies, passwords, national ids or beneficiaries' names.
public struct LineLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let format: LogFormat
    let label: String
    private static let lock = Mutex(())

    public init(label: String, format: LogFormat, level: Logger.Level) {
        self.label = label
        self.format = format
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let line = Self.line(format: format, time: Date(), level: event.level, message: "\(event.message)", metadata: all)
        Self.lock.withLock { _ in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    static func line(format: LogFormat, time: Date, level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        let timestamp = time.formatted(.iso8601.year().month().day().timeSeparator(.colon).time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        var pairs: [(String, String)] = [("time", timestamp), ("level", level.rawValue), ("msg", message)]
        pairs += metadata.keys.sorted().map { ($0, "\(metadata[$0]!)") }
        switch format {
        case .logfmt:
            return pairs.map { "\($0.0)=\(logfmtValue($0.1))" }.joined(separator: " ")
        case .json:
            var object: [String: String] = [:]
            for (key, value) in pairs { object[key] = value }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return (try? encoder.encode(object)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        }
    }

    static func logfmtValue(_ value: String) -> String {
        let plain = !value.isEmpty && value.unicodeScalars.allSatisfy { $0.value > 0x20 && $0 != "=" && $0 != "\"" && $0 != "\\" && $0.value != 0x7f }
        if plain { return value }
        var escaped = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f { escaped += String(format: "\\u%04x", scalar.value) } else { escaped.unicodeScalars.append(scalar) }
            }
        }
        return "\"" + escaped + "\""
    }
}
