/// What an officer enters to correct a beneficiary (the national id is not here: the handler
/// turns it into a fingerprint first, as for a registration).
public struct AmendBeneficiary: Sendable, Equatable, Codable {
    public let id: String
    public let reason: String
    public let amendedOn: LocalDate
    public let name: String?
    /// As typed; normalised by the decision.
    public let addCategories: [String]
    public let removeCategories: [String]
    public let bankAccount: String?
    public let clearBankAccount: Bool
    public let unit: UnitCode?

    public init(id: String, reason: String, amendedOn: LocalDate, name: String? = nil, addCategories: [String] = [],
                removeCategories: [String] = [], bankAccount: String? = nil, clearBankAccount: Bool = false, unit: UnitCode? = nil) {
        self.id = id; self.reason = reason; self.amendedOn = amendedOn; self.name = name
        self.addCategories = addCategories; self.removeCategories = removeCategories
        self.bankAccount = bankAccount; self.clearBankAccount = clearBankAccount; self.unit = unit
    }
}

extension BeneficiaryCategory {
    /// Refuses a category the ledger does not know, listing the known ones. `known` empty (a
    /// ledger without a catalog) accepts every category.
    public static func requireKnown(_ categories: [String], known: Set<String>, field: String) throws {
        guard !known.isEmpty, let unknown = categories.first(where: { !known.contains($0) }) else { return }
        throw DomainError.invalidInput(
            field: field,
            problem: "\(unknown.debugDescription) is not a category the ledger knows; known: \(known.sorted().joined(separator: ", "))"
        )
    }
}

extension BeneficiaryDecisions {
    /// Corrects a registered beneficiary: appends `BeneficiaryAmended` with the reason. Every
    /// change must change something (a name it already has, a category it already has or lacks,
    /// the same bank account, the same unit or national id are refused, naming the option);
    /// `--bank-account` and `--clear-bank-account` exclude each other; added categories must be
    /// known (`knownCategories`, empty: any). A new national id must not be held by another
    /// beneficiary (`nationalIDHolder`: the beneficiary id that holds `fingerprint`, if any).
    public static func amend(_ command: AmendBeneficiary, existing: BeneficiaryState, fingerprint: String?,
                             nationalIDHolder: String?, knownCategories: Set<String>) throws -> Decision {
        let id = try Identifier.validated(command.id, field: "--id")
        precondition(existing.streamID == Streams.beneficiary(id), "the state given is of stream \(existing.streamID)")
        guard existing.exists else {
            throw DomainError(.unknownBeneficiary, "there is no beneficiary \(id); register it first", field: "--id")
        }
        let reason = try DomainText.validated(command.reason, field: "--reason", maximumCharacters: DomainLimits.maximumReasonCharacters)
        let name = try command.name.map {
            try DomainText.validated($0, field: "--name", maximumCharacters: DomainLimits.maximumBeneficiaryNameCharacters)
        }
        let added = try BeneficiaryCategory.normalisedList(command.addCategories, field: "--add-category")
        let removed = try BeneficiaryCategory.normalisedList(command.removeCategories, field: "--remove-category")
        let bankAccount = try command.bankAccount.map(checkedBankAccount)
        if let fingerprint, !NationalID.isFingerprint(fingerprint) {
            throw DomainError.invalidInput(field: "--national-id", problem: "the fingerprint must be 64 lowercase hex digits (HMAC-SHA-256)")
        }
        guard name != nil || !added.isEmpty || !removed.isEmpty || bankAccount != nil || command.clearBankAccount
            || command.unit != nil || fingerprint != nil else {
            throw DomainError.invalidInput(
                field: "--id",
                problem: "nothing to change: give at least one of --name, --add-category, --remove-category, --bank-account, "
                    + "--clear-bank-account, --unit, --national-id"
            )
        }
        if bankAccount != nil, command.clearBankAccount {
            throw DomainError.invalidInput(field: "--clear-bank-account", problem: "not with --bank-account (one replaces the account, the other removes it)")
        }
        if let name, name == existing.name {
            throw DomainError.invalidInput(field: "--name", problem: "beneficiary \(id) is already named \(name); nothing would change")
        }
        if let held = added.first(where: existing.categories.contains) {
            throw DomainError.invalidInput(field: "--add-category", problem: "beneficiary \(id) already has category \(held); nothing would change")
        }
        if let missing = removed.first(where: { !existing.categories.contains($0) }) {
            let has = existing.categories.isEmpty ? "none" : existing.categories.joined(separator: ", ")
            throw DomainError.invalidInput(field: "--remove-category", problem: "beneficiary \(id) does not have category \(missing) (has: \(has))")
        }
        if let both = removed.first(where: added.contains) {
            throw DomainError.invalidInput(field: "--remove-category", problem: "\(both) is also given to --add-category")
        }
        try BeneficiaryCategory.requireKnown(added, known: knownCategories, field: "--add-category")
        let resulting = Set(existing.categories).union(added).subtracting(removed)
        guard resulting.count <= DomainLimits.maximumCategories else {
            throw DomainError.invalidInput(
                field: "--add-category", problem: "beneficiary \(id) would have \(resulting.count) categories; at most \(DomainLimits.maximumCategories)"
            )
        }
        if let bankAccount, bankAccount == existing.bankAccount {
            throw DomainError.invalidInput(field: "--bank-account", problem: "beneficiary \(id)'s bank account is already \(bankAccount); nothing would change")
        }
        if command.clearBankAccount, existing.bankAccount == nil {
            throw DomainError.invalidInput(field: "--clear-bank-account", problem: "beneficiary \(id) has no bank account to clear")
        }
        if let unit = command.unit, unit == existing.district {
            throw DomainError.invalidInput(field: "--unit", problem: "beneficiary \(id) already lives in \(unit.name); nothing would change")
        }
        if let fingerprint {
            if fingerprint == existing.nationalIDFingerprint {
                throw DomainError.invalidInput(field: "--national-id", problem: "this is already beneficiary \(id)'s national id; nothing would change")
            }
            if let holder = nationalIDHolder, holder != id {
                throw DomainError(
                    .duplicateNationalID, "beneficiary \(holder) is registered with this national id; one national id belongs to one beneficiary",
                    field: "--national-id"
                )
            }
        }
        let amendment = BeneficiaryAmended(
            beneficiaryID: id, reason: reason, amendedOn: command.amendedOn, name: name,
            addCategories: added.isEmpty ? nil : added, removeCategories: removed.isEmpty ? nil : removed,
            bankAccount: bankAccount, clearBankAccount: command.clearBankAccount ? true : nil, unit: command.unit,
            nationalIDFingerprint: fingerprint
        )
        return Decision(
            streams: [StreamEvents(stream: existing.streamID, expectedVersion: existing.version, events: [.beneficiaryAmended(amendment)])],
            summary: "amended beneficiary \(id) on \(command.amendedOn): \(describe(amendment, before: existing)) (reason: \(reason))"
        )
    }

    /// The changes in words, e.g. `name Nguyễn Văn A → Nguyễn Văn An; categories +poor`.
    public static func describe(_ amendment: BeneficiaryAmended, before: BeneficiaryState? = nil) -> String {
        var parts: [String] = []
        if let name = amendment.name { parts.append("name \(before?.name.map { "\($0) → " } ?? "")\(name)") }
        let categoryChanges = (amendment.addCategories ?? []).map { "+\($0)" } + (amendment.removeCategories ?? []).map { "-\($0)" }
        if !categoryChanges.isEmpty { parts.append("categories " + categoryChanges.joined(separator: " ")) }
        if let account = amendment.bankAccount { parts.append("bank account \(account)") }
        if amendment.clearBankAccount == true { parts.append("bank account removed") }
        if let unit = amendment.unit { parts.append("unit \(before?.district.map { "\($0.name) → " } ?? "")\(unit.name)") }
        if amendment.nationalIDFingerprint != nil { parts.append("national id replaced") }
        return parts.joined(separator: "; ")
    }
}
