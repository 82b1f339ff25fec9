import ArgumentParser
import Foundation
import Ledger

/// `ledger program load FILE | list | sample`.
struct Program: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load and list the policy programmes (the catalog is data an admin loads).",
        subcommands: [Load.self, List.self, Sample.self]
    )

    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load a programme catalog (JSON). New programmes are defined, changed ones amended from their effective date; loading the same file again changes nothing."
        )
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var write: WriteOptions
        @Argument(help: "The catalog file; `ledger program sample` prints an example.") var file: String

        func run() async throws {
            try await reportingErrors {
                guard let data = FileManager.default.contents(atPath: file) else { throw CommandError("\(file): cannot read the file") }
                if let byte = DomainText.firstInvalidUTF8Byte(data) {
                    throw DomainError.invalidInput(field: file, problem: "is not valid UTF-8 (byte \(byte)); save the catalog as UTF-8")
                }
                let text = String(decoding: data, as: UTF8.self)
                let outcome = try await Recording.service(connection).loadCatalog(text, commandID: write.commandId)
                try Recording.print(outcome, format: output.format)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the programmes as currently defined.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingErrors {
                let programs = try await Recording.service(connection).programs().compactMap(\.current)
                switch output.format {
                case .json: Output.data(try Output.json(programs.map(ProgramRow.init)))
                case .table:
                    Output.data(Output.table(
                        ["code", "kind", "cap per beneficiary", "valid", "once only", "name"],
                        programs.map {
                            [$0.code, Output.label($0.kind.rawValue), Output.amount($0.capPerBeneficiaryVND.amount),
                             Output.text(Message("{0} to {1}", .date($0.validFrom), .date($0.validUntil))),
                             Output.label($0.onceOnly ? "yes" : "no"), $0.nameVi + ($0.illustrative ? " (illustrative figures)" : "")]
                        }
                    ))
                }
            }
        }

        struct ProgramRow: Encodable {
            let code, kind, nameVi, nameEn, legalBasis, validFrom, validUntil, effectiveFrom: String
            let capPerBeneficiaryVND: Int64
            let onceOnly, illustrative: Bool

            init(_ definition: ProgramDefinition) {
                code = definition.code; kind = definition.kind.rawValue; nameVi = definition.nameVi; nameEn = definition.nameEn
                legalBasis = definition.legalBasis; validFrom = definition.validFrom.description
                validUntil = definition.validUntil.description; effectiveFrom = definition.effectiveFrom.description
                capPerBeneficiaryVND = definition.capPerBeneficiaryVND.amount; onceOnly = definition.onceOnly
                illustrative = definition.illustrative
            }

            enum CodingKeys: String, CodingKey {
                case code, kind, nameVi = "name_vi", nameEn = "name_en", legalBasis = "legal_basis", validFrom = "valid_from"
                case validUntil = "valid_until", effectiveFrom = "effective_from", capPerBeneficiaryVND = "cap_per_beneficiary_vnd"
                case onceOnly = "once_only", illustrative
            }
        }
    }

    struct Sample: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the sample catalog of the seven programmes of resolutions 11 and 12/2023 (figures illustrative)."
        )
        func run() async throws {
            Output.data(SampleCatalog.json)
        }
    }
}
