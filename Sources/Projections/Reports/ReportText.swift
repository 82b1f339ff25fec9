import Foundation
import Ledger

/// A table as rows of cells, for a renderer to align (the CLI's `Output.table`).
public struct ReportTable: Sendable, Equatable {
    public let header: [String]
    public let rows: [[String]]

    public init(header: [String], rows: [[String]]) {
        self.header = header
        self.rows = rows
    }
}

/// RFC 4180 CSV: comma-separated, CRLF-free (`\n` line ends), a field quoted when it holds a
/// comma, a double quote, a line break or leading/trailing space, with inner quotes doubled.
public enum ReportCSV {
    public static func field(_ text: String) -> String {
        let needsQuotes = text.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
            || text.first == " " || text.last == " "
        guard needsQuotes else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The header line and one line per row, each ended by `\n`.
    public static func text(header: [String], rows: [[String]]) -> String {
        ([header] + rows).map { $0.map(field).joined(separator: ",") + "\n" }.joined()
    }
}

/// Cell forms shared by the reports.
enum Cell {
    /// Table form of an amount: `1,234,567` (no unit, so the column right-aligns).
    static func grouped(_ value: VND) -> String { VND.grouped(value.amount) }
    /// JSON/CSV form: the exact integer.
    static func exact(_ value: VND) -> String { String(value.amount) }
}
