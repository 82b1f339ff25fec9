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
    /// Events folded per second of the whole rebuild (read, fold, write, swap; several projections
    /// rebuilt together share one pass, and the time up to this one's swap).
    public var eventsPerSecond: Int64 { events * 1_000 / max(elapsedMilliseconds, 1) }

    enum CodingKeys: String, CodingKey {
        case projection, position, generation, events, rows, elapsedMilliseconds = "elapsed_ms"
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
/// time (its own lease).
public enum ProjectionRebuild {
    /// Catch-up rounds after the fold, before swapping with whatever is left.
    static let maximumCatchUpRounds = 5

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
        do {
            try await ProjectionStore.becomeOwner(writer)
            for type in types {
                guard try await ProjectionStore.tryLease(.rebuild, type.name, writer) else {
                    let holder = try await ProjectionStore.leaseHolder(.rebuild, type.name, writer)
                    throw ProjectionError(
                        .leaseHeld, "a rebuild of \(type.name) is already running\(holder.map { " (server process \($0))" } ?? "")",
                        holderPID: holder
                    )
                }
            }
            readerConnection = try await PostgresConnection.connect(configuration)
            try await ProjectionStore.becomeOwner(readerConnection)
        } catch {
            try? await writer.simpleQuery("SELECT pg_advisory_unlock_all()")  // leases end now, not when the server process exits
            await writer.close()
            throw error
        }
        do {
            let reports = try await rebuild(types, writer: writer, reader: EventStore(connection: readerConnection),
                                            options: options, started: started, progress: progress)
            await readerConnection.close()
            try? await writer.simpleQuery("SELECT pg_advisory_unlock_all()")  // leases end now, not when the server process exits
            await writer.close()
            return reports
        } catch {
            await readerConnection.close()
            try? await writer.simpleQuery("SELECT pg_advisory_unlock_all()")  // leases end now, not when the server process exits
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
        var (position, events) = try await ConcurrentFold.foldLog(into: folds, from: reader, after: 0, pageSize: options.pageSize) {
            progress?($0, max(head, $0))
        }
        progress?(position, max(head, position))
        // One projection's rows are built (on its own executor) while the previous one's are
        // copied in: never more than two projections' rows in memory at once.
        func rows(_ index: Int) -> Task<[[ReadModelRow]], Never> {
            let fold = folds[index]
            return Task {
                _ = await fold.takeChangedRows()
                return await fold.allRows()
            }
        }
        var next: Task<[[ReadModelRow]], Never>? = folds.isEmpty ? nil : rows(0)
        for index in folds.indices {
            guard let building = next else { break }
            let projectionRows = await building.value
            next = index + 1 < folds.count ? rows(index + 1) : nil
            let tables = types[index].tables
            try await writer.transaction { connection in
                try ProjectionStore.createBuildTables(tables, rows: projectionRows, on: connection)
            }
        }
        try await ProjectionStore.prepareStaging(types.flatMap { $0.tables }, writer)

        // Appends that arrived while folding and writing: into the new tables too.
        for _ in 0..<maximumCatchUpRounds {
            let (reached, folded) = try await ConcurrentFold.foldLog(into: folds, from: reader, after: position, pageSize: options.pageSize)
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
        for type in types {
            let (name, tables, swapPosition) = (type.name, type.tables, position)
            let generation = try await writer.transaction { connection in
                try ProjectionStore.swap(name, tables, position: swapPosition, on: connection)
            }
            // Rows as swapped in (the catch-up rounds may have added some).
            var counts: [String: Int] = [:]
            for table in tables {
                counts[table.name] = try await writer.queryOne("SELECT count(*) FROM \(ProjectionStore.liveSchema).\(table.name)") { try $0.int(0) }
            }
            reports.append(ProjectionRebuildReport(
                projection: name, position: swapPosition, generation: generation, events: events, rows: counts,
                elapsedMilliseconds: Int64((DispatchTime.now().uptimeNanoseconds - started) / 1_000_000)
            ))
        }
        return reports
    }
}
