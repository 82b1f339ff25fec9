/// A person or household (stream `beneficiary-{id}`): its registration, and what approvals have
/// committed to it per programme (so a once-only programme's cap counts everything the
/// beneficiary was already granted under it).
public struct BeneficiaryState: StreamState, Equatable {
    public let streamID: String
    /// The beneficiary's id, e.g. `HH-0001`.
    public let id: String
    public var version: Int64 = 0
    public private(set) var registration: BeneficiaryRegistered?
    /// Committed minus released, per programme code.
    public private(set) var committedByProgram: [String: VND] = [:]
    /// Committed minus released, per application id; fully released applications are removed.
    public private(set) var committedByApplication: [String: VND] = [:]

    public init(streamID: String) {
        self.streamID = streamID
        id = streamID.removingStreamPrefix(Streams.beneficiary(""))
    }

    public var exists: Bool { registration != nil }
    public var kind: BeneficiaryKind? { registration?.kind }
    public var name: String? { registration?.name }
    public var district: District? { registration?.district }
    /// Canonical category names (`poor`, `near-poor`), sorted.
    public var categories: [String] { registration?.categories ?? [] }
    public var bankAccount: String? { registration?.bankAccount }
    public var nationalIDFingerprint: String? { registration?.nationalIDFingerprint }

    /// What approvals under `program` have committed to this beneficiary and not released.
    public func committed(program: String) -> VND {
        committedByProgram[program] ?? .zero
    }

    /// What `applicationID`'s approval still commits to this beneficiary.
    public func committed(application applicationID: String) -> VND {
        committedByApplication[applicationID] ?? .zero
    }

    public mutating func apply(_ event: LedgerEvent, context: EventContext) {
        switch event {
        case .beneficiaryRegistered(let registered):
            registration = registered
        case .benefitCommitted(let commitment):
            committedByProgram[commitment.program, default: .zero] += commitment.amountVND
            committedByApplication[commitment.applicationID, default: .zero] += commitment.amountVND
        case .benefitReleased(let release):
            let byProgram = committed(program: release.program) - release.amountVND
            committedByProgram[release.program] = byProgram == .zero ? nil : byProgram
            let byApplication = committed(application: release.applicationID) - release.amountVND
            committedByApplication[release.applicationID] = byApplication == .zero ? nil : byApplication
        default:
            break
        }
    }
}
