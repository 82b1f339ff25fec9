import ArgumentParser
import Synchronization
import Foundation
import Ledger

/// `ledger beneficiary register`.
struct Beneficiary: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Register beneficiaries.", subcommands: [Register.self, Amend.self, Show.self, Search.self])

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a person or a household.",
            discussion: """
                A national id is stored only as its fingerprint (HMAC-SHA-256 under the ledger's key, computed by the \
                database: `ledger national-id key set`); a second beneficiary with the same id is refused. \
                LEDGER_NATIONAL_ID_KEY is no longer read.
                """
        )
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var write: WriteOptions
        @Option(help: "Beneficiary id.") var id: String
        @Option(help: "person or household.", completion: Completions.kind) var kind: String
        @Option(help: "Full name (or the household head's).") var name: String
        @Option(help: "The unit they live in, in force on the registration date: \(UnitOption.help).", completion: Completions.unit) var unit: String?
        @Option(help: "Alias of --unit.", completion: Completions.unit) var district: String?
        @Option(help: "Business date of the registration (default: today).") var registeredOn: String?

        func validate() throws { try UnitOption.validateRequired(unit: unit, district: district) }
        @Option(help: "National id (CMND 9 or CCCD 12 digits).") var nationalId: String?
        @Option(help: "A category such as poor, near-poor, ethnic-minority (repeatable).") var category: [String] = []
        @Option(help: "Bank account for transfers (bank and number).") var bankAccount: String?

        func run() async throws {
            try await reportingErrors {
                guard let kind = BeneficiaryKind(rawValue: kind) else {
                    throw DomainError.invalidInput(field: "--kind", problem: "\(kind.debugDescription) must be person or household")
                }
                guard let place = try UnitOption.text(unit: unit, district: district) else { throw ValidationError("--unit is required") }
                let service = try await Recording.service(connection)
                let registeredOn = try Recording.date(registeredOn, field: "--registered-on")
                var command = RegisterBeneficiary(
                    id: id, kind: kind, name: name, district: try await service.resolveUnit(place.text, when: .on(registeredOn), field: place.field),
                    categories: category, bankAccount: bankAccount
                )
                command.registeredOn = registeredOn
                let nationalID = try nationalId.map { try NationalID(parsing: $0, field: "--national-id") }
                NationalIDKeyEnvironment.warnIfSet()
                let outcome = try await service.registerBeneficiary(
                    command, nationalID: nationalID, commandID: write.commandId
                )
                try Recording.print(outcome, format: output.format)
            }
        }
    }
}

/// `LEDGER_NATIONAL_ID_KEY`, which held the fingerprint key on each officer's machine before the
/// key moved into the database (sql/0014_national_ids.sql): no longer read; its value is never looked at.
enum NationalIDKeyEnvironment {
    static let variable = "LEDGER_NATIONAL_ID_KEY"

    /// Says on stderr, once per process, that the variable is set but no longer read.
    static func warnIfSet() {
        // getenv, not ProcessInfo: a value that is not UTF-8 must still be noticed.
        guard getenv(variable) != nil else { return }
        guard warned.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        Output.message("""
            ledger: warning: \(variable) is set but no longer read: national ids are fingerprinted by the database \
            with the ledger's key; an admin loads that key once with `ledger national-id key set --key-file FILE` \
            (docs/operations.md, "National-id key")
            """)
    }

    private static let warned = Atomic<Bool>(false)
}
