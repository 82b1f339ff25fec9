/// Why a command was refused. `code` is stable for callers and tests; `message` says what was
/// wrong and, where it helps, what to do — it is what a finance officer sees.
public struct DomainError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// Input that is malformed or out of range; `field` names it.
        case invalidInput
        case unknownProgram, unknownBeneficiary, unknownApplication, unknownPayment, unknownLoan, unknownBudget
        case alreadyExists
        /// The same id was used before for something different.
        case conflictingDuplicate
        case notEligible
        case overCap
        case overBudget
        /// A budget adjusted below what is already committed.
        case belowCommitted
        case outsideProgramWindow
        case wrongStatus
        /// A business date before the step it follows (a reversal before its payment, a decision
        /// before the submission): well-formed, refused by a rule.
        case outOfOrder
        /// A bank payment to a beneficiary with no bank account on record.
        case noBankAccount
        case overpayment
        /// Approver and submitter are the same database identity.
        case fourEyes
        case duplicateNationalID
        /// The ledger's national-id key is not set yet, or the key given to set is refused (sql/0014).
        case nationalIDKey
        case repaymentExceedsOwed
        case permissionDenied
        case amountOverflow
        /// Others kept writing the same streams; the command was retried and gave up. Also: another
        /// transaction held the log past the append's lock timeout.
        case contention
        /// A rule the database keeps refused what the decision allowed (the database is the last word).
        case refusedByDatabase
    }

    public let code: Code
    public let message: String
    /// The input field at fault (`--amount`, `amount_vnd`, …), when there is one.
    public let field: String?

    /// The message as a template, when it was given as one: written in Vietnamese with
    /// `--locale vi` (`rendered(_:)`); `message` is its English form.
    public let template: Message?

    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.template = nil
    }

    public init(_ code: Code, _ message: Message, field: String? = nil) {
        self.code = code
        self.message = message.rendered(.en)
        self.field = field
        self.template = message
    }

    /// The same refusal with another field name (the option the user typed).
    public func naming(field: String?) -> DomainError {
        if let template { return DomainError(code, template, field: field) }
        return DomainError(code, message, field: field)
    }

    /// The message in `language` (English when it has no template), without the field.
    public func message(in language: Language) -> String {
        template?.rendered(language) ?? message
    }

    /// Equal when code, message and field are: the template is how the message is written.
    public static func == (lhs: DomainError, rhs: DomainError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.field == rhs.field
    }

    public var description: String {
        if let field { return "\(field): \(message)" }
        return message
    }

    public static func invalidInput(field: String, problem: String) -> DomainError {
        DomainError(.invalidInput, problem, field: field)
    }

    public static func invalidInput(field: String, problem: Message) -> DomainError {
        DomainError(.invalidInput, problem, field: field)
    }

    public static let amountOverflow = DomainError(.amountOverflow, "the amount is out of range")
}
