import Ledger
@testable import Projections
import Testing

/// Rows built one at a time for COPY (`forEachRow`), and a projection that keeps only the rows not
/// yet taken (`keepOnlyUntakenRows`, used by rebuild and reconcile), give the same rows as the
/// general path (`allRows` of one fold of everything) on the same events.
struct RowStreamingTests {
    @Test func rowsOneAtATimeEqualAllRows() throws {
        let history = FoldTests.housingHistory()
        for type in ProjectionCatalog.all {
            let (streamed, whole) = try Self.oneAtATimeAndAll(type, history)
            #expect(streamed == whole, "\(type.name)")
        }
        // The housing history fills every table but the loan book's: the comparison is not of empty tables.
        let (_, steps) = try Self.oneAtATimeAndAll(ApplicationStepsProjection.self, history)
        #expect(steps[0].count > 5)
    }

    static func oneAtATimeAndAll<P: Projection>(_: P.Type, _ history: FoldTests.History) throws -> ([[ReadModelRow]], [[ReadModelRow]]) {
        let projection = try history.fold(P.self)
        let streamed = P.tables.indices.map { index in
            var rows: [ReadModelRow] = []
            projection.forEachRow(ofTable: index) { rows.append($0) }
            return rows
        }
        return (streamed, projection.allRows())
    }

    /// Taken page by page from a projection that keeps only untaken rows, the rows are those of
    /// the general fold, and nothing taken stays in its state.
    @Test(arguments: [1, 3, 7])
    func untakenRowsOnlyGiveTheSameRows(batch: Int) throws {
        let history = FoldTests.housingHistory()
        var kept = 0
        for type in ProjectionCatalog.all {
            let (taken, whole, keeps) = try Self.takenAndWhole(type, history, batch: batch)
            guard keeps else { continue }
            kept += 1
            #expect(taken == whole, "\(type.name) in batches of \(batch)")
        }
        #expect(kept == 1, "application_steps keeps only untaken rows")
        var steps = ApplicationStepsProjection()
        let keeps = steps.keepOnlyUntakenRows()
        #expect(keeps)
        for event in history.events { try steps.apply(event) }
        #expect(steps.steps.isEmpty && !steps.pending.isEmpty)
    }

    static func takenAndWhole<P: Projection>(_: P.Type, _ history: FoldTests.History, batch: Int) throws
        -> (taken: [[ReadModelRow]], whole: [[ReadModelRow]], keeps: Bool) {
        var projection = P()
        guard projection.keepOnlyUntakenRows() else { return ([], [], false) }
        var taken = Array(repeating: [ReadModelRow](), count: P.tables.count)
        for start in stride(from: 0, to: history.events.count, by: batch) {
            for event in history.events[start..<min(start + batch, history.events.count)] { try projection.apply(event) }
            for (index, rows) in projection.takeChangedRows().enumerated() { taken[index] += rows }
            let left = projection.allRows().map(\.count).reduce(0, +)
            #expect(left == 0, "\(P.name) keeps no row once taken")
        }
        // Rows are written as they come; a table is the set of them: both compared in one key order.
        func sorted(_ tables: [[ReadModelRow]]) -> [[ReadModelRow]] {
            zip(tables, P.tables).map { rows, table in
                rows.sorted { $0.prefix(table.keyCount).map { $0 ?? "" }.lexicographicallyPrecedes($1.prefix(table.keyCount).map { $0 ?? "" }) }
            }
        }
        return (sorted(taken), sorted(try history.fold(P.self).allRows()), true)
    }

    /// A fold that forgets which rows changed after each page (a rebuild, a reconcile, the
    /// runner's catch-up from nothing: `ConcurrentFold.forgetChangesAfterEachPage`) ends with the
    /// same rows as one that kept them, has none to give while forgetting, and once it keeps them
    /// again gives exactly the rows a fold that never forgot gives for the events after (the
    /// rebuild's catch-up rounds write those).
    @Test(arguments: [1, 4])
    func forgettingChangesKeepsTheRowsAndWhatChangesAfter(page: Int) async throws {
        let history = FoldTests.housingHistory()
        let cut = history.events.count * 2 / 3
        func positioned(_ events: ArraySlice<ProjectedEvent>) -> [DecodedEvent.Positioned] {
            events.map { DecodedEvent.Positioned(position: $0.position, decoded: .event($0)) }
        }
        for type in ProjectionCatalog.all {
            let forgetting = ConcurrentFold(type), keeping = ConcurrentFold(type)
            await forgetting.forgetChangesAfterEachPage(true)
            for start in stride(from: 0, to: cut, by: page) {
                let events = positioned(history.events[start..<min(start + page, cut)])
                await forgetting.apply(events)
                await keeping.apply(events)
                #expect(await forgetting.takeChangedRows().allSatisfy(\.isEmpty), "\(type.name) forgets each page")
            }
            await forgetting.forgetChangesAfterEachPage(false)
            #expect(await forgetting.allRows() == keeping.allRows(), "\(type.name) after \(cut) events")
            _ = await keeping.takeChangedRows()
            let after = positioned(history.events[cut...])
            await forgetting.apply(after)
            await keeping.apply(after)
            let changedAfter = await keeping.takeChangedRows()
            #expect(await forgetting.takeChangedRows() == changedAfter, "\(type.name): what changes after it keeps them again")
            #expect(await forgetting.allRows() == keeping.allRows(), "\(type.name) at the end")
            if type == ApplicationsProjection.self { #expect(changedAfter[0].count > 0, "the events after the cut change rows") }
        }
        // One that keeps only untaken rows loses none by being told to forget.
        var steps = ApplicationStepsProjection()
        _ = steps.keepOnlyUntakenRows()
        for event in history.events { try steps.apply(event) }
        steps.forgetChanges()
        #expect(try steps.takeChangedRows() == history.fold(ApplicationStepsProjection.self).allRows())
    }
}
