import Foundation
import PackagePlugin

/// Embeds the web pages' files of the target (`Web/Templates/*.mustache`, `Web/Static/*`) into
/// it as a generated Swift source (`embeddedWebFiles`, each named by its path under `Web/`), so
/// `ledger serve` needs no files beside the binary.
@main
struct EmbedWeb: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let web = target.directoryURL.appending(path: "Web")
        var files: [URL] = []
        for folder in ["Templates", "Static"] {
            let directory = web.appending(path: folder)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            files += names.filter { !$0.hasPrefix(".") }.sorted().map { directory.appending(path: $0) }
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedWebFiles.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.count) web files from \(target.name)/Web",
                executable: try context.tool(named: "EmbedSQLTool").url,
                arguments: ["--variable", "embeddedWebFiles", "--root", web.path, output.path] + files.map(\.path),
                inputFiles: files,
                outputFiles: [output]
            ),
        ]
    }
}
