import ArgumentParser
import Foundation
import Ledger

extension Beneficiary {
    /// `ledger beneficiary amend`: a correction, recorded as BeneficiaryAmended with its reason.
    struct Amend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Correct a registered beneficiary (recorded as an event with its reason; officers).",
            discussion: """
                Give at least one change. Each change must change something: a name, category, bank account, unit or \
                national id the beneficiary already has is refused. Later decisions use the amended details (e.g. an \
                application needs an eligible category; a bank payment needs a bank account). Categories must be ones \
                the ledger knows (the catalog's). A new national id is fingerprinted by the database and refused when \
                another beneficiary holds it; the old one is freed. --amended-on defaults to today (said on stderr).
                """
        )
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var write: WriteOptions
        @Option(help: "Beneficiary id.") var id: String
        @Option(help: "Why (shown in `report beneficiary` and `audit history`).") var reason: String
        @Option(help: "Business date of the correction, YYYY-MM-DD or DD/MM/YYYY (default: today).") var amendedOn: String?
        @Option(help: "The corrected full name.") var name: String?
        @Option(help: "A category to add (repeatable).") var addCategory: [String] = []
        @Option(help: "A category to remove (repeatable).") var removeCategory: [String] = []
        @Option(help: "The new bank account (bank and number).") var bankAccount: String?
        @Flag(help: "Remove the bank account.") var clearBankAccount = false
        @Option(name: [.customLong("unit"), .customLong("district")], help: "The unit (district) the beneficiary now lives in.", completion: Completions.unit)
        var unit: String?
        @Option(help: "The corrected national id (CMND 9 or CCCD 12 digits).") var nationalId: String?

        func run() async throws {
            try await reportingErrors {
                if bankAccount != nil, clearBankAccount {
                    throw DomainError.invalidInput(field: "--clear-bank-account", problem: "not with --bank-account (one replaces the account, the other removes it)")
                }
                let amendedOn = try Recording.date(amendedOn, field: "--amended-on")
                // The unit of that name in force on the amendment's date (PlaceCatalog.resolve).
                let movedTo = try await unit.asyncMap { try await Recording.service(connection).resolveUnit($0, when: .on(amendedOn), field: "--unit") }
                let command = AmendBeneficiary(
                    id: id, reason: reason, amendedOn: amendedOn, name: name,
                    addCategories: addCategory, removeCategories: removeCategory, bankAccount: bankAccount,
                    clearBankAccount: clearBankAccount, unit: movedTo
                )
                let nationalID = try nationalId.map { try NationalID(parsing: $0, field: "--national-id") }
                let outcome = try await Recording.service(connection).amendBeneficiary(command, nationalID: nationalID, commandID: write.commandId)
                try Recording.print(outcome, format: output.format)
            }
        }
    }
}
