import ArgumentParser
import Ledger

/// `ledger budget allocate|adjust`.
struct Budget: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Allocate and adjust budgets per programme, fiscal year and unit (district, ward or commune).",
        subcommands: [Allocate.self, Adjust.self]
    )

    struct Target: ParsableArguments {
        @Option(help: "Programme code.", completion: Completions.program) var program: String
        @Option(help: "Fiscal year.") var year: Int
        @Option(help: "The unit, in force in that fiscal year: \(UnitOption.help).", completion: Completions.unit) var unit: String?
        @Option(help: "Alias of --unit.", completion: Completions.unit) var district: String?

        func validate() throws { try UnitOption.validateRequired(unit: unit, district: district) }

        /// The unit named, resolved among those in force in the fiscal year.
        func resolved(_ service: LedgerService) async throws -> (Int, UnitCode) {
            let year = try Recording.year(year)
            guard let (text, field) = try UnitOption.text(unit: unit, district: district) else { throw ValidationError("--unit is required") }
            return (year, try await service.resolveUnit(text, when: .inYear(year), field: field))
        }
    }

    struct Allocate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Allocate funds to a unit's budget for a programme and year.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var write: WriteOptions
        @OptionGroup var target: Target
        @Option(help: "Amount in đồng (5000000 or 5.000.000).") var amount: String
        @Option(help: "The allocating decision's reference.") var reference: String

        func run() async throws {
            try await reportingErrors {
                let service = try await Recording.service(connection)
                let (year, unit) = try await target.resolved(service)
                let outcome = try await service.allocateBudget(
                    program: target.program, year: year, district: unit,
                    amount: try Recording.amount(amount, field: "--amount"), reference: reference, commandID: write.commandId
                )
                try Recording.print(outcome, format: output.format)
            }
        }
    }

    struct Adjust: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Adjust a budget up (+) or down (-); never below what approvals already reserved.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var write: WriteOptions
        @OptionGroup var target: Target
        // `.unconditional`: `--amount -50.000.000` takes the value even though it starts with "-".
        @Option(parsing: .unconditional, help: "Signed đồng, e.g. --amount -50.000.000 or +2000000.") var amount: String
        @Option(help: "The adjusting decision's reference.") var reference: String

        func run() async throws {
            try await reportingErrors {
                let service = try await Recording.service(connection)
                let (year, unit) = try await target.resolved(service)
                let outcome = try await service.adjustBudget(
                    program: target.program, year: year, district: unit,
                    delta: try Recording.amount(amount, field: "--amount", signed: true), reference: reference, commandID: write.commandId
                )
                try Recording.print(outcome, format: output.format)
            }
        }
    }
}
