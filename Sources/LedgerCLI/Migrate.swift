import ArgumentParser
import Migrations

/// `ledger migrate`: apply the numbered SQL migrations embedded in this binary.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending database migrations (idempotent; refuses if an applied file changed).",
        discussion: "Run as a PostgreSQL superuser (always for a database's first migrate), or as the deploy account: a LOGIN role with CREATEROLE that is a member of ledger_owner (docs/operations.md, \"Who migrates\")."
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    @Flag(help: "List the migrations and whether each is applied, without applying anything.")
    var list = false

    func run() async throws {
        try await reportingErrors {
            let database = try await connection.connect()
            let migrator = try Migrator(connection: database)
            if !list {
                let report = try await migrator.migrate()
                for migration in report.applied { Output.message("applied \(migration.name)") }
                if report.applied.isEmpty { Output.message("nothing to apply: \(report.alreadyApplied) migrations already applied") }
            }
            let applied = Dictionary(uniqueKeysWithValues: try await migrator.applied().map { ($0.version, $0) })
            let rows = migrator.migrations.map { migration in
                MigrationRow(
                    version: migration.version, name: migration.name, checksum: migration.checksum,
                    appliedAt: applied[migration.version].map { Output.jsonTimestamp($0.appliedAtMicroseconds) },
                    appliedBy: applied[migration.version]?.appliedBy
                )
            }
            switch output.format {
            case .json: Output.data(try Output.json(rows))
            case .table:
                Output.data(Output.table(
                    ["version", "name", "applied at", "by", "checksum"],
                    rows.map { [String($0.version), $0.name, $0.appliedAt.map { Output.timestamp(rfc3339: $0) } ?? "pending", $0.appliedBy ?? "-", String($0.checksum.prefix(12))] }
                ))
            }
        }
    }

    struct MigrationRow: Encodable {
        let version: Int
        let name: String
        let checksum: String
        let appliedAt: String?
        let appliedBy: String?

        enum CodingKeys: String, CodingKey {
            case version, name, checksum, appliedAt = "applied_at", appliedBy = "applied_by"
        }
    }
}
