import ArgumentParser
import Foundation

/// `--bom` (or `--excel`): CSV as Excel on Windows reads it — a UTF-8 byte-order mark first and CRLF
/// line ends, so Vietnamese shows correctly. Without it CSV output is unchanged (no mark, LF).
struct CSVStyleOptions: ParsableArguments {
    @Flag(name: [.customLong("bom"), .customLong("excel")], help: "With --format csv: a UTF-8 byte-order mark and CRLF line ends, for Excel on Windows.")
    var bom = false

    /// A usage error (exit 64) when `--bom` is given with another format.
    func check(format: String) throws {
        if bom, format != "csv" {
            throw ValidationError("--bom (or --excel) is only for --format csv, not --format \(format)")
        }
    }
}

extension Output {
    /// CSV text on stdout: as it is, or with a byte-order mark and CRLF line ends (`--bom`). Line
    /// breaks inside a quoted field are left as they are.
    static func csv(_ text: String, bom: Bool) {
        guard bom else { return data(text) }
        var out = "\u{FEFF}".unicodeScalars.map { $0 }
        var quoted = false
        var previous: Unicode.Scalar?
        let body = text.hasSuffix("\n") ? text : text + "\n"
        for scalar in body.unicodeScalars {
            if scalar == "\"" { quoted.toggle() }
            if scalar == "\n", !quoted, previous != "\r" { out.append("\r") }
            out.append(scalar)
            previous = scalar
        }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: out)
        FileHandle.standardOutput.write(Data(String(result).utf8))
    }
}
