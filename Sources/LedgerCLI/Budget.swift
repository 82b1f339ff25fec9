import ArgumentParser
import Ledger

/// `ledger budget allocate|adjust`.
struct Budget: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Allocate and adjust budgets per programme, fiscal year and district.",
        subcommands: [Allocate.self, Adjust.self]
    )

    struct Target: ParsableArguments {
        @Option(help: "Programme code.") var program: String
        @Option(help: "Fiscal year.") var year: Int
        @Option(help: "District, with or without diacritics (Ninh Kiều, ninh kieu).") var district: String
    }

    struct Allocate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Allocate funds to a district's budget for a programme and year.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var write: WriteOptions
        @OptionGroup var target: Target
        @Option(help: "Amount in đồng (5000000 or 5.000.000).") var amount: String
        @Option(help: "The allocating decision's reference.") var reference: String

        func run() async throws {
            try await reportingErrors {
                let outcome = try await Recording.service(connection).allocateBudget(
                    program: target.program, year: try Recording.year(target.year), district: try District(parsing: target.district, field: "--district"),
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
        @Option(help: "Signed amount in đồng (+2000000 or -1.000.000).") var amount: String
        @Option(help: "The adjusting decision's reference.") var reference: String

        func run() async throws {
            try await reportingErrors {
                let outcome = try await Recording.service(connection).adjustBudget(
                    program: target.program, year: try Recording.year(target.year), district: try District(parsing: target.district, field: "--district"),
                    delta: try Recording.amount(amount, field: "--amount", signed: true), reference: reference, commandID: write.commandId
                )
                try Recording.print(outcome, format: output.format)
            }
        }
    }
}
