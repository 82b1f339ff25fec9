import ArgumentParser
import Ledger

/// `ledger loan disburse|repay|write-off`.
struct Loan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Disburse loans for working abroad, record repayments, write loans off.",
        subcommands: [Disburse.self, Repay.self, WriteOff.self]
    )

    struct Disburse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disburse an approved loan (officer).")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var write: WriteOptions
        @Option(help: "Application id.") var application: String
        @Option(help: "New loan id.") var loanId: String
        @Option(help: "Principal in đồng (at most the approved amount).") var principal: String
        @Option(help: "Business date (default: today).") var disbursedOn: String?
        @Option(help: "Term in months (a multiple of the programme's instalment period).") var termMonths: Int

        func run() async throws {
            try await reportingErrors {
                let outcome = try await Recording.service(connection).disburseLoan(
                    application: application, loanID: loanId, principal: try Recording.amount(principal, field: "--principal"),
                    disbursedOn: try Recording.date(disbursedOn, field: "--disbursed-on"), termMonths: termMonths, commandID: write.commandId
                )
                try Recording.print(outcome, format: output.format)
            }
        }
    }

    struct Repay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a repayment: overdue interest, interest, overdue principal, principal due, then prepayment."
        )
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var write: WriteOptions
        @Option(help: "Loan id.") var loanId: String
        @Option(help: "Repayment id.") var repaymentId: String
        @Option(help: "Amount in đồng (at most what is owed).") var amount: String
        @Option(help: "Business date paid (default: today).") var paidOn: String?

        func run() async throws {
            try await reportingErrors {
                let outcome = try await Recording.service(connection).repayLoan(
                    loanID: loanId, repaymentID: repaymentId, amount: try Recording.amount(amount, field: "--amount"),
                    paidOn: try Recording.date(paidOn, field: "--paid-on"), commandID: write.commandId
                )
                try Recording.print(outcome, format: output.format)
            }
        }
    }

    struct WriteOff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "write-off", abstract: "Write a loan off (approver).")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var write: WriteOptions
        @Option(help: "Loan id.") var loanId: String
        @Option(help: "Why.") var reason: String
        @Option(help: "Business date (default: today).") var writtenOffOn: String?

        func run() async throws {
            try await reportingErrors {
                let outcome = try await Recording.service(connection).writeOffLoan(
                    loanID: loanId, reason: reason, on: try Recording.date(writtenOffOn, field: "--written-off-on"), commandID: write.commandId
                )
                try Recording.print(outcome, format: output.format)
            }
        }
    }
}
