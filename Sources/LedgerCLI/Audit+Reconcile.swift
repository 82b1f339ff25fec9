import ArgumentParser
import Foundation
import Projections

extension Audit {
    /// `ledger audit reconcile [NAME…] [--format table|json] [--limit N]`.
    struct Reconcile: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare every read model, row by row, with a fold of the log through its checkpoint.",
            discussion: """
                For each projection (\(ProjectionCatalog.names.joined(separator: ", "))): reads its checkpoint and its tables \
                in one snapshot, folds the log in memory through that checkpoint, and compares the rows by key, column by \
                column. Prints each difference (table, key, column, value in the table vs value of the fold; rows missing on \
                either side) and a summary per projection, with how far its checkpoint is behind the head (events not yet \
                applied are not compared). Read-only: an auditor may run it. \
                Exit 0 when every projection equals its fold; 2 when any differs; 1 when it could not run.
                """
        )

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "Projections to reconcile (default: all).")
        var names: [String] = []

        @Option(help: "List at most this many differences per projection (all are counted).")
        var limit = 1_000

        func validate() throws {
            guard limit >= 1 else { throw ValidationError("--limit must be 1 or more") }
            for name in names where !ProjectionCatalog.names.contains(name) {
                throw ValidationError("there is no projection \(name.debugDescription) (one of: \(ProjectionCatalog.names.joined(separator: ", ")))")
            }
        }

        func run() async throws {
            try await reportingErrors {
                let database = try await connection.connect()
                let progress = ProgressLine("reconciling")
                let result: Reconciliation
                do {
                    result = try await Projections.Reconcile.run(connection: database, projections: names, listLimit: limit) { done, total in
                        progress.update(done, of: total)
                    }
                    progress.finish()
                    await database.close()
                } catch {
                    progress.finish()
                    await database.close()
                    throw error
                }
                switch output.format {
                case .json: Output.data(try Output.json(result))
                case .table: Output.data(Self.table(result))
                }
                if !result.isEqual { throw CommandFailure(exitCode: ExitStatus.integrityProblem) }
            }
        }

        static func table(_ result: Reconciliation) -> String {
            var text = Output.table(
                ["projection", "checkpoint", "behind head", "generation", "rows compared", "differences", "result"],
                result.projections.map { projection in
                    [projection.projection, String(projection.checkpoint), Output.grouped(projection.behindHead), String(projection.generation),
                     Output.grouped(projection.rowsCompared), Output.grouped(projection.differenceCount),
                     projection.isEqual ? "equal" : "DIFFERS"]
                }
            )
            let differing = result.projections.filter { !$0.isEqual }
            guard !differing.isEmpty else {
                return text + "\n\nevery read model equals the fold of the log through its checkpoint"
            }
            let rows = differing.flatMap { projection in
                projection.differences.map { difference in
                    [difference.table, difference.keyDescription, Self.column(difference),
                     Self.value(difference, difference.tableValue, missing: difference.kind == .missingFromTable),
                     Self.value(difference, difference.foldValue, missing: difference.kind == .notInFold)]
                }
            }
            text += "\n\n" + Output.table(["table", "key", "column", "in table", "in fold of log"], rows)
            for projection in differing where projection.differenceCount > Int64(projection.differences.count) {
                text += "\n(\(projection.projection): first \(projection.differences.count) of \(Output.grouped(projection.differenceCount)) differences shown)"
            }
            return text
        }

        static func column(_ difference: ReconcileDifference) -> String {
            switch difference.kind {
            case .valueDiffers: difference.column ?? "-"
            case .missingFromTable, .notInFold: "(whole row)"
            }
        }

        static func value(_ difference: ReconcileDifference, _ value: String?, missing: Bool) -> String {
            switch difference.kind {
            case .valueDiffers: value.map { History.abbreviated($0, limit: 60) } ?? "NULL"
            case .missingFromTable, .notInFold: missing ? "no row" : "row"
            }
        }
    }
}
