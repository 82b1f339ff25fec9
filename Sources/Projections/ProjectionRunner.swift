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
    /// Where and why it stopped, when it met an event it cannot fold (it stays at `toPosition`).
    public let stall: ProjectionStall?

    public init(projection: String, fromPosition: Int64, toPosition: Int64, stall: ProjectionStall? = nil) {
        self.projection = projection
        self.fromPosition = fromPosition
        self.toPosition = toPosition
        self.stall = stall
    }

    /// Events after `fromPosition` folded and written.
    public var eventsApplied: Int64 { toPosition - fromPosition }

    enum CodingKeys: String, CodingKey {
        case projection, fromPosition = "from_position", toPosition = "to_position", stall
    }
}

/// Applies the log to projections, in position order, in batches. Each batch's changed rows and
/// every checkpoint it moves are written in one transaction, each checkpoint by compare-and-set
/// on (position, generation), so a crash at any point loses nothing and applies nothing twice:
/// the transaction either committed (rows and checkpoint) or did not (neither).
///
/// A runner holds each of its projections' lease (a lock only ledger_admin may take, held by a
/// connection of its own: `LeaseConnection`) for as long as it lives; a second runner of the same projection is refused (`leaseHeld`), or waits as a standby.
///
/// A projection that meets an event it cannot fold (a payload it cannot read, a figure beyond the
/// ledger's range) stops at the event before: its checkpoint stays there with the position and the
/// reason (`stalled_at`, `stalled_reason`), while the other projections go on to the head. It
/// stops there again on every run, until a version of `ledger` that reads the event folds it.
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
        /// The event it could not fold; it folds nothing after it.
        var stall: ProjectionStall?
        /// The last position folded before the stall: where its checkpoint stops.
        var stalledAfter: Int64 = 0
        /// Whether the stall is written to its checkpoint row.
        var stallRecorded = false
    }

    public let options: ProjectionRunOptions
    let writer: PostgresConnection
    let reader: EventStore
    /// Holds the leases of every projection this runner applies.
    let lease: LeaseConnection
    var slots: [Slot]
    /// Every projection's state has folded the log up to here.
    var cursor: Int64 = 0
    /// Events of a domain type that cannot be read and that none of these projections reads:
    /// skipped, reported once (`takeSkipped`).
    var skipped: [UnreadableEvent] = []

    /// The unreadable events skipped since the last call (no projection of this runner reads their type).
    public func takeSkipped() -> [UnreadableEvent] {
        defer { skipped.removeAll() }
        return skipped
    }

    /// Folds one decoded event into `projection`; returns why it cannot, or nil. An unreadable
    /// event stops only a projection that reads its type.
    static func fold(_ decoded: DecodedEvent, into projection: inout any Projection, _ type: any Projection.Type) -> String? {
        switch decoded {
        case .event(let event):
            do {
                try projection.apply(event)
                return nil
            } catch {
                return UnreadableEvent(position: event.position, type: event.event.typeName, problem: UnreadableEvent.text(of: error)).description
            }
        case .foreign:
            return nil
        case .unreadable(let unreadable):
            return type.eventTypes.contains(unreadable.type) ? unreadable.description : nil
        }
    }

    /// Whether some projection of `types` reads the type of `event`.
    static func isRead(_ event: UnreadableEvent, by types: [any Projection.Type]) -> Bool {
        types.contains { $0.eventTypes.contains(event.type) }
    }

    private init(
        options: ProjectionRunOptions, writer: PostgresConnection, reader: EventStore, lease: LeaseConnection, types: [any Projection.Type]
    ) {
        self.options = options
        self.writer = writer
        self.reader = reader
        self.lease = lease
        slots = types.map { Slot(type: $0, projection: $0.init(), checkpoint: 0, generation: 0, startedAt: 0) }
    }

    /// The projections this runner applies.
    public var names: [String] { slots.map { $0.type.name } }

    /// Connects (three times: one connection reads the log, one holds the leases, one writes), acts as
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
        var leases: LeaseConnection?
        do {
            try await ProjectionStore.becomeOwner(writer)
            let lease = try await LeaseConnection.open(configuration, applicationName: "ledger-projections-lease")
            leases = lease
            var announced = false
            for type in types {
                while try await !lease.tryTake(.runner, type.name, recordOn: writer) {
                    let holder = try await ProjectionStore.leaseHolder(.runner, type.name, writer)
                    guard let standby, !standby.isStopped else {
                        throw ProjectionError(
                            .leaseHeld,
                            "projection \(type.name) is being run by another runner\(holder.map { " (\($0.description))" } ?? ""); only one runs at a time",
                            holderPID: holder?.pid
                        )
                    }
                    if !announced { onWaiting?(type.name, holder?.pid) }
                    announced = true
                    try await Task.sleep(for: .milliseconds(250))
                }
            }
            try await ProjectionStore.prepareStaging(types.flatMap { $0.tables }, writer)
            let readerConnection = try await PostgresConnection.connect(configuration)
            try await ProjectionStore.becomeOwner(readerConnection)
            let reader = EventStore(connection: readerConnection)
            let runner = ProjectionRunner(options: options, writer: writer, reader: reader, lease: lease, types: types)
            try await runner.reload()
            return runner
        } catch {
            await leases?.close()
            await writer.close()
            throw error
        }
    }

    /// Closes the connections, which ends the leases.
    public func close() async {
        await lease.close()
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
            slots[index].stall = nil
            slots[index].stallRecorded = false
        }
        cursor = 0
        let lowest = slots.map(\.checkpoint).min() ?? 0
        guard lowest > 0 else { return }
        let folds = slots.map { ConcurrentFold($0.type, through: lowest) }
        // Every row folded here is in the tables already: which ones changed is not worth keeping.
        for fold in folds { await fold.forgetChangesAfterEachPage(true) }
        let (reached, _, _) = try await ConcurrentFold.foldLog(into: folds, from: reader, after: 0, through: lowest, pageSize: options.pageSize)
        guard reached == lowest else {
            throw ProjectionError(.checkpointMoved, "the log ends at \(reached), before the checkpoint \(lowest)")
        }
        for index in slots.indices {
            await folds[index].forgetChangesAfterEachPage(false)
            slots[index].projection = await folds[index].folded()
            if let stall = await folds[index].stall {
                slots[index].stall = stall
                slots[index].stalledAfter = await folds[index].lastFolded
            }
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
                    ProjectionRunReport(projection: $0.type.name, fromPosition: $0.startedAt, toPosition: $0.checkpoint, stall: $0.stall)
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
        let types = slots.map(\.type)
        for try await recorded in reader.readAll(after: cursor, pageSize: options.pageSize) {
            let decoded = ProjectedEvent.decode(recorded)
            if case .unreadable(let unreadable) = decoded, !Self.isRead(unreadable, by: types) { skipped.append(unreadable) }
            for index in slots.indices where slots[index].stall == nil {
                if let problem = Self.fold(decoded, into: &slots[index].projection, slots[index].type) {
                    slots[index].stall = ProjectionStall(position: recorded.position, reason: problem)
                    slots[index].stalledAfter = last
                }
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
            // A stalled projection goes no further than the event before its stall.
            let target = slot.stall == nil ? position : min(position, slot.stalledAfter)
            let recordStall = slot.stall != nil && !slot.stallRecorded
            guard target > slot.checkpoint || recordStall else { continue }
            if target > slot.checkpoint {
                // Rows changed by events at or before the checkpoint are rewritten with the same
                // or newer values: a whole-row upsert of the current state is idempotent.
                for (table, tableRows) in zip(slot.type.tables, rows) where !tableRows.isEmpty {
                    writes.append(.init(table: table, rows: tableRows))
                }
            }
            moves.append(.init(
                projection: slot.type.name, from: slot.checkpoint, to: max(target, slot.checkpoint), generation: slot.generation,
                stall: slot.stall
            ))
        }
        if !moves.isEmpty {
            let (batchWrites, batchMoves) = (writes, moves)
            try await writer.transaction { connection in
                try ProjectionStore.upsert(batchWrites, schema: ProjectionStore.liveSchema, on: connection)
                try ProjectionStore.move(batchMoves, on: connection)
            }
            for move in batchMoves {
                guard let index = slots.firstIndex(where: { $0.type.name == move.projection }) else { continue }
                slots[index].checkpoint = move.to
                if slots[index].stall != nil { slots[index].stallRecorded = true }
            }
        }
        cursor = position
    }

    /// The projections that stopped at an event they cannot fold.
    public var stalls: [(projection: String, stall: ProjectionStall)] {
        slots.compactMap { slot in slot.stall.map { (slot.type.name, $0) } }
    }

    /// Catches up, then follows the log: woken by NOTIFY on `ledger_events` (a connection of its
    /// own), re-reading every `pollMilliseconds` anyway, so a lost notification only delays.
    /// Returns when `stop` is set, after the batch in hand is committed.
    /// A projection that stops at an event it cannot fold is reported once to `onStall` (with
    /// the unreadable events no projection reads, skipped); the others keep following.
    public func follow(
        configuration: ConnectionConfiguration, stop: StopSignal, onCatchUp: (([ProjectionRunReport]) -> Void)? = nil,
        onStall: (([ProjectionRunReport], [UnreadableEvent]) -> Void)? = nil
    ) async throws {
        let listener = try await PostgresConnection.connect(configuration)
        var reported = Set(stalls.map { "\($0.projection)@\($0.stall.position)" })
        do {
            // Listen before reading, so an append between the read and the wait still wakes us.
            try await listener.listen(EventStore.notificationChannel)
            while !stop.isStopped {
                let reports = try await catchUp(stop: stop)
                let newStalls = reports.filter { report in
                    report.stall.map { reported.insert("\(report.projection)@\($0.position)").inserted } ?? false
                }
                let skipped = takeSkipped()
                if !newStalls.isEmpty || !skipped.isEmpty { onStall?(newStalls, skipped) }
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
