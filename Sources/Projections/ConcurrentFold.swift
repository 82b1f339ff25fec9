import EventStore
import Ledger

/// One projection folding on an executor of its own, so that several fold side by side; it
/// applies events up to `through` and ignores later ones.
actor ConcurrentFold {
    private var projection: any Projection
    private let type: any Projection.Type
    private let through: Int64
    /// The last position folded (or of no interest to it) before any stall.
    private(set) var lastFolded: Int64
    /// The event it could not fold: it folds nothing after it.
    private(set) var stall: ProjectionStall?
    /// Whether it forgets which rows changed after each page (`Projection.forgetChanges`).
    private var forgetsChanges = false

    init(_ type: any Projection.Type, through: Int64 = .max, after start: Int64 = 0) {
        projection = type.init()
        self.type = type
        self.through = through
        lastFolded = start
    }

    /// From now on, forget (or, with false, keep again) which rows each page changed: for a fold
    /// whose rows are all written or compared at its end. Not for one that keeps only untaken rows.
    func forgetChangesAfterEachPage(_ forget: Bool) {
        forgetsChanges = forget
        if forget { projection.forgetChanges() }
    }

    func apply(_ events: [DecodedEvent.Positioned]) {
        defer { if forgetsChanges { projection.forgetChanges() } }
        for event in events {
            guard stall == nil, event.position <= through else { return }
            if let problem = ProjectionRunner.fold(event.decoded, into: &projection, type) {
                stall = ProjectionStall(position: event.position, reason: problem)
                return
            }
            lastFolded = event.position
        }
    }

    func takeChangedRows() -> [[ReadModelRow]] { projection.takeChangedRows() }

    func allRows() -> [[ReadModelRow]] { projection.allRows() }

    /// See `Projection.keepOnlyUntakenRows`.
    func keepOnlyUntakenRows() -> Bool { projection.keepOnlyUntakenRows() }

    /// The projection as folded so far.
    func folded() -> any Projection { projection }

    /// Folds the log after `after`, through `last`, into `folds`, a page at a time, in three
    /// overlapping stages: the next page is read while this one is decoded (on every core) and
    /// the one before is folded (each projection on its own executor). Returns the last position
    /// folded, the number of events read, and the events no projection could read. `afterFold`
    /// runs once each page is folded, while the next one is read and decoded (e.g. to write the
    /// rows of projections that keep only untaken rows).
    static func foldLog(
        into folds: [ConcurrentFold], from reader: EventStore, after start: Int64, through last: Int64 = .max, pageSize: Int,
        afterFold: (@Sendable () async throws -> Void)? = nil, progress: ((Int64) -> Void)? = nil
    ) async throws -> (position: Int64, events: Int64, unreadable: [UnreadableEvent]) {
        var position = start
        var events: Int64 = 0
        var unreadable: [UnreadableEvent] = []
        guard last > start else { return (position, events, unreadable) }
        var reading: Task<[RecordedEvent], any Error>? = Task { try await reader.readPage(after: start, limit: pageSize) }
        var folding: Task<Void, any Error>?
        defer { reading?.cancel() }
        while let current = reading {
            let read: [RecordedEvent]
            do { read = try await current.value } catch {
                // A fold (and its afterFold) still running finishes before this throws.
                _ = try? await folding?.value
                throw error
            }
            var page = read
            if let tail = page.last, tail.position > last { page = page.filter { $0.position <= last } }
            guard let tail = page.last else { break }
            position = tail.position
            events += Int64(page.count)
            let more = page.count == pageSize && position < last
            reading = more ? Task { [position] in try await reader.readPage(after: position, limit: pageSize) } : nil
            let decoded = await parallelMap(page) { event in DecodedEvent.Positioned(position: event.position, decoded: ProjectedEvent.decode(event)) }
            unreadable += decoded.compactMap { if case .unreadable(let event) = $0.decoded { event } else { nil } }
            try await folding?.value
            folding = Task {
                await withTaskGroup(of: Void.self) { group in
                    for fold in folds { group.addTask { await fold.apply(decoded) } }
                }
                try await afterFold?()
            }
            progress?(position)
        }
        try await folding?.value
        return (position, events, unreadable)
    }
}
