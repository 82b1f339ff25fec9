import Foundation

// Usage: EmbedSQLTool [--variable NAME --root FOLDER] OUTPUT.swift FILE...
// Writes each file's exact bytes (base64, so nothing is re-encoded or normalised) into a Swift
// array named `embeddedSQLFiles` (sql/*.sql, by the EmbedSQL plugin), or NAME with each file
// named by its path under FOLDER (the web pages' files, by the EmbedWeb plugin).
var arguments = Array(CommandLine.arguments.dropFirst())
var variable = "embeddedSQLFiles"
var root: String?
while let option = arguments.first, option.hasPrefix("--"), arguments.count >= 2 {
    switch option {
    case "--variable": variable = arguments[1]
    case "--root": root = URL(fileURLWithPath: arguments[1]).standardizedFileURL.path + "/"
    default:
        FileHandle.standardError.write(Data("EmbedSQLTool: unknown option \(option)\n".utf8))
        exit(64)
    }
    arguments.removeFirst(2)
}
guard let outputPath = arguments.first else {
    FileHandle.standardError.write(Data("usage: EmbedSQLTool [--variable NAME --root FOLDER] OUTPUT.swift FILE...\n".utf8))
    exit(64)
}
var source = "// Generated at build time by a build plugin (EmbedSQL, EmbedWeb). Do not edit.\n\n"
source += "let \(variable): [(name: String, base64: String)] = [\n"
for path in arguments.dropFirst() {
    let url = URL(fileURLWithPath: path)
    let data = try Data(contentsOf: url)
    var name = url.lastPathComponent
    if let root, url.standardizedFileURL.path.hasPrefix(root) { name = String(url.standardizedFileURL.path.dropFirst(root.count)) }
    source += "    (name: \(String(reflecting: name)), base64: \"\(data.base64EncodedString())\"),\n"
}
source += "]\n"
try Data(source.utf8).write(to: URL(fileURLWithPath: outputPath), options: .atomic)
