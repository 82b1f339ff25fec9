import ArgumentParser
import Ledger

/// `ledger payment record|reverse|import`.
struct Payment: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record, reverse and import payments.",
        subcommands: [Record.self, Reverse.self, Import.self, List.self]
    )

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a payment on an approved application (officer). The payment id is its idempotency key."
        )
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var write: WriteOptions
        @Option(help: "Application id.") var application: String
        @Option(help: "Payment id (unique across the ledger).") var paymentId: String
        @Option(help: "Amount in đồng.") var amount: String
        @Option(help: "Business date paid (default: today).") var paidOn: String?
        @Option(help: "bank or cash.", completion: Completions.method) var method: String
        @Option(help: "Voucher reference (số chứng từ).") var voucher: String

        func run() async throws {
            try await reportingErrors {
                guard let method = PaymentMethod(rawValue: method) else {
                    throw DomainError.invalidInput(field: "--method", problem: Message("{0} must be bank or cash", .text(method.debugDescription)))
                }
                let order = LedgerService.PaymentOrder(
                    applicationID: application, paymentID: paymentId, amount: try Recording.amount(amount, field: "--amount"),
                    paidOn: try Recording.date(paidOn, field: "--paid-on"), method: method, voucher: voucher
                )
                let outcome = try await Recording.service(connection).recordPayment(order, commandID: write.commandId)
                try Recording.print(outcome, format: output.format)
            }
        }
    }

    struct Reverse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reverse a payment the bank returned; what it paid may be paid again."
        )
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var write: WriteOptions
        @Option(help: "Payment id.") var paymentId: String
        @Option(help: "Why (e.g. returned by the bank: account closed).") var reason: String
        @Option(help: "Business date (default: today).") var reversedOn: String?

        func run() async throws {
            try await reportingErrors {
                let outcome = try await Recording.service(connection).reversePayment(
                    paymentID: paymentId, reason: reason, reversedOn: try Recording.date(reversedOn, field: "--reversed-on"),
                    commandID: write.commandId
                )
                try Recording.print(outcome, format: output.format)
            }
        }
    }
}
