import Foundation

// Usage: EmbedSQLTool OUTPUT.swift FILE.sql...
// Writes each file's exact bytes (base64, so nothing is re-encoded or normalised) into a Swift array.
let arguments = CommandLine.arguments.dropFirst()
guard let outputPath = arguments.first else {
    FileHandle.standardError.write(Data("usage: EmbedSQLTool OUTPUT.swift FILE.sql...\n".utf8))
    exit(64)
}
var source = "// Generated at build time by the EmbedSQL plugin from sql/*.sql. Do not edit.\n\n"
source += "let embeddedSQLFiles: [(name: String, base64: String)] = [\n"
for path in arguments.dropFirst() {
    let url = URL(fileURLWithPath: path)
    let data = try Data(contentsOf: url)
    source += "    (name: \(String(reflecting: url.lastPathComponent)), base64: \"\(data.base64EncodedString())\"),\n"
}
source += "]\n"
try Data(source.utf8).write(to: URL(fileURLWithPath: outputPath), options: .atomic)
