import EventStore
import Foundation

extension LedgerEvent {
    /// The type name stored in `ledger.events.event_type`.
    public var typeName: String {
        switch self {
        case .unitDefined: "UnitDefined"
        case .programDefined: "ProgramDefined"
        case .programAmended: "ProgramAmended"
        case .budgetAllocated: "BudgetAllocated"
        case .budgetAdjusted: "BudgetAdjusted"
        case .fundsReserved: "FundsReserved"
        case .fundsReleased: "FundsReleased"
        case .beneficiaryRegistered: "BeneficiaryRegistered"
        case .benefitCommitted: "BenefitCommitted"
        case .benefitReleased: "BenefitReleased"
        case .beneficiaryAmended: "BeneficiaryAmended"
        case .categoryDefined: "CategoryDefined"
        case .applicationSubmitted: "ApplicationSubmitted"
        case .applicationApproved: "ApplicationApproved"
        case .applicationRejected: "ApplicationRejected"
        case .applicationWithdrawn: "ApplicationWithdrawn"
        case .paymentRecorded: "PaymentRecorded"
        case .paymentReversed: "PaymentReversed"
        case .loanOpened: "LoanOpened"
        case .applicationClosed: "ApplicationClosed"
        case .loanDisbursed: "LoanDisbursed"
        case .loanRepaid: "LoanRepaid"
        case .loanSettled: "LoanSettled"
        case .loanWrittenOff: "LoanWrittenOff"
        }
    }

    /// Every type name the domain writes (the database grants appending them role by role).
    public static let allTypeNames: [String] = [
        "UnitDefined", "ProgramDefined", "ProgramAmended", "BudgetAllocated", "BudgetAdjusted", "FundsReserved", "FundsReleased",
        "BeneficiaryRegistered", "BenefitCommitted", "BenefitReleased", "ApplicationSubmitted", "ApplicationApproved",
        "ApplicationRejected", "ApplicationWithdrawn", "PaymentRecorded", "PaymentReversed", "LoanOpened",
        "ApplicationClosed", "LoanDisbursed", "LoanRepaid", "LoanSettled", "LoanWrittenOff",
        "BeneficiaryAmended", "CategoryDefined",
    ]

    /// The payload schema this code writes, per type (older versions are upcast when read).
    public static func currentSchemaVersion(of typeName: String) -> Int {
        switch typeName {
        case "ApplicationSubmitted": 2
        default: 1
        }
    }

    static let encoder: JSONEncoder = {
        // Payload keys are snake case, spelled out in each type's CodingKeys (fast to decode: no
        // key conversion per object; a test pins the wire form).
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        return decoder
    }()

    /// The event as the store takes it, with `metadata` besides what the database sets.
    public func newEvent(metadata: [String: String] = [:]) throws -> NewEvent {
        let payload: any Encodable = switch self {
        case .unitDefined(let p): p
        case .programDefined(let p), .programAmended(let p): p
        case .budgetAllocated(let p): p
        case .budgetAdjusted(let p): p
        case .fundsReserved(let p): p
        case .fundsReleased(let p): p
        case .beneficiaryRegistered(let p): p
        case .benefitCommitted(let p): p
        case .benefitReleased(let p): p
        case .beneficiaryAmended(let p): p
        case .categoryDefined(let p): p
        case .applicationSubmitted(let p): p
        case .applicationApproved(let p): p
        case .applicationRejected(let p): p
        case .applicationWithdrawn(let p): p
        case .paymentRecorded(let p): p
        case .paymentReversed(let p): p
        case .loanOpened(let p): p
        case .applicationClosed(let p): p
        case .loanDisbursed(let p): p
        case .loanRepaid(let p): p
        case .loanSettled(let p): p
        case .loanWrittenOff(let p): p
        }
        let json = String(decoding: try Self.encoder.encode(payload), as: UTF8.self)
        let metadataJSON = metadata.isEmpty ? "{}" : String(decoding: try Self.encoder.encode(metadata), as: UTF8.self)
        return try NewEvent(
            type: typeName, schemaVersion: Self.currentSchemaVersion(of: typeName), payloadJSON: json, metadataJSON: metadataJSON
        )
    }

    /// Reads a recorded event, upcasting older schema versions; nil for types this domain does not know.
    public init?(recorded event: RecordedEvent) throws {
        guard let decoded = try Self.decode(type: event.type, schemaVersion: event.schemaVersion, payloadJSON: event.payloadJSON) else {
            return nil
        }
        self = decoded
    }

    public static func decode(type: String, schemaVersion: Int, payloadJSON: String) throws -> LedgerEvent? {
        if schemaVersion == currentSchemaVersion(of: type), let event = FlatPayload.event(type: type, payloadJSON: payloadJSON) {
            return event
        }
        return try decodeWithJSONDecoder(type: type, schemaVersion: schemaVersion, payloadJSON: payloadJSON)
    }

    /// The general path (upcasting, nested payloads, precise errors); `decode` tries `FlatPayload` first.
    static func decodeWithJSONDecoder(type: String, schemaVersion: Int, payloadJSON: String) throws -> LedgerEvent? {
        let data = try Upcasting.upcast(type: type, from: schemaVersion, payload: Data(payloadJSON.utf8))
        func read<T: Decodable>(_: T.Type) throws -> T {
            do {
                return try decoder.decode(T.self, from: data)
            } catch {
                throw DomainError(.invalidInput, "event \(type) v\(schemaVersion) cannot be read: \(error)")
            }
        }
        switch type {
        case "UnitDefined": return .unitDefined(try read(UnitDefined.self))
        case "ProgramDefined": return .programDefined(try read(ProgramDefinition.self))
        case "ProgramAmended": return .programAmended(try read(ProgramDefinition.self))
        case "BudgetAllocated": return .budgetAllocated(try read(BudgetAllocated.self))
        case "BudgetAdjusted": return .budgetAdjusted(try read(BudgetAdjusted.self))
        case "FundsReserved": return .fundsReserved(try read(FundsReserved.self))
        case "FundsReleased": return .fundsReleased(try read(FundsReleased.self))
        case "BeneficiaryRegistered": return .beneficiaryRegistered(try read(BeneficiaryRegistered.self))
        case "BenefitCommitted": return .benefitCommitted(try read(BenefitCommitted.self))
        case "BenefitReleased": return .benefitReleased(try read(BenefitReleased.self))
        case "BeneficiaryAmended": return .beneficiaryAmended(try read(BeneficiaryAmended.self))
        case "CategoryDefined": return .categoryDefined(try read(CategoryDefined.self))
        case "ApplicationSubmitted": return .applicationSubmitted(try read(ApplicationSubmitted.self))
        case "ApplicationApproved": return .applicationApproved(try read(ApplicationApproved.self))
        case "ApplicationRejected": return .applicationRejected(try read(ApplicationRejected.self))
        case "ApplicationWithdrawn": return .applicationWithdrawn(try read(ApplicationWithdrawn.self))
        case "PaymentRecorded": return .paymentRecorded(try read(PaymentRecorded.self))
        case "PaymentReversed": return .paymentReversed(try read(PaymentReversed.self))
        case "LoanOpened": return .loanOpened(try read(LoanOpened.self))
        case "ApplicationClosed": return .applicationClosed(try read(ApplicationClosed.self))
        case "LoanDisbursed": return .loanDisbursed(try read(LoanDisbursed.self))
        case "LoanRepaid": return .loanRepaid(try read(LoanRepaid.self))
        case "LoanSettled": return .loanSettled(try read(LoanSettled.self))
        case "LoanWrittenOff": return .loanWrittenOff(try read(LoanWrittenOff.self))
        default: return nil
        }
    }
}

/// Rewrites payloads recorded under older schema versions into the current shape, one version
/// step at a time. Events in the log are never changed; this happens on every read.
public enum Upcasting {
    public static func upcast(type: String, from version: Int, payload: Data) throws -> Data {
        let current = LedgerEvent.currentSchemaVersion(of: type)
        guard version != current else { return payload }
        guard version >= 1, version < current else {
            throw DomainError(.invalidInput, "event \(type) has schema version \(version); this ledger reads up to \(current)")
        }
        guard var object = try JSONSerialization.jsonObject(with: payload) as? [String: Any] else {
            throw DomainError(.invalidInput, "event \(type) v\(version): payload is not an object")
        }
        var step = version
        while step < current {
            object = try upcastOneStep(type: type, from: step, object)
            step += 1
        }
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    static func upcastOneStep(type: String, from version: Int, _ object: [String: Any]) throws -> [String: Any] {
        var object = object
        switch (type, version) {
        case ("ApplicationSubmitted", 1):
            // v1 had no fiscal_year: the budget year was the year of submitted_on.
            if object["fiscal_year"] == nil, let submitted = object["submitted_on"] as? String {
                object["fiscal_year"] = try LocalDate(parsing: submitted, field: "submitted_on").year
            }
        default:
            throw DomainError(.invalidInput, "no upcaster for \(type) v\(version)")
        }
        return object
    }
}
