import Foundation

/// The one place that writes: data to stdout, progress and errors to stderr.
enum Console {
    static func data(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static func progress(_ text: String) {
        FileHandle.standardError.write(Data(("ledger-bench: " + text + "\n").utf8))
    }
}

/// Number formatting for tables.
enum Format {
    /// Thousands separators: 1234567 → 1,234,567.
    static func grouped(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var output = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { output += "," }
            output.append(character)
        }
        return value < 0 ? "-" + output : output
    }

    static func grouped(_ value: Int) -> String { grouped(Int64(value)) }

    /// A rate rounded to a whole number, grouped.
    static func rate(_ value: Double) -> String { grouped(Int64(value.rounded())) }

    /// Fixed decimals with a grouped integer part: 2122.04 → "2,122.0" (decimals 1).
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        let text = String(format: "%.\(decimals)f", value)
        guard let dot = text.firstIndex(of: "."), let whole = Int64(text[..<dot]) else { return text }
        return (value < 0 && whole == 0 ? "-" : "") + grouped(whole) + text[dot...]
    }

    /// Aligned columns under a header rule; numeric cells (digits, commas, dots, signs) right-aligned.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func isNumeric(_ text: String) -> Bool {
            !text.isEmpty && text.contains(where: \.isNumber)
                && text.allSatisfy { $0.isNumber || $0 == "," || $0 == "." || $0 == "-" || $0 == "×" }
        }
        func line(_ cells: [String]) -> String {
            var text = cells.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: max(0, widths[index] - cell.count))
                return isNumeric(cell) ? padding + cell : cell + padding
            }.joined(separator: "  ")
            while text.last == " " { text.removeLast() }
            return text
        }
        return ([line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + rows.map(line))
            .joined(separator: "\n")
    }

    /// `key: value` lines with the values aligned.
    static func keyValues(_ pairs: [(String, String)]) -> String {
        let width = pairs.map(\.0.count).max() ?? 0
        return pairs.map { key, value in
            key + ":" + String(repeating: " ", count: width - key.count + 1) + value
        }.joined(separator: "\n")
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

/// Runs `body` and returns its value with the elapsed seconds on a monotonic clock.
func timed<T>(_ body: () async throws -> T) async rethrows -> (value: T, seconds: Double) {
    let clock = ContinuousClock()
    let start = clock.now
    let value = try await body()
    return (value, (clock.now - start).seconds)
}

/// A failure of the benchmark itself (not of the server), explained in one line.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
