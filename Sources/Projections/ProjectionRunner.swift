import EventStore
import Foundation
import Postgres
import Synchronization

/// Limits and pacing of a runner.
public struct ProjectionRunOptions: Sendable {
    /// Events folded per transaction: each batch writes its changed rows and moves the checkpoints once.
    public var batchEvents = 20_000
    /// Events per page read from the log.
    public var pageSize = 5_000
    /// While following: re-read at least this often even without a notification.
    public var pollMilliseconds: Int32 = 1_000
    /// Reloads (after the checkpoint moved under us) in a row before giving up.
    public var maximumReloads = 10

    public init() {}
}

/// Asks a runner to stop at the next batch boundary (SIGINT/SIGTERM, or a test).
public final class StopSignal: Sendable {
    private let stopped = Mutex(false)
    public init() {}
    public func stop() { stopped.withLock { $0 = true } }
    public var isStopped: Bool { stopped.withLock { $0 } }
}

/// What one catch-up did, per projection.
public struct ProjectionRunReport: Sendable, Codable, Equatable {
    public let projection: String
    public let fromPosition: Int64
    public let toPosition: Int64

    public init(projection: String, fromPosition: Int64, toPosition: Int64) {
        self.projection = projection
        self.fromPosition = fromPosition
        self.toPosition = toPosition
    }

    /// Events after `fromPosition` folded and written.
    public var eventsApplied: Int64 { toPosition - fromPosition }

    enum CodingKeys: String, CodingKey {
        case projection, fromPosition = "from_position", toPosition = "to_position"
    }
}

/// Applies the log to projections, in position order, in batches. Each batch's changed rows and
/// every checkpoint it moves are written in one transaction, each checkpoint by compare-and-set
/// on (position, generation), so a crash at any point loses nothing and applies nothing twice:
/// the transaction either committed (rows and checkpoint) or did not (neither).
///
/// A runner holds each of its projections' lease (a session advisory lock) for as long as it
/// lives; a second runner of the same projection is refused (`leaseHeld`), or waits as a standby.
///
/// A projection's in-memory state is rebuilt by folding the log from position 0 (without writing
/// up to its checkpoint, on every core with `ConcurrentFold`): the read models are a fold of the
/// log, so this is the one way to get it exactly, and it needs no second copy of the state.
public final class ProjectionRunner {
    struct Slot {
        let type: any Projection.Type
        var projection: any Projection
        var checkpoint: Int64
        var generation: Int64
        var startedAt: Int64
    }

    public let options: ProjectionRunOptions
    let writer: PostgresConnection
    let reader: EventStore
    var slots: [Slot]
    /// Every projection's state has folded the log up to here.
    var cursor: Int64 = 0

    private init(options: ProjectionRunOptions, writer: PostgresConnection, reader: EventStore, types: [any Projection.Type]) {
        self.options = options
        self.writer = writer
        self.reader = reader
        slots = types.map { Slot(type: $0, projection: $0.init(), checkpoint: 0, generation: 0, startedAt: 0) }
    }

    /// The projections this runner applies.
    public var names: [String] { slots.map { $0.type.name } }

    /// Connects (twice: one connection reads the log, one holds the leases and writes), acts as
    /// the read models' owner, and takes the lease of every projection in `names` (all when
    /// empty). When one is held elsewhere: with `standby`, waits until it is free (or `standby`
    /// is stopped, then throws `leaseHeld`); without, throws `leaseHeld` naming the holder.
    public static func start(
        configuration: ConnectionConfiguration, projections names: [String] = [], options: ProjectionRunOptions = .init(),
        standby: StopSignal? = nil, onWaiting: (@Sendable (String, Int32?) -> Void)? = nil
    ) async throws -> ProjectionRunner {
        let types = try ProjectionCatalog.projections(named: names)
        var writerConfiguration = configuration
        writerConfiguration.applicationName = "ledger-projections"
        let writer = try await PostgresConnection.connect(writerConfiguration)
        do {
            try await ProjectionStore.becomeOwner(writer)
            var announced = false
            for type in types {
                while try await !ProjectionStore.tryLease(.runner, type.name, writer) {
                    let holder = try await ProjectionStore.leaseHolder(.runner, type.name, writer)
                    guard let standby, !standby.isStopped else {
                        throw ProjectionError(
                            .leaseHeld,
                            "projection \(type.name) is being run by another runner\(holder.map { " (server process \($0))" } ?? ""); only one runs at a time",
                            holderPID: holder
                        )
                    }
                    if !announced { onWaiting?(type.name, holder) }
                    announced = true
                    try await Task.sleep(for: .milliseconds(250))
                }
            }
            try await ProjectionStore.prepareStaging(types.flatMap { $0.tables }, writer)
            let readerConnection = try await PostgresConnection.connect(configuration)
            try await ProjectionStore.becomeOwner(readerConnection)
            let reader = EventStore(connection: readerConnection)
            let runner = ProjectionRunner(options: options, writer: writer, reader: reader, types: types)
            try await runner.reload()
            return runner
        } catch {
            await writer.close()
            throw error
        }
    }

    /// Closes both connections, which ends the leases.
    public func close() async {
        // Release the leases before closing: the server process lives on for a moment after its
        // connection is closed, and a runner started right after this one would be refused.
        try? await writer.simpleQuery("SELECT pg_advisory_unlock_all()")
        await writer.close()
        await reader.connection.close()
    }

    /// Forgets every state, reads the checkpoints again, and folds the log (writing nothing) up
    /// to the lowest checkpoint, on every core; catching up goes on from there.
    func reload() async throws {
        for index in slots.indices {
            let (position, generation) = try await ProjectionStore.checkpoint(slots[index].type.name, writer)
            slots[index].projection = slots[index].type.init()
            slots[index].checkpoint = position
            slots[index].generation = generation
            slots[index].startedAt = position
        }
        cursor = 0
        let lowest = slots.map(\.checkpoint).min() ?? 0
        guard lowest > 0 else { return }
        let folds = slots.map { ConcurrentFold($0.type, through: lowest) }
        let (reached, _) = try await ConcurrentFold.foldLog(into: folds, from: reader, after: 0, through: lowest, pageSize: options.pageSize)
        guard reached == lowest else {
            throw ProjectionError(.checkpointMoved, "the log ends at \(reached), before the checkpoint \(lowest)")
        }
        for index in slots.indices {
            var projection = await folds[index].folded()
            _ = projection.takeChangedRows()  // already in the tables
            slots[index].projection = projection
        }
        cursor = lowest
    }

    /// Folds and writes everything up to the head of the log as it is when the last page is read,
    /// or until `stop` is set (at a batch boundary). After a rebuild swapped tables under it (the
    /// checkpoint moved), reloads and goes on. `progress` gets (position, head) now and then.
    @discardableResult
    public func catchUp(stop: StopSignal? = nil, progress: ((Int64, Int64) -> Void)? = nil) async throws -> [ProjectionRunReport] {
        var reloads = 0
        while true {
            do {
                try await catchUpOnce(stop: stop, progress: progress)
                let reports = slots.map {
                    ProjectionRunReport(projection: $0.type.name, fromPosition: $0.startedAt, toPosition: $0.checkpoint)
                }
                for index in slots.indices { slots[index].startedAt = slots[index].checkpoint }
                return reports
            } catch let error as ProjectionError where error.code == .checkpointMoved {
                reloads += 1
                guard reloads <= options.maximumReloads else {
                    throw ProjectionError(.contention, "gave up after \(reloads - 1) reloads: \(error.message)")
                }
                try await reload()
            }
        }
    }

    private func catchUpOnce(stop: StopSignal?, progress: ((Int64, Int64) -> Void)?) async throws {
        let head = progress == nil ? 0 : try await reader.digest().position
        var folded = 0
        var last = cursor
        for try await recorded in reader.readAll(after: cursor, pageSize: options.pageSize) {
            if let event = try ProjectedEvent(recorded: recorded) {
                for index in slots.indices { slots[index].projection.apply(event) }
            }
            last = recorded.position
            folded += 1
            if folded >= options.batchEvents {
                try await commit(through: last)
                folded = 0
                progress?(last, max(head, last))
                if stop?.isStopped == true { break }
            }
        }
        if last > cursor { try await commit(through: last) }
        progress?(last, max(head, last))
    }

    /// Writes what changed up to `position` and moves the checkpoints there, in one transaction.
    /// A projection whose checkpoint is already at or past `position` (the runner is replaying
    /// to rebuild its state) writes nothing.
    func commit(through position: Int64) async throws {
        var writes: [ProjectionStore.TableWrite] = []
        var moves: [ProjectionStore.CheckpointMove] = []
        for index in slots.indices {
            let rows = slots[index].projection.takeChangedRows()
            let slot = slots[index]
            guard position > slot.checkpoint else { continue }
            // Rows changed by events at or before the checkpoint are rewritten with the same
            // or newer values: a whole-row upsert of the current state is idempotent.
            for (table, tableRows) in zip(slot.type.tables, rows) where !tableRows.isEmpty {
                writes.append(.init(table: table, rows: tableRows))
            }
            moves.append(.init(projection: slot.type.name, from: slot.checkpoint, to: position, generation: slot.generation))
        }
        if !moves.isEmpty {
            let (batchWrites, batchMoves) = (writes, moves)
            try await writer.transaction { connection in
                try ProjectionStore.upsert(batchWrites, schema: ProjectionStore.liveSchema, on: connection)
                try ProjectionStore.move(batchMoves, on: connection)
            }
            for index in slots.indices where position > slots[index].checkpoint {
                slots[index].checkpoint = position
            }
        }
        cursor = position
    }

    /// Catches up, then follows the log: woken by NOTIFY on `ledger_events` (a connection of its
    /// own), re-reading every `pollMilliseconds` anyway, so a lost notification only delays.
    /// Returns when `stop` is set, after the batch in hand is committed.
    public func follow(
        configuration: ConnectionConfiguration, stop: StopSignal, onCatchUp: (([ProjectionRunReport]) -> Void)? = nil
    ) async throws {
        let listener = try await PostgresConnection.connect(configuration)
        do {
            // Listen before reading, so an append between the read and the wait still wakes us.
            try await listener.listen(EventStore.notificationChannel)
            while !stop.isStopped {
                let reports = try await catchUp(stop: stop)
                if reports.contains(where: { $0.eventsApplied > 0 }) { onCatchUp?(reports) }
                try await waitForAppend(listener, stop: stop)
            }
            await listener.close()
        } catch {
            await listener.close()
            throw error
        }
    }

    /// Returns on a notification, after `pollMilliseconds`, or soon after `stop` is set.
    private func waitForAppend(_ listener: PostgresConnection, stop: StopSignal) async throws {
        let slice: Int32 = 200
        var waited: Int32 = 0
        while !stop.isStopped, waited < options.pollMilliseconds {
            if try await listener.waitForNotification(timeoutMilliseconds: slice) != nil {
                // One re-read covers every notification queued meanwhile.
                while try await listener.waitForNotification(timeoutMilliseconds: 0) != nil {}
                return
            }
            waited += slice
        }
    }
}
