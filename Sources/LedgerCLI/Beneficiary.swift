import ArgumentParser
import Crypto
import Foundation
import Ledger

/// `ledger beneficiary register`.
struct Beneficiary: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Register beneficiaries.", subcommands: [Register.self])

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a person or a household.",
            discussion: "A national id is stored only as a keyed fingerprint (HMAC-SHA-256 under LEDGER_NATIONAL_ID_KEY); a second beneficiary with the same id is refused."
        )
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var write: WriteOptions
        @Option(help: "Beneficiary id.") var id: String
        @Option(help: "person or household.") var kind: String
        @Option(help: "Full name (or the household head's).") var name: String
        @Option(help: "District, with or without diacritics.") var district: String
        @Option(help: "National id (CMND 9 or CCCD 12 digits).") var nationalId: String?
        @Option(help: "A category such as poor, near-poor, ethnic-minority (repeatable).") var category: [String] = []
        @Option(help: "Bank account for transfers (bank and number).") var bankAccount: String?

        func run() async throws {
            try await reportingErrors {
                guard let kind = BeneficiaryKind(rawValue: kind) else {
                    throw DomainError.invalidInput(field: "--kind", problem: "\(kind.debugDescription) must be person or household")
                }
                let command = RegisterBeneficiary(
                    id: id, kind: kind, name: name, district: try District(parsing: district, field: "--district"),
                    categories: category, bankAccount: bankAccount
                )
                let nationalID = try nationalId.map { try NationalID(parsing: $0, field: "--national-id") }
                let outcome = try await Recording.service(connection).registerBeneficiary(
                    command, nationalID: nationalID, fingerprintKey: try NationalIDKey.fromEnvironment(), commandID: write.commandId
                )
                try Recording.print(outcome, format: output.format)
            }
        }
    }
}

/// The deployment's key for national-id fingerprints: `LEDGER_NATIONAL_ID_KEY`, at least
/// `DomainLimits.minimumNationalIDKeyBytes` bytes (as long as the SHA-256 output, RFC 2104).
enum NationalIDKey {
    static func fromEnvironment() throws -> SymmetricKey? {
        guard let text = ProcessInfo.processInfo.environment["LEDGER_NATIONAL_ID_KEY"], !text.isEmpty else { return nil }
        // Read as bytes: a key that is not UTF-8 would reach us with its bad bytes replaced by
        // U+FFFD, so two different keys could fingerprint alike.
        if let raw = getenv("LEDGER_NATIONAL_ID_KEY"),
           let byte = DomainText.firstInvalidUTF8Byte(UnsafeBufferPointer(start: UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self), count: strlen(raw))) {
            throw CommandError("LEDGER_NATIONAL_ID_KEY: is not valid UTF-8 (byte \(byte))")
        }
        let minimum = DomainLimits.minimumNationalIDKeyBytes
        guard text.utf8.count >= minimum else {
            throw CommandError("LEDGER_NATIONAL_ID_KEY: is \(text.utf8.count) bytes; the national-id key must be at least \(minimum) bytes")
        }
        return SymmetricKey(data: Array(text.utf8))
    }
}
