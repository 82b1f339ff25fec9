import Crypto
import EventStore
import Foundation
import Postgres

/// A bulk payment import (`ledger payment import FILE [--skip-invalid]`): every row of a file
/// (`PaymentImportFile` in memory, or `PaymentImportStream`, read from disk on each pass) is
/// checked before anything is appended, then the valid rows are appended in batches. What is
/// held for the whole file is the well-formed rows packed (`PaymentImportCandidates`, about
/// 60 bytes a row), never the rows as text nor the applications' states: those are read a window
/// of `applicationsPerWindow` applications at a time, so memory grows with the file by the packed
/// rows only.
///
/// 1. **Fields** (`PaymentImportChecks.checkFields(streaming:)`, the same results as
///    `checkFields`): each field on its own, and payment ids repeated in the file (an exact
///    repeat counts once; a different payment is a bad row). A first read hashes the payment
///    ids; the second keeps whole rows only for ids whose hash comes twice.
/// 2. **Ledger**: the rows grouped by application (application ids in order, each one's rows in
///    file order), a window of applications at a time: their states, programmes and
///    beneficiaries and the payment ids already recorded are read in a few round trips
///    (`loadMany`, `recordedPaymentStreams`; the next window while this one is decided); then
///    each row is decided with `ApplicationDecisions.recordPayment`, each accepted payment folded
///    in so a later row on the same application sees it. A payment is decided on its application
///    alone, so this is what deciding in file order comes to. A payment id recorded before with
///    the same content is "already recorded" (nothing appended); with different content, or on
///    another application, a bad row.
/// 3. Any bad row and no `skipInvalid`: nothing is appended (`.refused`). Otherwise the valid rows
///    are appended in that order in batches of at most
///    `PaymentImportLimits.maximumEventsPerAppend` events on at most `maximumStreamsPerAppend`
///    applications, each batch one atomic multi-stream append with each application's expected version, under the command id `import-<SHA-256 of the batch>`.
///    The applications are read again a window at a time (the next window while this one is
///    appended), and each batch is decided again against the ledger as this import has left it
///    (the next batch while the previous one is at the database); if another writer moved one of
///    its applications (or recorded one of its payment ids) meanwhile, the append is refused,
///    those applications are read again and the batch decided again, at most
///    `LedgerService.maximumAttempts` times. A row that no longer passes then is reported;
///    without `skipInvalid` the import stops there (`.stopped`: the batches before it stay
///    recorded, and importing the file again records the rest).
///
/// The payment id is the idempotency key throughout, so importing the same file again, or a file
/// that overlaps one imported before, never pays a row twice.
public struct PaymentImport: Sendable {
    public let service: LedgerService
    /// Record the valid rows and report the invalid ones, instead of refusing the whole file.
    public let skipInvalid: Bool

    public init(service: LedgerService, skipInvalid: Bool = false) {
        self.service = service
        self.skipInvalid = skipInvalid
    }

    /// Rows decided between two progress reports.
    static let progressEveryRows = 1_000

    /// Checks and imports `file`. Throws only while nothing has been appended (reading the ledger
    /// failed); a failure while appending ends the import as `.stopped`, with what was recorded.
    public func run(
        _ file: PaymentImportFile, progress: @escaping @Sendable (PaymentImportProgress) -> Void = { _ in }
    ) async throws -> PaymentImportResult {
        try await run(rows: file, progress: progress)
    }

    /// Checks and imports the file `stream` reads, reading it from disk on each pass instead of
    /// holding its rows: the same checks and result as `run(_:)` on the same bytes.
    public func run(
        _ stream: PaymentImportStream, progress: @escaping @Sendable (PaymentImportProgress) -> Void = { _ in }
    ) async throws -> PaymentImportResult {
        try await run(rows: stream, progress: progress)
    }

    /// Applications whose state is held at once while checking or recording (with their rows,
    /// programmes and beneficiaries): the import's memory does not grow with the file beyond
    /// the packed rows (`PaymentImportCandidates`).
    var applicationsPerWindow = 2_000
    /// Rows decided against one window of applications, at most (an application's rows are
    /// never split while checking, so a window may hold more for one large application).
    var rowsPerWindow = 20_000

    func run(
        rows source: some PaymentImportRowSource, progress: @escaping @Sendable (PaymentImportProgress) -> Void
    ) async throws -> PaymentImportResult {
        // Pass 1: fields.
        let fields = try PaymentImportChecks.checkFields(streaming: source)
        let candidates = fields.candidates
        var problems = fields.problems
        var invalid = fields.invalid

        // Pass 2: the ledger, a window of applications at a time, each application's rows in
        // file order (a payment is decided on its application alone; payment ids are unique
        // among the candidates), the next window read while this one is decided.
        let grouped = candidates.groupedByApplication()
        let windows = checkWindows(grouped, of: candidates)
        var accepted = [Bool](repeating: false, count: candidates.count)
        var alreadyRecorded = 0
        var pending: Task<PaymentImportLedgerView, Error>? = windows.first.map { window in
            Task { try await loadView(for: grouped[window].map { candidates[Int($0)].order }, progress: { _ in }) }
        }
        defer { pending?.cancel() }
        progress(PaymentImportProgress(phase: .checking, done: 0, total: candidates.count))
        for (number, window) in windows.enumerated() {
            guard let loading = pending else { break }
            var view = try await loading.value
            pending = number + 1 < windows.count
                ? Task { [grouped] in try await loadView(for: grouped[windows[number + 1]].map { candidates[Int($0)].order }, progress: { _ in }) }
                : nil
            for index in grouped[window] {
                let candidate = candidates[Int(index)]
                switch view.decide(candidate.order) {
                case .record: accepted[Int(index)] = true
                case .alreadyRecorded: alreadyRecorded += 1
                case .refused(let refusal):
                    problems.append(PaymentImportProblem(line: candidate.line, refusal: refusal))
                    invalid += 1
                }
            }
            progress(PaymentImportProgress(phase: .checking, done: window.upperBound, total: candidates.count))
        }

        var tally = Tally(
            rowsRead: source.rowCount, alreadyRecorded: alreadyRecorded, duplicatesInFile: fields.duplicates, invalid: invalid,
            problems: problems
        )
        tally.warnings = source.warnings
        let acceptedInOrder = grouped.filter { accepted[Int($0)] }
        guard invalid == 0 || skipInvalid else {
            tally.notRecorded = acceptedInOrder.count
            return tally.result(.refused)
        }
        return try await record(acceptedInOrder, of: candidates, tally: tally, progress: progress)
    }

    /// `grouped` cut into windows of whole applications: each at most `applicationsPerWindow`
    /// applications and, unless one application has more, `rowsPerWindow` rows.
    func checkWindows(_ grouped: [Int32], of candidates: PaymentImportCandidates) -> [Range<Int>] {
        var windows: [Range<Int>] = []
        var start = 0
        var applications = 0
        for index in grouped.indices {
            let application = candidates.applications[Int(grouped[index])]
            let newApplication = index == start || application != candidates.applications[Int(grouped[index - 1])]
            if newApplication, index > start, applications >= applicationsPerWindow || index - start >= rowsPerWindow {
                windows.append(start..<index)
                start = index
                applications = 0
            }
            if newApplication { applications += 1 }
        }
        if start < grouped.count { windows.append(start..<grouped.count) }
        return windows
    }

    /// A row whose fields are well-formed (and, once accepted, that passed the ledger's checks too).
    typealias Candidate = (line: Int, order: LedgerService.PaymentOrder)

    /// Counts as the import goes; every row ends in exactly one count.
    struct Tally {
        let rowsRead: Int
        var recorded = 0
        var alreadyRecorded: Int
        let duplicatesInFile: Int
        var invalid: Int
        var notRecorded = 0
        var appends = 0
        var firstPosition: Int64?
        var lastPosition: Int64?
        var stopReason: String?
        var problems: [PaymentImportProblem]
        var warnings: [String] = []

        init(rowsRead: Int, alreadyRecorded: Int, duplicatesInFile: Int, invalid: Int, problems: [PaymentImportProblem]) {
            self.rowsRead = rowsRead
            self.alreadyRecorded = alreadyRecorded
            self.duplicatesInFile = duplicatesInFile
            self.invalid = invalid
            self.problems = problems
        }

        func result(_ outcome: PaymentImportResult.Outcome) -> PaymentImportResult {
            precondition(
                recorded + alreadyRecorded + duplicatesInFile + invalid + notRecorded == rowsRead,
                "every row is counted once: \(recorded)+\(alreadyRecorded)+\(duplicatesInFile)+\(invalid)+\(notRecorded) ≠ \(rowsRead)"
            )
            return PaymentImportResult(
                outcome: outcome, rowsRead: rowsRead, recorded: recorded, alreadyRecorded: alreadyRecorded,
                duplicatesInFile: duplicatesInFile, invalid: invalid, notRecorded: notRecorded, appends: appends,
                firstPosition: firstPosition, lastPosition: lastPosition, stopReason: stopReason,
                problems: problems.sorted(by: PaymentImportChecks.inReportOrder), warnings: warnings.isEmpty ? nil : warnings
            )
        }
    }

    /// The end of the batch that starts at `start`: as many rows as fit in one append's limits.
    static func batchEnd(_ rows: [Int32], of candidates: PaymentImportCandidates, from start: Int) -> Int {
        var applications: Set<Int32> = []
        var end = start
        while end < rows.count, end - start < PaymentImportLimits.maximumEventsPerAppend {
            let application = candidates.applications[Int(rows[end])]
            if !applications.contains(application) {
                guard applications.count < PaymentImportLimits.maximumStreamsPerAppend else { break }
                applications.insert(application)
            }
            end += 1
        }
        return end
    }

    /// `rows` cut into batches (`batchEnd`), and the batches into windows of about
    /// `applicationsPerWindow` applications or `rowsPerWindow` rows, whole batches each.
    func recordWindows(_ rows: [Int32], of candidates: PaymentImportCandidates) -> (batches: [Range<Int>], windows: [Range<Int>]) {
        var batches: [Range<Int>] = []
        var windows: [Range<Int>] = []
        var windowStart = 0
        var windowApplications: Set<Int32> = []
        while (batches.last?.upperBound ?? 0) < rows.count {
            let start = batches.last?.upperBound ?? 0
            let batch = start..<Self.batchEnd(rows, of: candidates, from: start)
            if batches.count > windowStart,
               windowApplications.count >= applicationsPerWindow || batch.lowerBound - batches[windowStart].lowerBound >= rowsPerWindow {
                windows.append(windowStart..<batches.count)
                windowStart = batches.count
                windowApplications = []
            }
            for index in batch { windowApplications.insert(candidates.applications[Int(rows[index])]) }
            batches.append(batch)
        }
        if windowStart < batches.count { windows.append(windowStart..<batches.count) }
        return (batches, windows)
    }

    /// Appends the accepted rows (`rows`, indices into `candidates` in the order to append)
    /// batch by batch. While one batch's append is at the database, the next batch is decided
    /// as if it had succeeded (and decided again if it did not), so the client's work overlaps
    /// the server's. The applications are read a window at a time, the next window while this
    /// one is appended; an application in two windows keeps the state this import left it in.
    func record(
        _ rows: [Int32], of candidates: PaymentImportCandidates, tally start: Tally,
        progress: @escaping @Sendable (PaymentImportProgress) -> Void
    ) async throws -> PaymentImportResult {
        let (batches, windows) = recordWindows(rows, of: candidates)
        func window(_ number: Int) -> [Candidate] {
            let batchRange = windows[number]
            return (batches[batchRange.lowerBound].lowerBound..<batches[batchRange.upperBound - 1].upperBound).map { candidates[Int(rows[$0])] }
        }
        var pending: Task<PaymentImportLedgerView, Error>? = windows.first.map { _ in
            Task { [window = window(0)] in try await loadView(for: window.map(\.order), progress: { _ in }) }
        }
        defer { pending?.cancel() }
        var loadedWindows = 0
        var live = PaymentImportLedgerView(applications: [:], programs: [:], beneficiaries: [:], recordedPaymentStreams: [:])
        /// Makes `live` hold the window of batch `number`: the applications read for it, and
        /// those of the window before it (its last batch may still be at the database, and be
        /// decided again), each application this import has appended to keeping its state.
        func enter(batch number: Int) async throws {
            while loadedWindows < windows.count, windows[loadedWindows].lowerBound <= number {
                guard let loading = pending else { return }
                var view = try await loading.value
                let previous = loadedWindows > 0 ? window(loadedWindows - 1) : []
                loadedWindows += 1
                pending = loadedWindows < windows.count
                    ? Task { [window = window(loadedWindows)] in try await loadView(for: window.map(\.order), progress: { _ in }) }
                    : nil
                for (_, order) in previous {
                    if let state = live.applications[order.applicationID] { view.applications[order.applicationID] = state }
                    if let stream = live.recordedPaymentStreams[order.paymentID] { view.recordedPaymentStreams[order.paymentID] = stream }
                }
                for state in view.applications.values {
                    if let id = state.submission?.beneficiaryID, view.beneficiaries[id] == nil { view.beneficiaries[id] = live.beneficiaries[id] }
                }
                view.programs.merge(live.programs) { new, _ in new }
                live = view
            }
        }

        var tally = start
        var batchNumber = 0
        var attempt = 1
        var speculative: PreparedBatch?
        func stop(_ reason: String, settled: Int = 0) -> PaymentImportResult {
            tally.notRecorded = rows.count - batches[batchNumber].lowerBound - settled
            tally.stopReason = reason
            return tally.result(.stopped)
        }
        while batchNumber < batches.count {
            let batchRows = batches[batchNumber]
            let batch: PreparedBatch
            do {
                try await enter(batch: batchNumber)
            } catch {
                // Nothing appended yet: the import fails as a read of the ledger does.
                if tally.appends == 0, batchNumber == 0 { throw error }
                return stop("\(error)")
            }
            do {
                batch = try speculative ?? prepare(batchRows.map { candidates[Int(rows[$0])] }, on: live)
            } catch {
                return stop("a batch could not be encoded: \(error)")
            }
            speculative = nil
            // A row refused now passed the checks a moment ago: someone changed its application meanwhile.
            if let first = batch.refused.first, !skipInvalid {
                tally.problems += batch.refused
                tally.invalid += batch.refused.count
                tally.alreadyRecorded += batch.alreadyRecorded
                return stop(
                    "line \(first.line) was refused while recording (its application changed during the import): \(first.message)",
                    settled: batch.refused.count + batch.alreadyRecorded
                )
            }
            async let sent = send(batch)
            var next: PreparedBatch?
            if batchNumber + 1 < batches.count, (try? await enter(batch: batchNumber + 1)) != nil {
                next = try? prepare(batches[batchNumber + 1].map { candidates[Int(rows[$0])] }, on: live, after: batch.applicationsAfter)
            }
            let outcome = await sent

            switch outcome {
            case .conflict(let message):
                guard attempt < LedgerService.maximumAttempts else {
                    return stop("gave up after \(attempt) attempts: others kept changing the same applications (\(message))")
                }
                attempt += 1
                do {
                    try await reload(batch, into: &live)
                    try await Task.sleep(for: .milliseconds(Int.random(in: 1...(5 * attempt))))
                } catch {
                    return stop("\(error)")
                }
                continue  // the same rows, decided again
            case .failed(let reason):
                return stop(reason)
            case .appended(let result):
                tally.recorded += batch.payments
                tally.appends += 1
                tally.firstPosition = tally.firstPosition ?? result.firstPosition
                tally.lastPosition = result.lastPosition
                live.applications.merge(batch.applicationsAfter) { _, after in after }
                live.recordedPaymentStreams.merge(batch.paymentStreams) { _, after in after }
                speculative = next
            case .nothingToAppend:
                speculative = next
            case .replayed:
                // Another import appended exactly this batch: recorded, but not by us, and at
                // versions of its own, so the next batch is decided on the ledger as it is.
                tally.alreadyRecorded += batch.payments
                do {
                    try await reload(batch, into: &live)
                } catch {
                    return stop("\(error)")
                }
            }
            tally.alreadyRecorded += batch.alreadyRecorded
            tally.problems += batch.refused
            tally.invalid += batch.refused.count
            progress(PaymentImportProgress(phase: .recording, done: batchRows.upperBound, total: rows.count))
            batchNumber += 1
            attempt = 1
        }
        return tally.result(tally.invalid == 0 ? .recorded : .recordedSkippingInvalid)
    }

    /// A batch decided against the ledger as this import has left it, ready to append.
    struct PreparedBatch: Sendable {
        /// One entry per application, its payments in file order, at the version decided against.
        let appends: [StreamAppend]
        /// `import-` and the SHA-256 of what the batch appends (not of the expected versions), so
        /// the same batch sent twice, by this import or another, is one command to the store.
        let commandID: String
        let payments: Int
        /// Rows recorded since the checks (by someone else): nothing to append for them.
        let alreadyRecorded: Int
        /// Rows that no longer pass: someone changed their application since the checks.
        let refused: [PaymentImportProblem]
        /// The batch's applications once it is appended, by id.
        let applicationsAfter: [String: ApplicationState]
        /// Its payment ids, on their application streams.
        let paymentStreams: [String: String]
        /// Every application stream the batch's rows name.
        let streams: Set<String>
        let paymentIDs: [String]
    }

    /// Decides `rows`, in order, against `live` with `earlier` (a batch about to be
    /// appended) taken as appended.
    func prepare(
        _ rows: [Candidate], on live: PaymentImportLedgerView, after earlier: [String: ApplicationState] = [:]
    ) throws -> PreparedBatch {
        // A view of only this batch's applications and payment ids, so the whole view is never
        // copied; programmes and beneficiaries are shared, unchanged.
        var scratch = PaymentImportLedgerView(
            applications: [:], programs: live.programs, beneficiaries: live.beneficiaries, recordedPaymentStreams: [:]
        )
        for (_, order) in rows {
            scratch.applications[order.applicationID] = earlier[order.applicationID] ?? live.applications[order.applicationID]
            scratch.recordedPaymentStreams[order.paymentID] = live.recordedPaymentStreams[order.paymentID]
        }
        var entries: [(stream: String, expectedVersion: Int64, events: [NewEvent])] = []
        var entryIndex: [String: Int] = [:]
        var alreadyRecorded = 0
        var refused: [PaymentImportProblem] = []
        var paymentStreams: [String: String] = [:]
        for (line, order) in rows {
            switch scratch.decide(order) {
            case .record(let payment, let stream, let expectedVersion):
                let event = try LedgerEvent.paymentRecorded(payment).newEvent()
                if let index = entryIndex[stream] {
                    entries[index].events.append(event)
                } else {
                    entryIndex[stream] = entries.count
                    entries.append((stream, expectedVersion, [event]))
                }
                paymentStreams[order.paymentID] = stream
            case .alreadyRecorded:
                alreadyRecorded += 1
            case .refused(let refusal):
                refused.append(PaymentImportProblem(line: line, refusal: refusal))
            }
        }
        let appends = entries.map { entry in
            StreamAppend(
                stream: StreamID(entry.stream), expectedVersion: entry.expectedVersion == 0 ? .noStream : .exactly(entry.expectedVersion),
                events: entry.events
            )
        }
        var applicationsAfter: [String: ApplicationState] = [:]
        for entry in entries {
            let id = entry.stream.removingStreamPrefix(Streams.application(""))
            applicationsAfter[id] = scratch.applications[id]
        }
        return PreparedBatch(
            appends: appends, commandID: Self.commandID(appends), payments: paymentStreams.count, alreadyRecorded: alreadyRecorded,
            refused: refused, applicationsAfter: applicationsAfter, paymentStreams: paymentStreams,
            streams: Set(rows.map { Streams.application($0.order.applicationID) }),
            paymentIDs: rows.map(\.order.paymentID)
        )
    }

    /// `import-` and 64 hex digits of SHA-256 over each entry's stream id and its events' types
    /// and payloads.
    static func commandID(_ appends: [StreamAppend]) -> String {
        var hasher = SHA256()
        for entry in appends {
            hasher.update(data: Data("\(entry.stream.rawValue)\n".utf8))
            for event in entry.events {
                hasher.update(data: Data("\(event.type)\n\(event.schemaVersion)\n\(event.payloadJSON)\n".utf8))
            }
        }
        return "import-" + hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// What became of one append.
    enum SendOutcome: Sendable {
        case appended(AppendResult)
        /// The store had this very command: another import of the same rows appended it.
        case replayed
        case nothingToAppend
        /// Another writer moved one of the batch's applications or recorded one of its payment ids.
        case conflict(String)
        case failed(String)
    }

    func send(_ batch: PreparedBatch) async -> SendOutcome {
        guard !batch.appends.isEmpty else { return .nothingToAppend }
        do {
            let result = try await service.store.append(batch.appends, commandID: batch.commandID)
            return result.replayed ? .replayed : .appended(result)
        } catch let error as EventStoreError
                    where error.code == .versionConflict || error.code == .idempotencyMismatch || error.underlying?.code.rawValue == "LD001" {
            // LI001 (idempotencyMismatch) too: another officer's import appended this very batch first.
            return .conflict(error.message)
        } catch let error as EventStoreError {
            if let lost = error.underlying, lost.isConnectionLost {
                return .failed("the connection to the database server was lost (\(lost.firstLine)); "
                    + "the batch being sent then may or may not have been recorded")
            }
            return .failed("\(LedgerService.domainError(from: error, commandID: batch.commandID))")
        } catch {
            return .failed("\(error)")
        }
    }

    /// Reads the batch's applications and where its payment ids are recorded again, after another
    /// writer moved them.
    func reload(_ batch: PreparedBatch, into view: inout PaymentImportLedgerView) async throws {
        for (_, state) in try await service.loadMany(ApplicationState.self, streams: Array(batch.streams)) {
            view.applications[state.id] = state
        }
        let recorded = try await service.recordedPaymentStreams(batch.paymentIDs)
        for paymentID in batch.paymentIDs { view.recordedPaymentStreams[paymentID] = recorded[paymentID] }
    }

    /// Pass 2's reads: the applications `orders` name, their programmes and beneficiaries, and
    /// where their payment ids are recorded — a few queries per thousand streams.
    func loadView(
        for orders: [LedgerService.PaymentOrder], progress: @escaping @Sendable (PaymentImportProgress) -> Void
    ) async throws -> PaymentImportLedgerView {
        let applicationStreams = Set(orders.map { Streams.application($0.applicationID) })
        progress(PaymentImportProgress(phase: .loading, done: 0, total: applicationStreams.count))
        let applicationCount = applicationStreams.count
        var applications: [String: ApplicationState] = [:]
        for (_, state) in try await service.loadMany(ApplicationState.self, streams: Array(applicationStreams), progress: { done in
            progress(PaymentImportProgress(phase: .loading, done: done, total: applicationCount))
        }) {
            applications[state.id] = state
        }
        let submissions = applications.values.compactMap(\.submission)
        let beneficiaryStreams = Set(submissions.map { Streams.beneficiary($0.beneficiaryID) })
        let total = applicationCount + beneficiaryStreams.count
        var beneficiaries: [String: BeneficiaryState] = [:]
        for (_, state) in try await service.loadMany(BeneficiaryState.self, streams: Array(beneficiaryStreams), progress: { done in
            progress(PaymentImportProgress(phase: .loading, done: applicationCount + done, total: total))
        }) {
            beneficiaries[state.id] = state
        }
        var programs: [String: ProgramState] = [:]
        for (_, state) in try await service.loadMany(ProgramState.self, streams: Array(Set(submissions.map { Streams.program($0.program) }))) {
            programs[state.code] = state
        }
        let recorded = try await service.recordedPaymentStreams(orders.map(\.paymentID))
        return PaymentImportLedgerView(
            applications: applications, programs: programs, beneficiaries: beneficiaries, recordedPaymentStreams: recorded
        )
    }
}
