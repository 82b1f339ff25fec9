import Foundation
import Ledger

/// `beneficiaries`: one row per beneficiary as registered and amended since — name (and the name
/// folded for search, `NameFolding`), unit, categories, bank account, national-id fingerprint, who
/// registered it and when, how many amendments and the last one. What `ledger beneficiary show`
/// and `search` read.
public struct BeneficiariesProjection: Projection {
    public static let name = "beneficiaries"
    public static let eventTypes: Set<String> = ["BeneficiaryRegistered", "BeneficiaryAmended"]
    public static let tables = [
        ReadModelTable(name: "beneficiaries", columns: [
            "beneficiary_id", "kind", "name", "name_folded", "unit", "categories", "bank_account", "national_id_fingerprint",
            "registered_by", "registered_at", "registered_on", "amendments", "last_amended_on", "last_amended_by", "last_amended_at", "last_position",
        ], keyCount: 1),
    ]

    struct Entry: Sendable {
        let id: String
        var kind: BeneficiaryKind
        var name: String
        var unit: String
        var categories: [String]
        var bankAccount: String?
        var fingerprint: String?
        var registeredBy: String
        var registeredAtMicroseconds: Int64
        var registeredOn: LocalDate?
        var amendments = 0
        var lastAmendedOn: LocalDate?
        var lastAmendedBy: String?
        var lastAmendedAtMicroseconds: Int64?
        var lastPosition: Int64

        /// The same rules as the domain's `BeneficiaryState`.
        mutating func amend(_ amendment: BeneficiaryAmended, _ context: EventContext) {
            if let name = amendment.name { self.name = name }
            if let unit = amendment.unit { self.unit = unit.code }
            if amendment.addCategories != nil || amendment.removeCategories != nil {
                let removed = Set(amendment.removeCategories ?? [])
                categories = Array(Set(categories).union(amendment.addCategories ?? []).subtracting(removed)).sorted()
            }
            if amendment.clearBankAccount == true { bankAccount = nil }
            if let account = amendment.bankAccount { bankAccount = account }
            if let fingerprint = amendment.nationalIDFingerprint { self.fingerprint = fingerprint }
            amendments += 1
            lastAmendedOn = amendment.amendedOn
            lastAmendedBy = context.actor
            lastAmendedAtMicroseconds = context.recordedAtMicroseconds
            lastPosition = context.position
        }
    }

    var entries: [String: Boxed<Entry>] = [:]
    var changed: Set<String> = []
    /// One copy of each actor and unit code.
    var texts = TextPool()

    public init() {}

    static let streamPrefix = Streams.beneficiary("")

    public mutating func apply(_ event: ProjectedEvent) throws {
        guard event.streamID.hasPrefix(Self.streamPrefix) else { return }
        let id = String(event.streamID.dropFirst(Self.streamPrefix.count))
        switch event.event {
        case .beneficiaryRegistered(let registered):
            entries[id] = Boxed(Entry(
                id: id, kind: registered.kind, name: registered.name, unit: texts(registered.district.code),
                categories: Array(Set(registered.categories)).sorted(), bankAccount: registered.bankAccount,
                fingerprint: registered.nationalIDFingerprint, registeredBy: texts(event.context.actor),
                registeredAtMicroseconds: event.context.recordedAtMicroseconds, registeredOn: registered.registeredOn,
                lastPosition: event.position
            ))
        case .beneficiaryAmended(let amendment):
            guard var entry = entries[id]?.value else { return }
            entry.amend(amendment, event.context)
            entry.unit = texts(entry.unit)
            entry.lastAmendedBy = entry.lastAmendedBy.map { texts($0) }
            entries[id] = Boxed(entry)
        default:
            return
        }
        changed.insert(id)
    }

    public mutating func forgetChanges() { changed.removeAll(keepingCapacity: true) }

    public mutating func takeChangedRows() -> [[ReadModelRow]] {
        defer { changed.removeAll(keepingCapacity: true) }
        return [entries.rows(for: changed) { Self.row($0.value) }]
    }

    public func allRows() -> [[ReadModelRow]] {
        [entries.rows(for: entries.keys) { Self.row($0.value) }]
    }

    public func forEachRow(ofTable table: Int, _ body: (ReadModelRow) throws -> Void) rethrows {
        try entries.forEachRow({ Self.row($0.value) }, body)
    }

    static func row(_ entry: Entry) -> ReadModelRow? {
        [
            entry.id, entry.kind.rawValue, entry.name, NameFolding.fold(entry.name), entry.unit, FindJSON.array(entry.categories),
            entry.bankAccount, entry.fingerprint, entry.registeredBy, Field.timestamp(entry.registeredAtMicroseconds),
            Field.date(entry.registeredOn), Field.int(entry.amendments), Field.date(entry.lastAmendedOn), entry.lastAmendedBy,
            entry.lastAmendedAtMicroseconds.map(Field.timestamp), Field.int(entry.lastPosition),
        ]
    }
}

/// JSON text of the read models' `jsonb` columns.
enum FindJSON {
    static func array(_ strings: [String]) -> String {
        let data = (try? JSONEncoder().encode(strings)) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
