import EventStore
import Foundation
import Ledger
import Postgres
@testable import Projections
import TestSupport
import Testing

/// The read side's memory-saving paths against the general ones, on the same log: a rebuild that
/// writes application steps as it folds (pages of a few events), reconcile that copies them into
/// its fold tables as it folds, and a standby's reconcile that sends the fold a chunk of rows at a
/// time — each gives what one fold of everything in memory gives.
@Suite(.enabled(if: TestDatabase.enabled))
struct ReconcileChunkTests {
    @Test func chunksAndRowsWrittenWhileFoldingGiveTheAnswerOfOnePiece() async throws {
        try await TestDatabase.withFresh { database in
            _ = try await ReadSide.seedDemo(database)
            // A rebuild in pages of 7 events: every table equals the fold of the log.
            _ = try await ProjectionRebuild.run(configuration: database.configuration(), projections: [], options: ReadSide.options(batchEvents: 7))
            let connection = try await database.connect()
            #expect(try await ReadSide.contents(connection) == (try await ReadSide.foldOfLog(database)))

            // A figure changed, a row deleted and one invented, in the steps (streamed) and the
            // applications; every payment's amount changed (more differences than the list shows).
            try await connection.simpleQuery("""
                UPDATE ledger_read.application_steps SET detail = 'changed'
                WHERE (application_id, position) = (SELECT application_id, position FROM ledger_read.application_steps ORDER BY 1, 2 OFFSET 5 LIMIT 1);
                DELETE FROM ledger_read.application_steps
                WHERE (application_id, position) = (SELECT application_id, position FROM ledger_read.application_steps ORDER BY 1, 2 OFFSET 40 LIMIT 1);
                CREATE TEMP TABLE invented AS SELECT * FROM ledger_read.application_steps ORDER BY 1, 2 LIMIT 1;
                UPDATE invented SET application_id = application_id || '-INVENTED';
                INSERT INTO ledger_read.application_steps SELECT * FROM invented;
                UPDATE ledger_read.applications SET paid_vnd = paid_vnd + 1
                WHERE application_id = (SELECT application_id FROM ledger_read.applications ORDER BY 1 OFFSET 3 LIMIT 1);
                DELETE FROM ledger_read.applications WHERE application_id = (SELECT max(application_id) FROM ledger_read.applications);
                UPDATE ledger_read.payments SET amount_vnd = amount_vnd + 1
                """)
            let types = ProjectionCatalog.all
            for listLimit in [1_000, 4] {
                let onePiece = try await Reconcile.runOnStandby(
                    types, connection: connection, listLimit: listLimit, pageSize: 1_000, chunkRows: .max, progress: nil
                )
                let steps = try #require(onePiece.projections.first { $0.projection == "application_steps" })
                #expect(steps.differenceCount == 3 && steps.differences.count == min(3, listLimit), "\(steps)")
                let payments = try #require(onePiece.projections.first { $0.projection == "payments" })
                #expect(payments.differenceCount > 4 && payments.differences.count == min(Int(payments.differenceCount), listLimit))
                for chunkRows in [1, 3, 50] {
                    let chunked = try await Reconcile.runOnStandby(
                        types, connection: connection, listLimit: listLimit, pageSize: 1_000, chunkRows: chunkRows, progress: nil
                    )
                    #expect(chunked == onePiece, "chunks of \(chunkRows), list of \(listLimit)")
                }
                // On a primary: steps copied into the fold's table page by page (pages of 7 events).
                let primary = try await Reconcile.run(connection: connection, listLimit: listLimit, pageSize: 7)
                #expect(primary == onePiece, "primary, list of \(listLimit)")
            }
        }
    }
}
