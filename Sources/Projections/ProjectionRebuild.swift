import EventStore
import Foundation
import Postgres

/// What a rebuild did.
public struct ProjectionRebuildReport: Sendable, Codable, Equatable {
    public let projection: String
    /// The checkpoint the new tables were swapped in at.
    public let position: Int64
    /// The checkpoint's generation after the swap.
    public let generation: Int64
    /// Events folded from position 0.
    public let events: Int64
    /// Rows per table, as swapped in.
    public let rows: [String: Int]
    public let elapsedMilliseconds: Int64
    /// Where and why it stopped, when it met an event it cannot fold: swapped in at the event before.
    public var stall: ProjectionStall? = nil
    /// Events folded per second of the whole rebuild (read, fold, write, swap; several projections
    /// rebuilt together share one pass, and the time up to this one's swap).
    public var eventsPerSecond: Int64 { events * 1_000 / max(elapsedMilliseconds, 1) }

    enum CodingKeys: String, CodingKey {
        case projection, position, generation, events, rows, elapsedMilliseconds = "elapsed_ms", stall
    }
}

/// Rebuilds a projection from position 0 into new tables (`ledger_read_build`) while the live ones
/// keep serving readers and their runner, then swaps them in with one transaction.
///
/// The fold happens in memory (the state is the read model), so the new tables are written once,
/// by COPY. Events appended meanwhile are folded and upserted into the new tables (a few rounds
/// at most), then the swap drops the old tables, moves the new ones into `ledger_read` and sets
/// the checkpoint to the position folded, bumping its generation: a runner that folded the old
/// tables finds its compare-and-set refused, reloads, and goes on from there.
///
/// A crash before the swap leaves the live tables as they were (the build tables are dropped by
/// the next rebuild); a crash during it rolls it back. Only one rebuild of a projection runs at a
/// time (its own lease). The new tables are created LIKE the shapes kept in `ledger_read_build`
/// (sql/0010), so a live table that was dropped is recreated. The swap waits for readers of the
/// live tables at most `ProjectionStore.swapLockTimeoutMilliseconds` at a time, `swapAttempts`
/// times, then fails naming who holds them (the live tables unchanged). A projection that meets
/// an event it cannot fold is swapped in as of the event before, with the stall recorded.
public enum ProjectionRebuild {
    /// Catch-up rounds after the fold, before swapping with whatever is left.
    static let maximumCatchUpRounds = 5
    /// Attempts at the swap, each waiting at most `ProjectionStore.swapLockTimeoutMilliseconds`
    /// for readers of the live tables, with a pause doubling from `swapBackoffMilliseconds` between.
    static let swapAttempts = 4
    static let swapBackoffMilliseconds = 250

    /// Rebuilds one projection.
    public static func run(
        configuration: ConnectionConfiguration, projection name: String, options: ProjectionRunOptions = .init(),
        progress: ((Int64, Int64) -> Void)? = nil
    ) async throws -> ProjectionRebuildReport {
        try await run(configuration: configuration, projections: [name], options: options, progress: progress)[0]
    }

    /// Rebuilds the projections called `names` (all when empty) in one pass over the log: each
    /// event is read and decoded once and folded into every one; each is then written and
    /// swapped in on its own.
    public static func run(
        configuration: ConnectionConfiguration, projections names: [String], options: ProjectionRunOptions = .init(),
        progress: ((Int64, Int64) -> Void)? = nil
    ) async throws -> [ProjectionRebuildReport] {
        let types = try ProjectionCatalog.projections(named: names)
        let started = DispatchTime.now().uptimeNanoseconds
        var writerConfiguration = configuration
        writerConfiguration.applicationName = "ledger-projections-rebuild"
        let writer = try await PostgresConnection.connect(writerConfiguration)
        let readerConnection: PostgresConnection
        var leases: LeaseConnection?
        do {
            try await ProjectionStore.becomeOwner(writer)
            let lease = try await LeaseConnection.open(configuration, applicationName: "ledger-projections-rebuild-lease")
            leases = lease
            for type in types {
                guard try await lease.tryTake(.rebuild, type.name, recordOn: writer) else {
                    let holder = try await ProjectionStore.leaseHolder(.rebuild, type.name, writer)
                    throw ProjectionError(
                        .leaseHeld, "a rebuild of \(type.name) is already running\(holder.map { " (\($0.description))" } ?? "")",
                        holderPID: holder?.pid
                    )
                }
            }
            readerConnection = try await PostgresConnection.connect(configuration)
            try await ProjectionStore.becomeOwner(readerConnection)
        } catch {
            await leases?.close()  // leases end now, not when the server process exits
            await writer.close()
            throw error
        }
        do {
            let reports = try await rebuild(types, writer: writer, reader: EventStore(connection: readerConnection),
                                            options: options, started: started, progress: progress)
            await readerConnection.close()
            await leases?.close()
            await writer.close()
            return reports
        } catch {
            await readerConnection.close()
            await leases?.close()
            await writer.close()
            throw error
        }
    }

    private static func rebuild(
        _ types: [any Projection.Type], writer: PostgresConnection, reader: EventStore, options: ProjectionRunOptions,
        started: UInt64, progress: ((Int64, Int64) -> Void)?
    ) async throws -> [ProjectionRebuildReport] {
        let head = try await reader.digest().position
        let folds = types.map { ConcurrentFold($0) }
        // Projections whose rows never change once written (application steps) keep none: their
        // build tables are created first and each page's new rows are copied in as it is folded.
        var streamed: [Int] = []
        for index in folds.indices where await folds[index].keepOnlyUntakenRows() {
            streamed.append(index)
            let tables = types[index].tables
            try await writer.transaction { connection in
                try ProjectionStore.createBuildTables(tables, rows: nil, on: connection)
            }
        }
        // The others' rows are all written once the log is folded: which ones changed on the way
        // is not worth keeping.
        for index in folds.indices where !streamed.contains(index) { await folds[index].forgetChangesAfterEachPage(true) }
        let writeStreamed: @Sendable () async throws -> Void = { [streamed] in
            for index in streamed {
                let rows = await folds[index].takeChangedRows()
                let tables = types[index].tables
                guard rows.contains(where: { !$0.isEmpty }) else { continue }
                try await writer.transaction { connection in
                    for (table, tableRows) in zip(tables, rows) where !tableRows.isEmpty {
                        try ProjectionStore.copyIntoBuildTable(table, on: connection) { writer in
                            for row in tableRows { try writer.writeRow(row) }
                        }
                    }
                }
            }
        }
        var (position, events, _) = try await ConcurrentFold.foldLog(
            into: folds, from: reader, after: 0, pageSize: options.pageSize, afterFold: streamed.isEmpty ? nil : writeStreamed
        ) {
            progress?($0, max(head, $0))
        }
        progress?(position, max(head, position))
        // Every other projection's rows are built one at a time as they are copied in: no table
        // is held as text.
        for index in folds.indices where !streamed.contains(index) {
            // The catch-up rounds below write only what changes after this.
            await folds[index].forgetChangesAfterEachPage(false)
            let projection = await folds[index].folded()
            let tables = types[index].tables
            try await writer.transaction { connection in
                try ProjectionStore.createBuildTables(tables, rows: projection, on: connection)
            }
        }
        try await ProjectionStore.prepareStaging(types.flatMap { $0.tables }, writer)

        // Appends that arrived while folding and writing: into the new tables too.
        for _ in 0..<maximumCatchUpRounds {
            let (reached, folded, _) = try await ConcurrentFold.foldLog(into: folds, from: reader, after: position, pageSize: options.pageSize)
            guard folded > 0 else { break }
            position = reached
            events += folded
            var writes: [ProjectionStore.TableWrite] = []
            for index in folds.indices {
                writes += zip(types[index].tables, await folds[index].takeChangedRows()).map { .init(table: $0, rows: $1) }
            }
            let batch = writes
            try await writer.transaction { connection in
                try ProjectionStore.upsert(batch, schema: ProjectionStore.buildSchema, on: connection)
            }
        }

        var reports: [ProjectionRebuildReport] = []
        for (type, fold) in zip(types, folds) {
            let stall = await fold.stall
            // A stalled projection is swapped in as of the event before its stall.
            let swapPosition = stall == nil ? position : await fold.lastFolded
            let generation = try await swap(type, position: swapPosition, stall: stall, writer: writer)
            // Rows as swapped in (the catch-up rounds may have added some).
            var counts: [String: Int] = [:]
            for table in type.tables {
                counts[table.name] = try await writer.queryOne("SELECT count(*) FROM \(ProjectionStore.liveSchema).\(table.name)") { try $0.int(0) }
            }
            reports.append(ProjectionRebuildReport(
                projection: type.name, position: swapPosition, generation: generation, events: events, rows: counts,
                elapsedMilliseconds: Int64((DispatchTime.now().uptimeNanoseconds - started) / 1_000_000), stall: stall
            ))
        }
        return reports
    }

    /// Swaps `type`'s build tables in, trying `swapAttempts` times while readers hold the live
    /// tables; then throws `swapBlocked` naming them.
    static func swap(_ type: any Projection.Type, position: Int64, stall: ProjectionStall?, writer: PostgresConnection) async throws -> Int64 {
        let (name, tables) = (type.name, type.tables)
        var pause = swapBackoffMilliseconds
        var holders: [String] = []
        for attempt in 1...swapAttempts {
            do {
                return try await writer.transaction { connection in
                    try ProjectionStore.swap(name, tables, position: position, stall: stall, on: connection)
                }
            } catch let error as PostgresError where error.code == .lockNotAvailable {
                holders = (try? await ProjectionStore.lockHolders(tables, writer)) ?? []
                guard attempt < swapAttempts else { break }
                try await Task.sleep(for: .milliseconds(pause))
                pause *= 2
            }
        }
        let seconds = Double(ProjectionStore.swapLockTimeoutMilliseconds) / 1_000
        throw ProjectionError(
            .swapBlocked,
            "could not swap in the rebuilt \(name) tables: \(swapAttempts) attempts each waited \(seconds) s for readers of the live tables; "
                + (holders.isEmpty ? "no holder is visible to this role" : holders.joined(separator: "; "))
                + ". The live tables are unchanged; run the rebuild again once that transaction ends."
        )
    }
}
