import EventStore

/// Many approved applications at once, for benchmarks and large tests: the same events the
/// commands append (decided by the same pure decisions), appended in multi-stream batches as the
/// officer and the approver — three commands per application would take minutes at 100,000.
public struct BulkApplications: Sendable {
    public let officer: LedgerService
    public let approver: LedgerService
    /// The database roles of `officer` and `approver` (four eyes is decided on them).
    public let officerRole: String
    public let approverRole: String

    public init(officer: LedgerService, approver: LedgerService, officerRole: String, approverRole: String) {
        self.officer = officer
        self.approver = approver
        self.officerRole = officerRole
        self.approverRole = approverRole
    }

    /// `count` poor households `HH-<prefix><n>` in `district`, each with an approved application
    /// `A-<prefix><n>` of `amount` under `program` (its budget for the fiscal year of
    /// `submittedOn` must hold enough). Returns the application ids.
    public func seedApproved(
        count: Int, prefix: String = "", program code: String, district: UnitCode, amount: VND,
        submittedOn: LocalDate, decidedOn: LocalDate
    ) async throws -> [String] {
        let program = try await officer.load(ProgramState.self, stream: Streams.program(code))
        var budget = try await approver.loadBudget(stream: Streams.budget(program: code, year: submittedOn.year, district: district))
        var beneficiaries: [BeneficiaryState] = []
        var applications: [ApplicationState] = []
        var registrations: [Decision] = []
        var submissions: [Decision] = []
        for index in 0..<count {
            let household = "HH-\(prefix)\(index)"
            let empty = BeneficiaryState(streamID: Streams.beneficiary(household))
            let registration = try BeneficiaryDecisions.register(
                RegisterBeneficiary(id: household, kind: .household, name: "Hộ \(household)", district: district,
                                    categories: ["poor"], bankAccount: "Agribank 7300-\(index)"),
                existing: empty, fingerprint: nil
            )
            let beneficiary = empty.after(registration, actor: officerRole)
            let id = "A-\(prefix)\(index)"
            let emptyApplication = ApplicationState(streamID: Streams.application(id))
            let submission = try ApplicationDecisions.submit(
                id: id, existing: emptyApplication, beneficiary: beneficiary,
                program: program, requested: amount, submittedOn: submittedOn, fiscalYear: nil
            )
            registrations.append(registration)
            submissions.append(submission)
            beneficiaries.append(beneficiary)
            applications.append(emptyApplication.after(submission, actor: officerRole))
        }
        try await officer.appendInBatches(registrations, decisionsPerAppend: 100, label: "seed-register-\(prefix)")
        try await officer.appendInBatches(submissions, decisionsPerAppend: 100, label: "seed-submit-\(prefix)")
        // Approvals touch the application, the beneficiary and the one budget: 49 per append keeps within 100 streams.
        var approvals: [Decision] = []
        approvals.reserveCapacity(count)
        for index in 0..<count {
            let approval = try ApplicationDecisions.approve(
                application: applications[index], program: program, budget: budget, beneficiary: beneficiaries[index],
                approver: approverRole, amount: amount, decisionReference: "QĐ \(applications[index].id)", decidedOn: decidedOn
            )
            budget = budget.after(approval, actor: approverRole)
            approvals.append(approval)
        }
        try await approver.appendInBatches(approvals, decisionsPerAppend: 49, label: "seed-approve-\(prefix)")
        return applications.map(\.id)
    }
}

extension LedgerService {
    /// Appends decisions in groups, each group one multi-stream append under the command id
    /// `<label>-<index of its first decision>`; a stream's events from several decisions of a
    /// group go together, at the first one's expected version.
    public func appendInBatches(_ decisions: [Decision], decisionsPerAppend: Int, label: String) async throws {
        for start in stride(from: 0, to: decisions.count, by: decisionsPerAppend) {
            var order: [String] = []
            var byStream: [String: (expected: Int64, events: [LedgerEvent])] = [:]
            for decision in decisions[start..<min(start + decisionsPerAppend, decisions.count)] {
                for entry in decision.streams {
                    if byStream[entry.stream] == nil {
                        order.append(entry.stream)
                        byStream[entry.stream] = (entry.expectedVersion, [])
                    }
                    byStream[entry.stream]?.events += entry.events
                }
            }
            let appends = try order.map { stream in
                let entry = byStream[stream] ?? (0, [])
                return StreamAppend(
                    stream: StreamID(stream), expectedVersion: entry.expected == 0 ? .noStream : .exactly(entry.expected),
                    events: try entry.events.map { try $0.newEvent() }
                )
            }
            _ = try await store.append(appends, commandID: "\(label)-\(start)")
        }
    }
}

extension StreamState {
    /// This state after `events`, as if `actor` had recorded them next.
    public func folded(_ events: [LedgerEvent], actor: String) -> Self {
        folding(events.enumerated().map { index, event in
            let version = self.version + Int64(index + 1)
            return (event, EventContext(position: version, streamVersion: version, actor: actor, recordedAtMicroseconds: 0))
        })
    }

    /// This state after what `decision` appends to its stream, as if `actor` had recorded it.
    public func after(_ decision: Decision, actor: String) -> Self {
        folded(decision.streams.filter { $0.stream == streamID }.flatMap(\.events), actor: actor)
    }
}
