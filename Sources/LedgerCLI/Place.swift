import ArgumentParser
import Foundation
import Ledger
import Projections

/// `ledger place sample | load FILE | list`.
struct Place: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load and list the administrative units (districts until 30 June 2025, then wards and communes), with validity dates.",
        subcommands: [Load.self, List.self, Sample.self]
    )

    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load a places file (JSON; admin). New units are defined; loading the same file again records nothing; a unit already defined differently is refused (a changed unit gets a new code)."
        )
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var write: WriteOptions
        @Argument(help: "The places file; `ledger place sample` prints an example.") var file: String

        func run() async throws {
            try await reportingErrors {
                guard let data = FileManager.default.contents(atPath: file) else { throw CommandError("\(file): cannot read the file") }
                if let byte = DomainText.firstInvalidUTF8Byte(data) {
                    throw DomainError.invalidInput(field: file, problem: "is not valid UTF-8 (byte \(byte)); save the file as UTF-8")
                }
                let outcome = try await Recording.service(connection).loadPlaces(String(decoding: data, as: UTF8.self), commandID: write.commandId)
                try Recording.print(outcome, format: output.format)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the units (all, or those in force on a date). With no places loaded, the nine districts of Cần Thơ."
        )
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Only the units in force on this date (YYYY-MM-DD or DD/MM/YYYY).") var on: String?
        @Option(help: "Output format: table, json or csv.") var format: ReportFormatOption = .table
        @OptionGroup var csvStyle: CSVStyleOptions
        func validate() throws { try csvStyle.check(format: format.rawValue) }

        func run() async throws {
            try await reportingErrors {
                let date = try on.map { try LocalDate(parsing: $0, field: "--on") }
                var places = try await Recording.service(connection).places()
                let loaded = !places.isEmpty
                if !loaded {
                    Output.message("place list: no places are loaded; these are the nine districts a ledger without places knows, on any date")
                    for district in UnitCode.allCases {
                        places.add(UnitDefined(code: district, name: district.name, kind: .district, validFrom: LocalDate(year: 2000, month: 1, day: 1)!,
                                               validUntil: nil, cameFrom: nil))
                    }
                }
                let units = places.all(on: date)
                let rows = units.map(Row.init)
                switch format {
                case .json: Output.data(try Output.json(rows))
                case .csv:
                    Output.csv(ReportCSV.text(
                        header: ["code", "kind", "name", "valid_from", "valid_until", "came_from", "illustrative"],
                        rows: rows.map { [$0.code, $0.kind, $0.name, $0.validFrom, $0.validUntil ?? "", $0.cameFrom.joined(separator: " "),
                                          $0.illustrative ? "true" : "false"] }
                    ), bom: csvStyle.bom)
                case .table:
                    Output.data(Output.table(
                        ["code", "unit", "in force", "came from"],
                        units.map { unit in
                            [unit.code.code, unit.title + (unit.isIllustrative ? " (illustrative)" : ""), unit.validity,
                             unit.predecessors.map { places.title(of: $0) }.joined(separator: ", ")]
                        }
                    ))
                    if units.isEmpty { Output.message("place list: no unit is in force\(date.map { " on \($0)" } ?? "")") }
                }
            }
        }

        struct Row: Encodable {
            let code, kind, name, validFrom: String
            let validUntil: String?
            let cameFrom: [String]
            let illustrative: Bool

            init(_ unit: UnitDefined) {
                code = unit.code.code; kind = unit.kind.rawValue; name = unit.name; validFrom = unit.validFrom.description
                validUntil = unit.validUntil?.description; cameFrom = unit.predecessors.map(\.code); illustrative = unit.isIllustrative
            }

            enum CodingKeys: String, CodingKey {
                case code, kind, name, validFrom = "valid_from", validUntil = "valid_until", cameFrom = "came_from", illustrative
            }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(code, forKey: .code); try container.encode(kind, forKey: .kind); try container.encode(name, forKey: .name)
                try container.encode(validFrom, forKey: .validFrom); try container.encode(validUntil, forKey: .validUntil)
                try container.encode(cameFrom, forKey: .cameFrom); try container.encode(illustrative, forKey: .illustrative)
            }
        }
    }

    struct Sample: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a sample places file: the nine districts until 2025-06-30 and an ILLUSTRATIVE part of the wards and communes from 2025-07-01."
        )
        func run() async throws {
            Output.data(SamplePlaces.json)
        }
    }
}

/// A `--unit NAME` option with its alias `--district` (as older command lines type it): the
/// text and the flag it came with (errors name the flag typed).
enum UnitOption {
    static func text(unit: String?, district: String?) throws -> (text: String, field: String)? {
        if unit != nil, district != nil {
            throw DomainError.invalidInput(field: "--unit", problem: "give --unit or its alias --district, not both")
        }
        if let unit { return (unit, "--unit") }
        if let district { return (district, "--district") }
        return nil
    }

    /// For a required option: a usage error (exit 64) when neither is given.
    static func validateRequired(unit: String?, district: String?) throws {
        if unit == nil, district == nil {
            throw ValidationError("Missing expected argument '--unit <name>' (or its alias --district)")
        }
        if unit != nil, district != nil { throw ValidationError("give --unit or its alias --district, not both") }
    }

    static let help = "a name with or without diacritics and quận/huyện/phường/xã (Ninh Kiều, phuong cai khe), or a code"
}

extension Optional {
    /// `map` with an async transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
