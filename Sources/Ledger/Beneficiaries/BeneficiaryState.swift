/// A person or household (stream `beneficiary-{id}`): its registration as amended since, and what
/// approvals have committed to it per programme (so a once-only programme's cap counts everything
/// the beneficiary was already granted under it). `name`, `district`, `categories`, `bankAccount`
/// and `nationalIDFingerprint` are the current details (after every `BeneficiaryAmended`);
/// `registration` is the registration as recorded.
public struct BeneficiaryState: StreamState, Equatable {
    public let streamID: String
    /// The beneficiary's id, e.g. `HH-0001`.
    public let id: String
    public var version: Int64 = 0
    public private(set) var registration: BeneficiaryRegistered?
    /// Every amendment, in order.
    public private(set) var amendments: [BeneficiaryAmended] = []
    private var current: Current?

    /// The details as they stand after the amendments.
    private struct Current: Equatable, Codable {
        var name: String
        var district: UnitCode
        var categories: [String]
        var bankAccount: String?
        var nationalIDFingerprint: String?
    }
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
    public var name: String? { current?.name }
    /// The unit the beneficiary lives in now.
    public var district: UnitCode? { current?.district }
    /// Canonical category names (`poor`, `near-poor`), sorted.
    public var categories: [String] { current?.categories ?? [] }
    public var bankAccount: String? { current?.bankAccount }
    public var nationalIDFingerprint: String? { current?.nationalIDFingerprint }

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
            current = Current(
                name: registered.name, district: registered.district, categories: registered.categories,
                bankAccount: registered.bankAccount, nationalIDFingerprint: registered.nationalIDFingerprint
            )
        case .beneficiaryAmended(let amendment):
            amendments.append(amendment)
            guard var details = current else { break }
            Self.apply(amendment, to: &details)
            current = details
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

    private static func apply(_ amendment: BeneficiaryAmended, to details: inout Current) {
        if let name = amendment.name { details.name = name }
        if let unit = amendment.unit { details.district = unit }
        if amendment.addCategories != nil || amendment.removeCategories != nil {
            let removed = Set(amendment.removeCategories ?? [])
            details.categories = Array(Set(details.categories).union(amendment.addCategories ?? []).subtracting(removed)).sorted()
        }
        if amendment.clearBankAccount == true { details.bankAccount = nil }
        if let account = amendment.bankAccount { details.bankAccount = account }
        if let fingerprint = amendment.nationalIDFingerprint { details.nationalIDFingerprint = fingerprint }
    }
}
