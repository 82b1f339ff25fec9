import Foundation
import TestSupport
import Testing

/// Shell completion generated from the command definitions (`ledger --generate-completion-script`):
/// files for `payment import`, values for --method, --kind, --status, --format, --program and
/// --unit/--district. The bash script is exercised by bash itself; zsh and fish scripts are read.
struct CompletionTests {
    static func script(_ shell: String) async throws -> String {
        let run = try await LedgerBinary.run(["--generate-completion-script", shell], environment: [:])
        #expect(run.status == 0 && run.stderr.isEmpty, "\(run)")
        return run.stdout
    }

    /// What bash's completion function offers for `line` (the word being completed is the last
    /// word, empty after a trailing space), run in `folder`.
    static func bashCompletes(script scriptFile: URL, _ line: String, in folder: URL? = nil) throws -> [String] {
        var words = line.split(separator: " ").map(String.init)
        if line.hasSuffix(" ") { words.append("") }
        let quoted = words.map { "'\($0)'" }.joined(separator: " ")
        let program = """
            source "$1"
            COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count - 1); COMP_LINE='\(line)'; COMP_POINT=${#COMP_LINE}
            _ledger ledger "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", program, "bash", scriptFile.path]
        if let folder { process.currentDirectoryURL = folder }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init).sorted()
    }

    /// The bash script in a new file (the caller removes it).
    static func bashScript() async throws -> URL {
        let scriptFile = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-completion-\(UUID().uuidString).bash")
        try Data(try await script("bash").utf8).write(to: scriptFile)
        return scriptFile
    }

    @Test func bashOffersTheValuesOfEachOption() async throws {
        let script = try await Self.bashScript()
        defer { try? FileManager.default.removeItem(at: script) }
        do {
            #expect(try Self.bashCompletes(script: script, "ledger payment record --method ") == ["bank", "cash"])
            #expect(try Self.bashCompletes(script: script, "ledger payment list --method c") == ["cash"])
            #expect(try Self.bashCompletes(script: script, "ledger beneficiary register --kind ") == ["household", "person"])
            #expect(try Self.bashCompletes(script: script, "ledger application list --status ") == ["approved", "closed", "rejected", "submitted", "withdrawn"])
            #expect(try Self.bashCompletes(script: script, "ledger report budget --format ") == ["csv", "json", "table"])
            #expect(try Self.bashCompletes(script: script, "ledger status --format ") == ["json", "table"])
            #expect(try Self.bashCompletes(script: script, "ledger report budget --program NQ12-H") == ["NQ12-HOUSING"])
            #expect(try Self.bashCompletes(script: script, "ledger application submit --program NQ11-T") == ["NQ11-TRAIN-ELEMENTARY", "NQ11-TRAIN-VOCATIONAL"])
            #expect(try Self.bashCompletes(script: script, "ledger budget allocate --unit ninh") == ["ninh-kieu"])
            #expect(try Self.bashCompletes(script: script, "ledger beneficiary search --district phuong-c") == ["phuong-cai-khe", "phuong-cai-rang"])
            #expect(try Self.bashCompletes(script: script, "ledger beneficiary amend --unit xa-co") == ["xa-co-do"])
        }
    }

    @Test func bashOffersCSVFilesAndFoldersForAPaymentImport() async throws {
        let script = try await Self.bashScript()
        defer { try? FileManager.default.removeItem(at: script) }
        do {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-completion-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            for name in ["payments.csv", "BANK.CSV", "notes.txt"] {
                try Data().write(to: folder.appendingPathComponent(name))
            }
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("march"), withIntermediateDirectories: true)
            #expect(try Self.bashCompletes(script: script, "ledger payment import ", in: folder) == ["BANK.CSV", "march", "payments.csv"])
        }
    }

    @Test func zshAndFishScriptsCarryTheSameValues() async throws {
        for shell in ["zsh", "fish"] {
            let text = try await Self.script(shell)
            for value in ["'bank'", "'household'", "'withdrawn'", "NQ12-HOUSING", "phuong-cai-khe", "xa-vinh-thanh"] {
                #expect(text.contains(value.replacingOccurrences(of: "'", with: shell == "fish" ? "" : "'")), "\(shell): \(value)")
            }
        }
        #expect(try await Self.script("zsh").contains("_files -g '\\''*.csv *.CSV'\\''"))
        #expect(try await Self.script("fish").contains(#"__ledger_should_offer_completions_for_positional "ledger payment import" -eq 1' -fa '(set -l exts \'csv\' \'CSV\'"#))
    }
}
