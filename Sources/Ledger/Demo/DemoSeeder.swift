import Crypto
import EventStore
import Foundation
import Postgres

/// What `ledger demo seed` is asked for.
public struct DemoSeedOptions: Sendable, Equatable {
    public static let defaultSeed: UInt64 = 2024
    public static let defaultBeneficiaries = 2_000
    /// Enough people for every state of the year to appear.
    public static let minimumBeneficiaries = 50
    public static let maximumBeneficiaries = 200_000
    public static let defaultWorkers = 2
    public static let maximumWorkers = 8

    public var seed: UInt64
    public var beneficiaries: Int
    /// Concurrent workers, each with its own connections; each district is worked by one of them,
    /// so the order of every stream's events is the same whatever the number.
    public var workers: Int

    public init(seed: UInt64 = defaultSeed, beneficiaries: Int = defaultBeneficiaries, workers: Int = defaultWorkers) {
        self.seed = seed
        self.beneficiaries = beneficiaries
        self.workers = workers
    }

    /// Refuses sizes outside the limits, naming the flag.
    public func validated() throws -> DemoSeedOptions {
        guard (Self.minimumBeneficiaries...Self.maximumBeneficiaries).contains(beneficiaries) else {
            throw DomainError.invalidInput(
                field: "--beneficiaries",
                problem: "\(beneficiaries) is outside \(Self.minimumBeneficiaries)…\(Self.maximumBeneficiaries) (enough for every state of an application to appear)"
            )
        }
        guard (1...Self.maximumWorkers).contains(workers) else {
            throw DomainError.invalidInput(field: "--workers", problem: "\(workers) is outside 1…\(Self.maximumWorkers)")
        }
        return self
    }
}

/// The stages of a seed, reported as they start and end.
public enum DemoPhase: String, Sendable, Codable, CaseIterable {
    case people, catalog, budgets, beneficiaries, year, census

    /// What the phase does, for progress lines.
    public var title: String {
        switch self {
        case .people: "demo people (login roles)"
        case .catalog: "programme catalog"
        case .budgets: "budgets per programme and district"
        case .beneficiaries: "beneficiaries"
        case .year: "the 2024 year: applications, decisions, payments, loans"
        case .census: "census of the ledger"
        }
    }
}

/// Progress of a seed, for a progress line.
public enum DemoProgress: Sendable {
    case started(DemoPhase, total: Int)
    case advanced(DemoPhase, done: Int, total: Int)
    case finished(DemoPhaseReport)
}

/// Creates the demo city year through the ledger's own command handlers (`LedgerService`), each
/// command on a connection as the person who would do it, deterministically from the seed.
///
/// Running it again with the same seed and size records nothing new: registrations,
/// submissions, payments, loans and repayments are recognised by their ids, allocations and
/// adjustments by their content-derived command ids, and decisions, withdrawals and closures
/// already in the log are recognised from the application's state.
public struct DemoSeeder: Sendable {
    public let configuration: ConnectionConfiguration
    public let options: DemoSeedOptions
    /// The national-id key the seed sets in the database when none is set there yet, as bytes
    /// (`SymmetricKey` is not `Sendable`). A key already set is kept: the database fingerprints.
    let nationalIDKeyBytes: [UInt8]
    public let progress: @Sendable (DemoProgress) -> Void

    /// The national-id key the demo sets in a database that has none (`ledger national-id key set`
    /// sets a real one). Published, so it protects nothing: for sample people only.
    public static let demoNationalIDKey = "ledger-demo-only-national-id-key-2024"

    /// `configuration` is the connecting user's (an admin or a superuser, to create the demo
    /// people); the people's own connections use it with their role as the user.
    public init(
        configuration: ConnectionConfiguration, options: DemoSeedOptions, nationalIDKey: SymmetricKey,
        progress: @escaping @Sendable (DemoProgress) -> Void = { _ in }
    ) {
        self.init(
            configuration: configuration, options: options, nationalIDKeyBytes: nationalIDKey.withUnsafeBytes { Array($0) }, progress: progress
        )
    }

    /// As above, with the key as bytes.
    public init(
        configuration: ConnectionConfiguration, options: DemoSeedOptions, nationalIDKeyBytes: [UInt8],
        progress: @escaping @Sendable (DemoProgress) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.options = options
        self.nationalIDKeyBytes = nationalIDKeyBytes
        self.progress = progress
    }

    /// The plan the seed carries out (pure: the same for the same options).
    static func plan(_ options: DemoSeedOptions) throws -> DemoPlan {
        DemoPlan.make(seed: options.seed, beneficiaryCount: options.beneficiaries, catalog: try ProgramCatalog(parsing: SampleCatalog.json))
    }

    public func run() async throws -> DemoSeedReport {
        let options = try options.validated()
        let clock = ContinuousClock()
        let started = clock.now
        var phases: [DemoPhaseReport] = []
        let main = try await PostgresConnection.connect(configuration)
        let store = EventStore(connection: main)

        var phaseStart = clock.now
        progress(.started(.people, total: DemoPeople.all.count))
        let headBefore = try await store.digest().position
        let created = try await DemoPeople.ensure(on: main)
        // Each person added is a UserAdded event in the log (migration 0011): count them.
        var people = DemoTally()
        people.commands = created.count
        people.recorded = created.count
        people.eventsAppended = Int(try await store.digest().position - headBefore)
        phases.append(finish(.people, people, since: phaseStart, clock: clock))

        let plan = try Self.plan(options)
        let catalog = try ProgramCatalog(parsing: SampleCatalog.json)
        guard let loanTerms = catalog.programs.first(where: { $0.kind == .loan })?.loanTerms else {
            preconditionFailure("the sample catalog has a loan programme with terms")
        }
        let blank = DemoWorker(configuration: configuration, loanTerms: loanTerms)
        var setup = blank

        phaseStart = clock.now
        progress(.started(.catalog, total: 1))
        try await setup.requireOwnDatabase(plan, catalog: catalog)
        setup.tally = DemoTally()
        try await setup.loadCatalog()
        try await setup.ensureNationalIDKey(nationalIDKeyBytes)
        phases.append(finish(.catalog, setup.tally, since: phaseStart, clock: clock))
        var tally = setup.tally
        tally.merge(people)

        phaseStart = clock.now
        progress(.started(.budgets, total: plan.budgets.count))
        setup.tally = DemoTally()
        for (index, budget) in plan.budgets.enumerated() {
            try await setup.allocate(budget)
            progress(.advanced(.budgets, done: index + 1, total: plan.budgets.count))
        }
        phases.append(finish(.budgets, setup.tally, since: phaseStart, clock: clock))
        tally.merge(setup.tally)
        await setup.close()

        let districts = Self.partition(plan, workers: options.workers)
        var workers = districts.map { _ in blank }

        phaseStart = clock.now
        let registrations = districts.map { assigned in plan.registrations.filter { assigned.contains($0.command.district) } }
        let registrationTotal = plan.registrations.count
        progress(.started(.beneficiaries, total: registrationTotal))
        let registered = DemoCounter()
        workers = try await Self.inParallel(workers) { index, worker in
            try await worker.fingerprint(registrations[index])
            for registration in registrations[index] {
                try Task.checkCancellation()
                try await worker.register(registration)
                progress(.advanced(.beneficiaries, done: await registered.add(1), total: registrationTotal))
            }
        }
        let registrationTally = workers.reduce(into: DemoTally()) { $0.merge($1.tally) }
        phases.append(finish(.beneficiaries, registrationTally, since: phaseStart, clock: clock))
        tally.merge(registrationTally)

        phaseStart = clock.now
        for index in workers.indices { workers[index].tally = DemoTally() }
        let steps = districts.map { assigned in plan.steps.filter { assigned.contains($0.district) } }
        let stepTotal = plan.steps.count
        progress(.started(.year, total: stepTotal))
        let performed = DemoCounter()
        workers = try await Self.inParallel(workers) { index, worker in
            for step in steps[index] {
                try Task.checkCancellation()
                try await worker.perform(step)
                progress(.advanced(.year, done: await performed.add(1), total: stepTotal))
            }
        }
        let yearTally = workers.reduce(into: DemoTally()) { $0.merge($1.tally) }
        phases.append(finish(.year, yearTally, since: phaseStart, clock: clock))
        tally.merge(yearTally)
        for worker in workers { await worker.close() }

        phaseStart = clock.now
        progress(.started(.census, total: 0))
        let census = try await DemoCensus.take(store: store, asOf: DemoPlan.Year.yearEnd)
        let headAfter = try await store.digest().position
        phases.append(finish(.census, DemoTally(), since: phaseStart, clock: clock))
        await main.close()

        return DemoSeedReport(
            seed: options.seed, beneficiaries: options.beneficiaries, workers: districts.count,
            plannedApplications: plan.applicationCount, plannedLoans: plan.loanCount,
            people: DemoPeople.all, peopleCreated: created,
            budgetSizing: [DemoBudget.Sizing.short, .tight, .ample, .unused].map { sizing in
                DemoCensus.Line(name: sizing.rawValue, count: plan.budgets.count(where: { $0.sizing == sizing }))
            },
            tally: tally, headBefore: headBefore, headAfter: headAfter, phases: phases,
            elapsedMilliseconds: Self.milliseconds(clock.now - started), census: census, nothingNew: headAfter == headBefore
        )
    }

    func finish(_ phase: DemoPhase, _ tally: DemoTally, since start: ContinuousClock.Instant, clock: ContinuousClock) -> DemoPhaseReport {
        let report = DemoPhaseReport(
            phase: phase, commands: tally.commands, eventsAppended: tally.eventsAppended,
            elapsedMilliseconds: Self.milliseconds(clock.now - start)
        )
        progress(.finished(report))
        return report
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }

    /// The districts each worker takes: the busiest first, each to the least loaded worker.
    static func partition(_ plan: DemoPlan, workers: Int) -> [[UnitCode]] {
        let loads = UnitCode.allCases.map { ($0, plan.workload(of: $0)) }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : UnitCode.allCases.firstIndex(of: $0.0)! < UnitCode.allCases.firstIndex(of: $1.0)! }
        var assigned = Array(repeating: [UnitCode](), count: min(workers, UnitCode.allCases.count))
        var totals = Array(repeating: 0, count: assigned.count)
        for (district, load) in loads {
            let index = totals.indices.min { totals[$0] != totals[$1] ? totals[$0] < totals[$1] : $0 < $1 }!
            assigned[index].append(district)
            totals[index] += load
        }
        return assigned
    }

    /// Runs `body` on every worker at once (each in its own task, with its own connections).
    static func inParallel(
        _ workers: [DemoWorker], _ body: @escaping @Sendable (Int, inout DemoWorker) async throws -> Void
    ) async throws -> [DemoWorker] {
        try await withThrowingTaskGroup(of: (Int, DemoWorker).self) { group in
            for (index, worker) in workers.enumerated() {
                group.addTask {
                    var worker = worker
                    try await body(index, &worker)
                    return (index, worker)
                }
            }
            var done = workers
            for try await (index, worker) in group { done[index] = worker }
            return done
        }
    }
}

/// Counts steps done across workers, for the progress line.
actor DemoCounter {
    private var done = 0

    func add(_ count: Int) -> Int {
        done += count
        return done
    }
}

/// What the commands of a seed (or one phase of it) did.
public struct DemoTally: Sendable, Codable, Equatable {
    /// Commands sent to the handlers (refusals included; rejections that follow a refusal too).
    public var commands = 0
    /// Commands that appended events.
    public var recorded = 0
    /// Commands already in the log from an earlier run: nothing appended.
    public var alreadyRecorded = 0
    public var eventsAppended = 0
    /// Refusals the demo expects (not failures), by `DomainError.Code`: `overBudget`, `overCap`,
    /// `duplicateNationalID`.
    public var refusals: [String: Int] = [:]
    /// Planned steps not taken because an earlier refusal ended the application (or nothing was owed).
    public var skipped = 0

    public init() {}

    public var refusalCount: Int { refusals.values.reduce(0, +) }

    mutating func merge(_ other: DemoTally) {
        commands += other.commands
        recorded += other.recorded
        alreadyRecorded += other.alreadyRecorded
        eventsAppended += other.eventsAppended
        refusals.merge(other.refusals, uniquingKeysWith: +)
        skipped += other.skipped
    }

    mutating func count(_ outcome: CommandOutcome) {
        commands += 1
        if outcome.eventsAppended > 0 {
            recorded += 1
            eventsAppended += outcome.eventsAppended
        } else {
            alreadyRecorded += 1
        }
    }

    /// A command the handlers refused because an earlier run had already done it.
    mutating func foundInLog() {
        commands += 1
        alreadyRecorded += 1
    }

    mutating func refused(_ code: DomainError.Code) {
        commands += 1
        refusals[code.rawValue, default: 0] += 1
    }

    enum CodingKeys: String, CodingKey {
        case commands, recorded, alreadyRecorded = "already_recorded", eventsAppended = "events_appended", refusals, skipped
    }
}

/// How long one phase took and what it did.
public struct DemoPhaseReport: Sendable, Codable, Equatable {
    public let phase: DemoPhase
    public let commands: Int
    public let eventsAppended: Int
    public let elapsedMilliseconds: Int

    enum CodingKeys: String, CodingKey {
        case phase, commands, eventsAppended = "events_appended", elapsedMilliseconds = "elapsed_ms"
    }
}

/// What a seed did and what the ledger holds afterwards.
public struct DemoSeedReport: Sendable, Codable, Equatable {
    public let seed: UInt64
    public let beneficiaries: Int
    public let workers: Int
    public let plannedApplications: Int
    public let plannedLoans: Int
    public let people: [DemoPerson]
    /// Login roles this run created (empty when they existed already).
    public let peopleCreated: [String]
    /// Budgets by how they were sized against the approvals planned (`short`: some approvals
    /// will be refused for lack of funds; `tight`: runs close to empty).
    public let budgetSizing: [DemoCensus.Line]
    public let tally: DemoTally
    public let headBefore: Int64
    public let headAfter: Int64
    public let phases: [DemoPhaseReport]
    public let elapsedMilliseconds: Int
    public let census: DemoCensus

    /// The log did not move: the same seed had been recorded before.
    public let nothingNew: Bool

    enum CodingKeys: String, CodingKey {
        case seed, beneficiaries, workers, plannedApplications = "planned_applications", plannedLoans = "planned_loans"
        case people, peopleCreated = "people_created", budgetSizing = "budget_sizing", tally = "commands"
        case headBefore = "head_before", headAfter = "head_after", nothingNew = "nothing_new", phases, elapsedMilliseconds = "elapsed_ms", census
    }
}
