import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger

/// `POST /api/v1/beneficiaries` (`ledger beneficiary register`) and
/// `POST /api/v1/beneficiaries/{id}/amendments` (`ledger beneficiary amend`), as the signed-in officer.
extension LedgerServer {
    func addBeneficiaryRoutes(to router: Router<LedgerRequestContext>) {
        router.post("/api/v1/beneficiaries") { request, context in
            try await self.write(request, context, allowed: [
                "beneficiary_id", "kind", "name", "unit", "district", "registered_on", "national_id", "categories", "category",
                "bank_account",
            ]) { body, session, commandID in
                let id = try body.string("beneficiary_id")
                let kindText = try body.string("kind")
                guard let kind = BeneficiaryKind(rawValue: kindText) else {
                    throw Problem.badRequest(field: "kind", "kind: \(kindText.debugDescription) must be person or household")
                }
                let name = try body.string("name")
                let place = try Self.unitText(body, required: true)!
                let registeredOn = try body.optionalDate("registered_on") ?? LocalDate.today()
                let categories = try body.stringList("categories") + body.stringList("category")
                let bankAccount = try body.optionalString("bank_account")
                let nationalID = try body.optionalString("national_id")
                return try await Self.renaming(["--id": "beneficiary_id", "id": "beneficiary_id", "--category": "categories", "category": "categories"]) {
                    let nationalID = try nationalID.map { try NationalID(parsing: $0, field: "national_id") }
                    var command = RegisterBeneficiary(
                        id: id, kind: kind, name: name,
                        district: try await session.service.resolveUnit(place.text, when: .on(registeredOn), field: place.field),
                        categories: categories, bankAccount: bankAccount
                    )
                    command.registeredOn = registeredOn
                    let outcome = try await session.service.registerBeneficiary(command, nationalID: nationalID, commandID: commandID)
                    return WriteResult(outcome: outcome, location: "/api/v1/beneficiaries/\(Self.escaped(id))", ids: ["beneficiary_id": id])
                }
            }
        }

        router.post("/api/v1/beneficiaries/{id}/amendments") { request, context in
            let id = try Self.pathID(context, "id")
            return try await self.write(request, context, allowed: [
                "reason", "amended_on", "name", "add_category", "add_categories", "remove_category", "remove_categories",
                "bank_account", "clear_bank_account", "unit", "district", "national_id",
            ]) { body, session, commandID in
                let reason = try body.string("reason")
                let amendedOn = try body.optionalDate("amended_on") ?? LocalDate.today()
                let name = try body.optionalString("name")
                let add = try body.stringList("add_categories") + body.stringList("add_category")
                let remove = try body.stringList("remove_categories") + body.stringList("remove_category")
                let bankAccount = try body.optionalString("bank_account")
                let clearBankAccount = try body.bool("clear_bank_account")
                if bankAccount != nil, clearBankAccount {
                    throw Problem.badRequest(
                        field: "clear_bank_account",
                        "clear_bank_account: not with bank_account (one replaces the account, the other removes it)"
                    )
                }
                let place = try Self.unitText(body, required: false)
                let nationalID = try body.optionalString("national_id")
                return try await Self.renaming(["--add-category": "add_categories", "--remove-category": "remove_categories"]) {
                    let nationalID = try nationalID.map { try NationalID(parsing: $0, field: "national_id") }
                    // The unit of that name in force on the amendment's date, as the CLI resolves it.
                    var movedTo: UnitCode?
                    if let place {
                        movedTo = try await session.service.resolveUnit(place.text, when: .on(amendedOn), field: place.field)
                    }
                    let command = AmendBeneficiary(
                        id: id, reason: reason, amendedOn: amendedOn, name: name, addCategories: add, removeCategories: remove,
                        bankAccount: bankAccount, clearBankAccount: clearBankAccount, unit: movedTo
                    )
                    let outcome = try await session.service.amendBeneficiary(command, nationalID: nationalID, commandID: commandID)
                    return WriteResult(outcome: outcome, ids: ["beneficiary_id": id])
                }
            }
        }
    }
}
