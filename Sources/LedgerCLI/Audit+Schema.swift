import ArgumentParser
import Foundation
import Migrations

extension Audit {
    /// `ledger audit schema [--format table|json] [--facts]`.
    struct Schema: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare the database's functions, triggers, owners and grants with what the shipped migrations define.",
            discussion: """
                Reads the catalogs of the schemas \(SchemaAudit.schemas.joined(separator: ", ")): every function's definition \
                (body, SECURITY DEFINER, settings such as search_path) and owner; which triggers exist and whether they are \
                enabled; the owners of schemas, tables, views and types; grants to every role (column grants and default \
                privileges included); the ledger's event triggers; the attributes of the ledger's group roles and their \
                memberships among each other; the ledger roles' privileges on the database. Compares them with the facts \
                of a freshly migrated database embedded in this binary, and names every difference: missing (a migration \
                defines it, the database has not), unexpected (the database has it, no migration defines it), differs. \
                Read-only: an auditor may run it. Exit 0 when everything matches; 2 when anything differs; 1 when it could not run.
                """
        )

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        @Flag(help: "Print the live facts, one `key<TAB>value` line each, instead of comparing (scripts/schema-manifest uses it).")
        var facts = false

        func run() async throws {
            try await reportingErrors {
                let database = try await connection.connect()
                if facts {
                    let live = try await SchemaAudit.facts(connection: database)
                    Output.data(SchemaAudit.lines(live).joined(separator: "\n"))
                    return
                }
                let report = try await SchemaAudit.run(connection: database)
                switch output.format {
                case .json: Output.data(try Output.json(report))
                case .table: Output.data(Self.table(report))
                }
                if !report.matches { throw CommandFailure(exitCode: ExitStatus.integrityProblem) }
            }
        }

        static func table(_ report: SchemaAudit.Report) -> String {
            var text = ""
            if let note = report.migrationNote { text += "note: \(note)\n\n" }
            guard !report.matches else {
                return text + "matches: the database's \(report.factsFound) facts are the \(report.factsExpected) the shipped migrations define"
            }
            text += "DIFFERS: \(report.differences.count) difference\(report.differences.count == 1 ? "" : "s") from what the shipped migrations define\n\n"
            text += Output.table(["difference", "fact", "migrations define", "database has"], report.differences.map {
                [$0.kind.rawValue, $0.fact, Self.shown($0.expected), Self.shown($0.found)]
            })
            return text
        }

        static func shown(_ value: String?) -> String {
            guard let value else { return "-" }
            return History.abbreviated(value, limit: 80)
        }
    }
}
