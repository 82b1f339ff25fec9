import ArgumentParser
import Ledger

/// `ledger application submit|approve|reject|withdraw|close`.
struct Application: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Submit, decide, withdraw and close applications for support.",
        subcommands: [Submit.self, Approve.self, Reject.self, Withdraw.self, Close.self, List.self, Show.self]
    )

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Submit an application (officer).")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var write: WriteOptions
        @Option(help: "Application id.") var id: String
        @Option(help: "Beneficiary id.") var beneficiary: String
        @Option(help: "Programme code.", completion: Completions.program) var program: String
        @Option(help: "Amount requested in đồng.") var amount: String
        @Option(help: "Business date (default: today).") var submittedOn: String?
        @Option(help: "Fiscal year whose budget it draws on (default: the year submitted).") var year: Int?
        @Option(help: "The unit whose budget it draws on, when the beneficiary's unit did not exist in that fiscal year and came from several (default: the beneficiary's unit, or the one it came from).", completion: Completions.unit)
        var unit: String?
        @Option(help: "Alias of --unit.", completion: Completions.unit) var district: String?

        func run() async throws {
            try await reportingErrors {
                let outcome = try await Recording.service(connection).submitApplication(
                    id: id, beneficiary: beneficiary, program: program, amount: try Recording.amount(amount, field: "--amount"),
                    submittedOn: try Recording.date(submittedOn, field: "--submitted-on"),
                    year: try year.map { try Recording.year($0) }, unit: try UnitOption.text(unit: unit, district: district)?.text,
                    commandID: write.commandId
                )
                try Recording.print(outcome, format: output.format)
            }
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve an application (approver; never one you submitted). Reserves the amount in the district budget."
        )
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var write: WriteOptions
        @Option(help: "Application id.") var id: String
        @Option(help: "Amount approved in đồng.") var amount: String
        @Option(help: "The decision's reference (số quyết định).") var decision: String
        @Option(help: "Business date (default: today).") var decidedOn: String?

        func run() async throws {
            try await reportingErrors {
                let outcome = try await Recording.service(connection).approveApplication(
                    id: id, amount: try Recording.amount(amount, field: "--amount"), decision: decision,
                    decidedOn: try Recording.date(decidedOn, field: "--decided-on"), commandID: write.commandId
                )
                try Recording.print(outcome, format: output.format)
            }
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject an application with a reason (approver).")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var write: WriteOptions
        @Option(help: "Application id.") var id: String
        @Option(help: "Why.") var reason: String
        @Option(help: "Business date (default: today).") var decidedOn: String?

        func run() async throws {
            try await reportingErrors {
                let outcome = try await Recording.service(connection).rejectApplication(
                    id: id, reason: reason, decidedOn: try Recording.date(decidedOn, field: "--decided-on"), commandID: write.commandId
                )
                try Recording.print(outcome, format: output.format)
            }
        }
    }

    struct Withdraw: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Withdraw an application not yet paid; an approval's reservation goes back to the budget.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var write: WriteOptions
        @Option(help: "Application id.") var id: String
        @Option(help: "Why.") var reason: String
        @Option(help: "Business date (default: today).") var withdrawnOn: String?

        func run() async throws {
            try await reportingErrors {
                let outcome = try await Recording.service(connection).withdrawApplication(
                    id: id, reason: reason, on: try Recording.date(withdrawnOn, field: "--withdrawn-on"), commandID: write.commandId
                )
                try Recording.print(outcome, format: output.format)
            }
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close an approved application; what was not paid goes back to the budget.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var write: WriteOptions
        @Option(help: "Application id.") var id: String
        @Option(help: "Business date (default: today).") var closedOn: String?

        func run() async throws {
            try await reportingErrors {
                let outcome = try await Recording.service(connection).closeApplication(
                    id: id, on: try Recording.date(closedOn, field: "--closed-on"), commandID: write.commandId
                )
                try Recording.print(outcome, format: output.format)
            }
        }
    }
}
