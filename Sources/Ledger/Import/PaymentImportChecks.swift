/// The two passes that check a payment file's rows before anything is appended, as pure
/// functions (the database reads are `PaymentImport`'s): first each row's fields on their own and
/// the payment ids across the file, then each row against the ledger, in file order.
public enum PaymentImportChecks {
    /// What the first pass makes of one row.
    public enum FieldCheck: Sendable, Equatable {
        /// Every field is well-formed.
        case valid(LedgerService.PaymentOrder)
        /// An exact repeat of the row on `line` (same payment id, same content): counted once, with that row.
        case duplicate(ofLine: Int)
        /// Reported in the problems.
        case invalid
    }

    /// Pass 1: reads each row's fields (surrounding spaces ignored; `method` in any case) with
    /// the domain's own parsers, reporting every bad field of every row, then finds payment ids
    /// used twice in the file: an exact repeat is a duplicate, a different payment a bad row.
    /// Returns one check per row of `file.rows`, and the problems (rows with the wrong number of
    /// fields included), sorted by line.
    public static func checkFields(_ file: PaymentImportFile) -> (checks: [FieldCheck], problems: [PaymentImportProblem]) {
        var problems = file.malformedRows
        var checks: [FieldCheck] = []
        checks.reserveCapacity(file.rows.count)
        var firstRowByPaymentID: [String: Int] = [:]
        for (index, row) in file.rows.enumerated() {
            let (order, rowProblems) = parse(row)
            problems += rowProblems
            let paymentID = row[.paymentID].trimmingSpaces()
            guard !paymentID.isEmpty else {
                checks.append(.invalid)
                continue
            }
            guard let firstIndex = firstRowByPaymentID[paymentID] else {
                firstRowByPaymentID[paymentID] = index
                checks.append(order.map(FieldCheck.valid) ?? .invalid)
                continue
            }
            let first = file.rows[firstIndex]
            let differing: PaymentImportFile.Column?
            if case .valid(let firstOrder) = checks[firstIndex], let order {
                differing = differingColumn(firstOrder, order)
            } else {
                differing = PaymentImportFile.Column.allCases.first { first[$0].trimmingSpaces() != row[$0].trimmingSpaces() }
            }
            guard let column = differing else {
                checks.append(.duplicate(ofLine: first.line))
                continue
            }
            // A row that is bad on its own is reported for that; the repeated id is the news only for a good one.
            if order != nil {
                problems.append(PaymentImportProblem(
                    line: row.line, column: .paymentID, code: .duplicateInFile,
                    message: "payment id \(paymentID) is also on line \(first.line) with a different \(column.rawValue) "
                        + "(\(first[column].trimmingSpaces().debugDescription) there, \(row[column].trimmingSpaces().debugDescription) here); "
                        + "a different payment needs a different payment id"
                ))
            }
            checks.append(.invalid)
        }
        problems.sort(by: inReportOrder)
        return (checks, problems)
    }

    /// The first column in which two orders with the same payment id differ, nil when they are the same payment.
    static func differingColumn(_ a: LedgerService.PaymentOrder, _ b: LedgerService.PaymentOrder) -> PaymentImportFile.Column? {
        if a.applicationID != b.applicationID { return .applicationID }
        if a.amount != b.amount { return .amountVND }
        if a.paidOn != b.paidOn { return .paidOn }
        if a.method != b.method { return .method }
        if a.voucher != b.voucher { return .voucher }
        return nil
    }

    /// Problems by line, then in the file's column order (whole-row problems first).
    static func inReportOrder(_ a: PaymentImportProblem, _ b: PaymentImportProblem) -> Bool {
        (a.line, a.column?.index ?? -1) < (b.line, b.column?.index ?? -1)
    }

    /// One row's fields as a payment order, or a problem for each bad field.
    static func parse(_ row: PaymentImportFile.Row) -> (LedgerService.PaymentOrder?, [PaymentImportProblem]) {
        var problems: [PaymentImportProblem] = []
        func field<T>(_ column: PaymentImportFile.Column, _ read: (String) throws -> T) -> T? {
            do {
                return try read(row[column].trimmingSpaces())
            } catch let error as DomainError {
                problems.append(PaymentImportProblem(line: row.line, column: column, error: error))
            } catch {
                problems.append(PaymentImportProblem(line: row.line, column: column, code: PaymentImportProblem.Code(.invalidInput), message: "\(error)"))
            }
            return nil
        }
        let paymentID = field(.paymentID) { try Identifier.validated($0, field: "payment_id") }
        let applicationID = field(.applicationID) { try Identifier.validated($0, field: "application_id") }
        let amount = field(.amountVND) { text -> VND in
            let amount = try VND(parsing: text, field: "amount_vnd")
            guard amount.isPositive else {
                throw DomainError.invalidInput(field: "amount_vnd", problem: "a payment must be a positive amount, not \(amount.formatted)")
            }
            return amount
        }
        let paidOn = field(.paidOn) { try LocalDate(parsing: $0, field: "paid_on") }
        let method = field(.method) { text -> PaymentMethod in
            guard let method = PaymentMethod(rawValue: text.lowercased()) else {
                throw DomainError.invalidInput(field: "method", problem: "\(text.debugDescription) must be bank or cash")
            }
            return method
        }
        let voucher = field(.voucher) {
            try DomainText.validated($0, field: "voucher", maximumCharacters: DomainLimits.maximumVoucherCharacters)
        }
        guard let paymentID, let applicationID, let amount, let paidOn, let method, let voucher else { return (nil, problems) }
        return (
            LedgerService.PaymentOrder(
                applicationID: applicationID, paymentID: paymentID, amount: amount, paidOn: paidOn, method: method, voucher: voucher
            ),
            problems
        )
    }

    /// What deciding one row against the ledger came to.
    public enum LedgerCheck: Sendable, Equatable {
        /// To append: the event, on `stream` at `expectedVersion` (the version before it).
        case record(PaymentRecorded, stream: String, expectedVersion: Int64)
        /// The payment id is recorded with this content already: nothing to append.
        case alreadyRecorded
        case refused(DomainError)
    }
}

/// What pass 2 reads from the ledger: the applications a file names (with their programmes and
/// beneficiaries) and where its payment ids are already recorded. Deciding a row folds its
/// payment in, so a later row on the same application sees it (and cannot overpay).
public struct PaymentImportLedgerView: Sendable {
    /// By application id; an application that was never submitted is absent or empty.
    public var applications: [String: ApplicationState]
    /// By programme code.
    public var programs: [String: ProgramState]
    /// By beneficiary id.
    public var beneficiaries: [String: BeneficiaryState]
    /// Payment id → the application stream it is recorded on.
    public var recordedPaymentStreams: [String: String]

    public init(
        applications: [String: ApplicationState], programs: [String: ProgramState],
        beneficiaries: [String: BeneficiaryState], recordedPaymentStreams: [String: String]
    ) {
        self.applications = applications
        self.programs = programs
        self.beneficiaries = beneficiaries
        self.recordedPaymentStreams = recordedPaymentStreams
    }

    /// Decides `order` with `ApplicationDecisions.recordPayment`, as `ledger payment record`
    /// would against this state, after one more check only a ledger-wide view can make: a
    /// payment id already recorded on another application.
    public mutating func decide(_ order: LedgerService.PaymentOrder) -> PaymentImportChecks.LedgerCheck {
        let outcome = decision(order)
        guard case .record(let payment, let stream, let expectedVersion) = outcome else { return outcome }
        // Folded in place: the application's state is not copied for each of its rows.
        applications[order.applicationID]!.apply(
            .paymentRecorded(payment),
            context: EventContext(position: 0, streamVersion: expectedVersion + 1, actor: "", recordedAtMicroseconds: 0)
        )
        applications[order.applicationID]!.version = expectedVersion + 1
        recordedPaymentStreams[order.paymentID] = stream
        return outcome
    }

    private func decision(_ order: LedgerService.PaymentOrder) -> PaymentImportChecks.LedgerCheck {
        let stream = Streams.application(order.applicationID)
        if let elsewhere = recordedPaymentStreams[order.paymentID], elsewhere != stream {
            return .refused(DomainError(
                .conflictingDuplicate,
                "payment id \(order.paymentID) is already recorded on application \(elsewhere.removingStreamPrefix(Streams.application(""))); "
                    + "a different payment needs a different payment id",
                field: "payment_id"
            ))
        }
        guard let application = applications[order.applicationID], let submission = application.submission else {
            return .refused(DomainError(.unknownApplication, "there is no application \(order.applicationID)", field: "application_id"))
        }
        let program = programs[submission.program] ?? ProgramState(streamID: Streams.program(submission.program))
        let beneficiary = beneficiaries[submission.beneficiaryID] ?? BeneficiaryState(streamID: Streams.beneficiary(submission.beneficiaryID))
        let decision: Decision
        do {
            decision = try ApplicationDecisions.recordPayment(
                application: application, program: program, beneficiary: beneficiary, paymentID: order.paymentID,
                amount: order.amount, paidOn: order.paidOn, method: order.method, voucher: order.voucher
            )
        } catch let error as DomainError {
            return .refused(error)
        } catch {
            return .refused(DomainError(.invalidInput, "\(error)"))
        }
        if decision.alreadyDone { return .alreadyRecorded }
        guard decision.streams.count == 1, let entry = decision.streams.first, entry.stream == stream, entry.events.count == 1,
              case .paymentRecorded(let payment) = entry.events[0]
        else {
            preconditionFailure("recordPayment appends one PaymentRecorded to the application's stream")
        }
        return .record(payment, stream: stream, expectedVersion: entry.expectedVersion)
    }
}
