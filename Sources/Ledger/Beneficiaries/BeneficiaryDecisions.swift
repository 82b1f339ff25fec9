/// What an officer enters to register a beneficiary (the national id is not here: the handler
/// turns it into a fingerprint first, so the plain number never reaches a decision or an event).
public struct RegisterBeneficiary: Sendable, Equatable, Codable {
    public let id: String
    public let kind: BeneficiaryKind
    public let name: String
    public let district: UnitCode
    /// As typed; normalised by the decision (`Near poor` → `near-poor`).
    public let categories: [String]
    public let bankAccount: String?
    /// The business date of the registration (`--registered-on`, default today): the unit
    /// (`district`) must be in force then once places are loaded.
    public var registeredOn: LocalDate? = nil

    public init(id: String, kind: BeneficiaryKind, name: String, district: UnitCode, categories: [String], bankAccount: String?) {
        self.id = id
        self.kind = kind
        self.name = name
        self.district = district
        self.categories = categories
        self.bankAccount = bankAccount
    }
}

/// Decisions about beneficiaries.
public enum BeneficiaryDecisions {
    /// Registers a beneficiary: a valid id, a name of 1…`DomainLimits.maximumBeneficiaryNameCharacters`
    /// characters (trimmed), at most `DomainLimits.maximumCategories` categories (normalised,
    /// sorted, duplicates merged), a bank account of letters, digits, spaces and hyphens, and the
    /// national id's fingerprint (`NationalID.fingerprint`) if an id was given.
    ///
    /// Registering the identical beneficiary again is already done; different details under an
    /// existing id are refused (`alreadyExists`). One active beneficiary per national id is kept
    /// by a database unique index fed from these events: a second registration with the same
    /// fingerprint surfaces from the handler as `duplicateNationalID`.
    public static func register(_ command: RegisterBeneficiary, existing: BeneficiaryState, fingerprint: String?) throws -> Decision {
        let id = try Identifier.validated(command.id, field: "id")
        precondition(existing.streamID == Streams.beneficiary(id), "the state given is of stream \(existing.streamID)")
        let name = try DomainText.validated(command.name, field: "name", maximumCharacters: DomainLimits.maximumBeneficiaryNameCharacters)
        let categories = try BeneficiaryCategory.normalisedList(command.categories, field: "category")
        let bankAccount = try command.bankAccount.map(checkedBankAccount)
        if let fingerprint, !NationalID.isFingerprint(fingerprint) {
            throw DomainError.invalidInput(field: "national_id", problem: "the fingerprint must be 64 lowercase hex digits (HMAC-SHA-256)")
        }
        let registered = BeneficiaryRegistered(
            beneficiaryID: id, kind: command.kind, name: name, district: command.district, categories: categories,
            bankAccount: bankAccount, nationalIDFingerprint: fingerprint, registeredOn: command.registeredOn
        )
        if let earlier = existing.registration {
            // The same details registered on another day (a retry) are the same registration.
            guard earlier == registered || earlier == registered.registered(on: earlier.registeredOn) else {
                throw DomainError(
                    .alreadyExists,
                    "beneficiary \(id) is already registered (\(earlier.kind.rawValue) \(earlier.name), \(earlier.district.name)) "
                        + "with different details; choose another id"
                )
            }
            return .alreadyDone(Message("beneficiary {0} was already registered with these details", .text(id)))
        }
        let categoryText: Message.Argument = categories.isEmpty ? .term("no categories") : .text(categories.joined(separator: ", "))
        return Decision(
            streams: [StreamEvents(stream: existing.streamID, expectedVersion: existing.version, events: [.beneficiaryRegistered(registered)])],
            summary: Message(
                "registered {0} {1} {2} in {3} ({4})", .term(command.kind.rawValue), .text(id), .text(name), .text(command.district.name), categoryText
            )
        )
    }

    static func checkedBankAccount(_ text: String) throws -> String {
        let account = try DomainText.validated(text, field: "bank_account", maximumCharacters: DomainLimits.maximumBankAccountCharacters)
        guard account.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == " " || $0 == "-" }) else {
            throw DomainError.invalidInput(field: "bank_account", problem: "\(account.debugDescription) may use only letters, digits, spaces and '-'")
        }
        return account
    }
}
