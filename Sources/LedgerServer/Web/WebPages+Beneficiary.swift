import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger
import NIOCore
import Postgres
import Projections

/// The beneficiary's page: details, amendments, applications, the statement with running
/// balances (`BeneficiaryStatement`, as `ledger report beneficiary` and the API's statement
/// route), the forms to amend, submit an application and record a payment (the same service
/// commands as `POST /api/v1/beneficiaries/{id}/amendments`, `/applications` and `/payments`),
/// and the printable statement.
extension LedgerServer {
    func addBeneficiaryWebRoutes(to router: Router<LedgerRequestContext>) {
        router.get("/beneficiaries/{id}") { request, context in
            let id = try Self.pathID(context, "id")
            return try await self.page(request, context, allowedQuery: ["done"]) { web in
                try await self.withSession(request, context) { session in
                    try await self.beneficiaryPage(web, session, id: id)
                }
            }
        }
        router.get("/beneficiaries/{id}/statement") { request, context in
            let id = try Self.pathID(context, "id")
            return try await self.page(request, context) { web in
                try await self.withSession(request, context) { session in
                    try await self.printableStatement(web, session, id: id)
                }
            }
        }
        router.get("/register") { request, context in
            try await self.page(request, context, allowedQuery: ["done"]) { web in
                try await self.withSession(request, context) { session in
                    try await self.registerPage(web, session, posted: nil, status: .ok)
                }
            }
        }
        router.post("/register") { request, context in
            try await self.page(request, context) { web in
                let form = try await WebRequest.form(request, allowed: Set(BeneficiaryForm.Kind.register.fields + ["csrf_token", "command_id"]))
                return try await self.withSession(request, context, csrfToken: form.values["csrf_token"] ?? "") { session in
                    try await self.postBeneficiaryForm(web, session, id: nil, kind: .register, form: form)
                }
            }
        }
        for kind in BeneficiaryForm.Kind.onThePage {
            router.post("/beneficiaries/{id}/\(kind.rawValue)") { request, context in
                let id = try Self.pathID(context, "id")
                return try await self.page(request, context) { web in
                    let form = try await WebRequest.form(request, allowed: Set(kind.fields + ["csrf_token", "command_id"]))
                    return try await self.withSession(request, context, csrfToken: form.values["csrf_token"] ?? "") { session in
                        try await self.postBeneficiaryForm(web, session, id: id, kind: kind, form: form)
                    }
                }
            }
        }
    }

    // MARK: Forms

    /// A form of the beneficiary's page: what it posts and, after a refusal, what was typed and
    /// what is wrong with which field.
    struct BeneficiaryForm {
        enum Kind: String, CaseIterable {
            case amend, applications, payments, register

            static let onThePage: [Kind] = [.amend, .applications, .payments]

            /// The fields, named as the API's JSON body names them.
            var fields: [String] {
                switch self {
                case .amend: ["reason", "amended_on", "name", "bank_account", "add_category", "remove_category", "unit"]
                case .applications: ["application_id", "program", "amount_vnd", "submitted_on", "year"]
                case .payments: ["application_id", "payment_id", "amount_vnd", "paid_on", "method", "voucher"]
                case .register: ["beneficiary_id", "kind", "name", "unit", "registered_on", "category", "bank_account", "national_id"]
                }
            }
        }

        let kind: Kind
        var values: [String: String] = [:]
        var errors: [String: String] = [:]
        /// A refusal that is about no one field.
        var formError: String?
        var commandID = UUID().uuidString.lowercased()
    }

    /// A refusal of a field, in the page's language.
    struct FieldRefusal: Error {
        let field: String
        let message: String
        /// The form's command id was used for other values (sent, then changed after the back
        /// button): the form shown again gets a new one.
        var renewCommandID = false
    }

    func postBeneficiaryForm(_ web: WebRequest, _ session: Session, id pathID: String?, kind: BeneficiaryForm.Kind, form: QueryParameters) async throws -> Response {
        let id = try pathID.map { id in try QueryParameters.checked("id") { try Identifier.validated(id, field: "id") } } ?? ""
        var posted = BeneficiaryForm(kind: kind)
        for field in kind.fields { posted.values[field] = form.values[field]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "" }
        if let commandID = form.values["command_id"], Self.validCommandID(commandID) { posted.commandID = commandID }
        let value = { (name: String) in posted.values[name].flatMap { $0.isEmpty ? nil : $0 } }
        do {
            switch kind {
            case .register:
                let beneficiaryID = try Self.required(value("beneficiary_id"), "beneficiary_id", web)
                guard let kind = value("kind").flatMap(BeneficiaryKind.init(rawValue:)) else {
                    throw FieldRefusal(field: "kind", message: web.text(.beneKindRequired))
                }
                let name = try Self.required(value("name"), "name", web)
                let unit = try Self.required(value("unit"), "unit", web)
                let registeredOn = try Self.formDate(value("registered_on"), "registered_on", web) ?? LocalDate.today()
                try await Self.fieldErrors(web) {
                    let nationalID = try value("national_id").map { try NationalID(parsing: $0, field: "national_id") }
                    var command = RegisterBeneficiary(
                        id: beneficiaryID, kind: kind, name: name,
                        district: try await session.service.resolveUnit(unit, when: .on(registeredOn), field: "unit"),
                        categories: value("category").map { [$0] } ?? [], bankAccount: value("bank_account")
                    )
                    command.registeredOn = registeredOn
                    _ = try await session.service.registerBeneficiary(command, nationalID: nationalID, commandID: posted.commandID)
                }
                return WebResponse.redirect("/register?done=\(Self.escaped(beneficiaryID))#confirmation")
            case .amend:
                let reason = try Self.required(value("reason"), "reason", web)
                let amendedOn = try Self.formDate(value("amended_on"), "amended_on", web) ?? LocalDate.today()
                try await Self.fieldErrors(web) {
                    var movedTo: UnitCode?
                    if let unit = value("unit") { movedTo = try await session.service.resolveUnit(unit, when: .on(amendedOn), field: "unit") }
                    let command = AmendBeneficiary(
                        id: id, reason: reason, amendedOn: amendedOn, name: value("name"),
                        addCategories: value("add_category").map { [$0] } ?? [], removeCategories: value("remove_category").map { [$0] } ?? [],
                        bankAccount: value("bank_account"), clearBankAccount: false, unit: movedTo
                    )
                    _ = try await session.service.amendBeneficiary(command, nationalID: nil, commandID: posted.commandID)
                }
            case .applications:
                let applicationID = try Self.required(value("application_id"), "application_id", web)
                let program = try Self.required(value("program"), "program", web)
                let amount = try Self.formAmount(value("amount_vnd"), "amount_vnd", web)
                let submittedOn = try Self.formDate(value("submitted_on"), "submitted_on", web) ?? LocalDate.today()
                var year: Int?
                if let text = value("year") {
                    guard let number = Int(text), (2000...2100).contains(number) else { throw FieldRefusal(field: "year", message: web.text(.beneYearInvalid)) }
                    year = number
                }
                try await Self.fieldErrors(web) {
                    _ = try await session.service.submitApplication(
                        id: applicationID, beneficiary: id, program: program, amount: amount, submittedOn: submittedOn, year: year,
                        unit: nil, commandID: posted.commandID
                    )
                }
            case .payments:
                let applicationID = try Self.required(value("application_id"), "application_id", web)
                let paymentID = try Self.required(value("payment_id"), "payment_id", web)
                let amount = try Self.formAmount(value("amount_vnd"), "amount_vnd", web)
                let paidOn = try Self.formDate(value("paid_on"), "paid_on", web) ?? LocalDate.today()
                guard let method = value("method").flatMap(PaymentMethod.init(rawValue:)) else {
                    throw FieldRefusal(field: "method", message: web.text(.beneMethodRequired))
                }
                let voucher = try Self.required(value("voucher"), "voucher", web)
                try await Self.fieldErrors(web) {
                    let order = LedgerService.PaymentOrder(
                        applicationID: applicationID, paymentID: paymentID, amount: amount, paidOn: paidOn, method: method, voucher: voucher
                    )
                    _ = try await session.service.recordPayment(order, commandID: posted.commandID)
                }
            }
        } catch let refusal as FieldRefusal {
            if refusal.renewCommandID { posted.commandID = UUID().uuidString.lowercased() }
            if kind.fields.contains(refusal.field) {
                posted.errors[refusal.field] = refusal.message
            } else {
                posted.formError = refusal.message
            }
            if kind == .register { return try await registerPage(web, session, posted: posted, status: .unprocessableContent) }
            return try await beneficiaryPage(web, session, id: id, posted: posted, status: .unprocessableContent)
        }
        return WebResponse.redirect("/beneficiaries/\(Self.escaped(id))?done=\(kind.rawValue)#confirmation")
    }

    static func validCommandID(_ text: String) -> Bool {
        (1...200).contains(text.utf8.count) && text.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value < 0x7f }
    }

    static func required(_ value: String?, _ field: String, _ web: WebRequest) throws -> String {
        guard let value else { throw FieldRefusal(field: field, message: web.text(.beneRequired)) }
        return value
    }

    /// An amount as officers type it (`5.000.000`, `5000000`, `5.000.000 ₫`).
    static func formAmount(_ value: String?, _ field: String, _ web: WebRequest) throws -> VND {
        let text = try required(value, field, web)
        do {
            let amount = try VND(parsing: text, field: field)
            guard amount.amount > 0 else { throw FieldRefusal(field: field, message: web.text(.beneAmountPositive)) }
            return amount
        } catch let error as DomainError {
            throw FieldRefusal(field: field, message: error.message(in: web.language))
        }
    }

    /// A date as officers type it (`21/05/2024`, `2024-05-21`); nil when left empty.
    static func formDate(_ value: String?, _ field: String, _ web: WebRequest) throws -> LocalDate? {
        guard let value else { return nil }
        do {
            return try LocalDate(parsing: value, field: field)
        } catch let error as DomainError {
            throw FieldRefusal(field: field, message: error.message(in: web.language))
        }
    }

    /// Runs a service command; a rule's refusal becomes a refusal of the field it names, in the
    /// page's language. A refusal by the database's roles is a "not allowed" page.
    static func fieldErrors(_ web: WebRequest, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as DomainError {
            if error.code == .permissionDenied { throw notAllowed(web) }
            if error.code == .conflictingDuplicate, error.template?.key == "command id {0} was already used for a different command" {
                throw FieldRefusal(field: "", message: web.text(.beneFormAlreadySent), renewCommandID: true)
            }
            let field = error.field.map(Problem.jsonField).map { formFieldNames[$0] ?? $0 } ?? ""
            throw FieldRefusal(field: field, message: error.message(in: web.language))
        } catch {
            let problem = Problem.from(error)
            if problem.code == "permission_denied" { throw notAllowed(web) }
            if problem.code == "idempotency_conflict" {
                throw FieldRefusal(field: "", message: web.text(.beneFormAlreadySent), renewCommandID: true)
            }
            throw error
        }
    }

    /// The service's names for a field (the CLI's flags, through `Problem.jsonField`) that the forms call otherwise.
    static let formFieldNames = [
        "id": "application_id", "amount": "amount_vnd", "application": "application_id", "payment": "payment_id",
        "add_categories": "add_category", "remove_categories": "remove_category", "district": "unit", "programme": "program",
        "categories": "category",
    ]

    static func notAllowed(_ web: WebRequest) -> Problem {
        Problem(.forbidden, code: "permission_denied", title: web.text(.beneNotAllowedTitle), detail: web.text(.beneNotAllowed))
    }

    // MARK: The page

    struct BeneficiaryView {
        let heading: String
        let confirmation: String?
        let facts: [Fact]
        let printHref: String
        let printLabel: String
        let amendmentsHeading: String
        let amendmentsCaption: String
        let amendmentColumns: [String]
        let amendments: [Amendment]
        let hasAmendments: Bool
        let noAmendments: String
        let applicationsHeading: String
        let applicationsCaption: String
        let columns: [String]
        let applications: [Application]
        let hasApplications: Bool
        let noApplications: String
        let statement: StatementTable
        let forms: [Form]
        let hasForms: Bool
        let formsNote: String?
        let behind: String?

        struct Fact {
            let label: String
            let value: String
        }

        struct Amendment {
            let date: String
            let detail: String
        }

        struct Application {
            let id: String
            let programme: String
            let year: String
            let status: String
            let requested: String
            let approved: String
            let paid: String
        }
    }

    struct StatementTable {
        let heading: String
        let caption: String
        let columns: [String]
        let lines: [Line]
        let hasLines: Bool
        let noLines: String
        let totalsLabel: String
        let totalPayable: String
        let totalOutstanding: String
        let totals: [BeneficiaryView.Fact]

        struct Line {
            let date: String
            let event: String
            let application: String
            let programme: String
            let amount: String
            let detail: String
            let payable: String
            let outstanding: String
        }
    }

    struct Form {
        let id: String
        let heading: String
        let action: String
        let csrfToken: String
        let commandID: String
        let formError: String?
        let fields: [Field]
        let submit: String
        let unavailable: String?
        let hasFields: Bool
    }

    struct Field {
        let id: String
        let name: String
        let label: String
        let value: String
        let hint: String?
        let hintID: String
        let fieldError: String?
        let errorID: String
        let describedBy: String?
        let inputMode: String?
        let required: Bool
        let isSelect: Bool
        let options: [Option]

        struct Option {
            let value: String
            let label: String
            let selected: Bool
        }
    }

    func beneficiaryDetail(_ web: WebRequest, _ session: Session, id: String) async throws -> BeneficiaryDetail {
        _ = try QueryParameters.checked("id") { try Identifier.validated(id, field: "id") }
        let found: BeneficiaryDetail?
        do {
            found = try await Self.readProblems { try await BeneficiaryFind.show(id, session.connection) }
        } catch let problem as Problem where problem.status == .notFound {
            // Not in the read models, which may be behind the log (the detail then says so).
            let behind = problem.detail.contains("behind") ? " " + web.text(.readModelsBehind) : ""
            throw Problem.notFound(web.text(.notFound, id) + behind, field: "id")
        }
        guard let detail = found else { throw Problem.notFound(web.text(.notFound, id), field: "id") }
        return detail
    }

    func facts(_ web: WebRequest, _ row: BeneficiaryRow, places: PlaceCatalog) -> [BeneficiaryView.Fact] {
        let formatter = web.formatter
        var facts: [BeneficiaryView.Fact] = [
            .init(label: web.text(.beneficiaryID), value: row.beneficiaryID),
            .init(label: web.text(.name), value: row.name),
            .init(label: web.text(.kind), value: web.text(row.kind == "household" ? .kindHousehold : .kindPerson)),
            .init(label: web.text(.unit), value: UnitCode(rawValue: row.unit).map { places.name(of: $0) } ?? row.unit),
            .init(label: web.text(.categories), value: row.categories.isEmpty ? web.text(.none) : row.categories.map { formatter.label($0) }.joined(separator: ", ")),
            .init(label: web.text(.bankAccount), value: row.bankAccount ?? web.text(.none)),
            .init(label: web.text(.nationalIDOnRecord), value: web.text(row.hasNationalID ? .yes : .no)),
        ]
        if let registeredOn = row.registeredOn { facts.append(.init(label: web.text(.registeredOn), value: formatter.dateText(registeredOn))) }
        facts.append(.init(label: web.text(.registeredBy), value: row.registeredBy))
        facts.append(.init(label: web.text(.registeredAt), value: formatter.time(VietnamTime.display(rfc3339: row.registeredAt))))
        facts.append(.init(label: web.text(.amendments), value: formatter.number(Int64(row.amendments))))
        return facts
    }

    /// The statement from the log (as `ledger report beneficiary`), as a table for people.
    func statementTable(_ web: WebRequest, _ statement: BeneficiaryStatement, name: String) -> StatementTable {
        let formatter = web.formatter
        let lines = statement.lines.map { line in
            StatementTable.Line(
                date: line.businessDate.map { formatter.date($0) } ?? "", event: formatter.label(line.event),
                application: line.applicationID ?? line.loanID ?? "", programme: line.program ?? "",
                amount: line.amount.map { formatter.amount($0) } ?? "",
                detail: line.detailMessage?.rendered(web.language) ?? line.detail ?? "",
                payable: formatter.amount(line.payable), outstanding: formatter.amount(line.outstanding)
            )
        }
        let totals = statement.totals
        return StatementTable(
            heading: web.text(.beneStatementHeading), caption: web.text(.beneStatementCaption, name),
            columns: [web.text(.beneDate), web.text(.beneEvent), web.text(.application), web.text(.programme), web.text(.beneAmount), web.text(.beneDetail),
                      web.text(.benePayable), web.text(.beneOutstanding)],
            lines: lines, hasLines: !lines.isEmpty, noLines: web.text(.beneNoStatementLines), totalsLabel: web.text(.beneTotals),
            totalPayable: formatter.amount(totals.payable), totalOutstanding: formatter.amount(totals.outstanding),
            totals: [
                .init(label: web.text(.approved), value: formatter.amount(totals.approved)),
                .init(label: web.text(.paid), value: formatter.amount(totals.paid)),
                .init(label: web.text(.beneReversed), value: formatter.amount(totals.reversed)),
                .init(label: web.text(.beneReleased), value: formatter.amount(totals.released)),
                .init(label: web.text(.benePayable), value: formatter.amount(totals.payable)),
            ]
        )
    }

    /// Applications a payment may be recorded on, from the log: approved, not closed or
    /// withdrawn, with some of the approved amount still unpaid.
    static func payable(_ statement: BeneficiaryStatement) -> [(id: String, left: VND)] {
        var order: [String] = []
        var approved: [String: Int64] = [:], paid: [String: Int64] = [:], ended: Set<String> = []
        for line in statement.lines {
            guard let id = line.applicationID else { continue }
            if !order.contains(id) { order.append(id) }
            let amount = line.amount?.amount ?? 0
            switch line.event {
            case "approved": approved[id, default: 0] += amount
            case "payment": paid[id, default: 0] += amount
            case "payment reversed": paid[id, default: 0] -= amount
            case "closed", "withdrawn", "rejected": ended.insert(id)
            default: break
            }
        }
        return order.compactMap { id in
            let left = (approved[id] ?? 0) - (paid[id] ?? 0)
            return approved[id] != nil && !ended.contains(id) && left > 0 ? (id, VND(left)) : nil
        }
    }

    func beneficiaryPage(_ web: WebRequest, _ session: Session, id: String, posted: BeneficiaryForm? = nil,
                         status: HTTPResponse.Status = .ok) async throws -> Response {
        let detail = try await beneficiaryDetail(web, session, id: id)
        let formatter = web.formatter
        let places = try await session.service.places()
        let row = detail.beneficiary
        let statement = try await BeneficiaryStatement.load(row.beneficiaryID, session.connection, places: places)
        let applications = detail.applications.map { application in
            BeneficiaryView.Application(
                id: application.applicationID, programme: application.program, year: String(application.fiscalYear),
                status: formatter.label(application.status), requested: formatter.amount(VND(application.requestedVND)),
                approved: formatter.amount(VND(application.approvedVND)), paid: formatter.amount(VND(application.paidVND))
            )
        }
        let amendments = statement.lines.filter { $0.event == "amended" }.map { line in
            BeneficiaryView.Amendment(
                date: line.businessDate.map { formatter.date($0) } ?? "", detail: line.detailMessage?.rendered(web.language) ?? line.detail ?? ""
            )
        }
        let signedIn = await layoutSession(session)
        let mayRecord = signedIn.roles.contains("officer")
        var forms: [Form] = []
        if mayRecord {
            let programmes = ((try? await session.service.programs()) ?? []).map(\.code).sorted()
            for kind in BeneficiaryForm.Kind.onThePage {
                let form = posted?.kind == kind ? posted! : BeneficiaryForm(kind: kind)
                forms.append(self.form(web, form, id: row.beneficiaryID, csrfToken: signedIn.csrfToken, programmes: programmes,
                                       payable: Self.payable(statement)))
            }
        }
        let done: String? = switch web.query.values["done"] {
        case "amend": web.text(.beneDoneAmend)
        case "applications": web.text(.beneDoneApplication)
        case "payments": web.text(.beneDonePayment)
        default: nil
        }
        let view = BeneficiaryView(
            heading: web.text(.beneficiaryHeading, row.name), confirmation: done, facts: facts(web, row, places: places),
            printHref: "/beneficiaries/\(Self.escaped(row.beneficiaryID))/statement", printLabel: web.text(.benePrintStatement),
            amendmentsHeading: web.text(.beneAmendmentsHeading), amendmentsCaption: web.text(.beneAmendmentsCaption, row.name),
            amendmentColumns: [web.text(.beneDate), web.text(.beneDetail)], amendments: amendments, hasAmendments: !amendments.isEmpty,
            noAmendments: web.text(.beneNoAmendments),
            applicationsHeading: web.text(.applicationsHeading), applicationsCaption: web.text(.beneApplicationsCaption, row.name),
            columns: [web.text(.application), web.text(.programme), web.text(.fiscalYear), web.text(.status), web.text(.requested), web.text(.approved), web.text(.paid)],
            applications: applications, hasApplications: !applications.isEmpty, noApplications: web.text(.noApplications),
            statement: statementTable(web, statement, name: row.name),
            forms: forms, hasForms: !forms.isEmpty, formsNote: mayRecord ? nil : web.text(.beneFormsOnlyOfficers),
            behind: detail.behind.contains { $0.events > 0 } ? web.text(.readModelsBehind) : nil
        )
        let layout = WebLayout(web, title: row.name, content: WebFiles.render(view, "beneficiary"), session: signedIn)
        return WebResponse.html(status, layout.html, user: session.user)
    }

    func form(_ web: WebRequest, _ form: BeneficiaryForm, id: String, csrfToken: String, programmes: [String],
              payable: [(id: String, left: VND)]) -> Form {
        let prefix = form.kind.rawValue
        func field(_ name: String, _ label: WebString, hint: WebString? = nil, inputMode: String? = nil, required: Bool = false,
                   options: [(String, String)]? = nil) -> Field {
            let value = form.values[name] ?? ""
            let fieldID = "\(prefix)-\(name)"
            let error = form.errors[name]
            let describedBy = [error != nil ? "\(fieldID)-error" : nil, hint != nil ? "\(fieldID)-hint" : nil].compactMap { $0 }
            return Field(
                id: fieldID, name: name, label: web.text(label), value: value, hint: hint.map { web.text($0) }, hintID: "\(fieldID)-hint",
                fieldError: error, errorID: "\(fieldID)-error", describedBy: describedBy.isEmpty ? nil : describedBy.joined(separator: " "),
                inputMode: inputMode, required: required, isSelect: options != nil,
                options: (options ?? []).map { Field.Option(value: $0.0, label: $0.1, selected: $0.0 == value) }
            )
        }
        let formatter = web.formatter
        let heading: WebString, submit: WebString
        var fields: [Field]
        var unavailable: String?
        switch form.kind {
        case .amend:
            (heading, submit) = (.beneAmendHeading, .beneAmendSubmit)
            fields = [
                field("reason", .beneReasonLabel, required: true), field("amended_on", .beneAmendedOnLabel, hint: .beneDateHint, inputMode: "numeric"),
                field("name", .beneNewNameLabel), field("bank_account", .beneNewBankAccountLabel), field("add_category", .beneAddCategoryLabel),
                field("remove_category", .beneRemoveCategoryLabel), field("unit", .beneNewUnitLabel),
            ]
        case .applications:
            (heading, submit) = (.beneSubmitHeading, .beneSubmitSubmit)
            fields = [
                field("application_id", .beneApplicationIDLabel, required: true),
                field("program", .programme, required: true, options: [("", web.text(.beneChoose))] + programmes.map { ($0, $0) }),
                field("amount_vnd", .beneAmountRequestedLabel, hint: .beneAmountHint, inputMode: "numeric", required: true),
                field("submitted_on", .beneSubmittedOnLabel, hint: .beneDateHint, inputMode: "numeric"),
                field("year", .beneYearLabel, inputMode: "numeric"),
            ]
        case .payments:
            (heading, submit) = (.benePaymentHeading, .benePaymentSubmit)
            let choices = payable.map { ($0.id, web.text(.beneApplicationLeft, $0.id, formatter.amount($0.left))) }
            fields = [
                field("application_id", .benePaymentApplicationLabel, required: true, options: [("", web.text(.beneChoose))] + choices),
                field("payment_id", .benePaymentIDLabel, required: true),
                field("amount_vnd", .beneAmountPaidLabel, hint: .beneAmountHint, inputMode: "numeric", required: true),
                field("paid_on", .benePaidOnLabel, hint: .beneDateHint, inputMode: "numeric"),
                field("method", .beneMethodLabel, required: true, options: [("", web.text(.beneChoose)), ("bank", web.text(.beneMethodBank)), ("cash", web.text(.beneMethodCash))]),
                field("voucher", .beneVoucherLabel, required: true),
            ]
            if choices.isEmpty && form.values.isEmpty {
                unavailable = web.text(.beneNoApprovedApplications)
                fields = []
            }
        case .register:
            (heading, submit) = (.beneRegisterHeading, .beneRegisterSubmit)
            fields = [
                field("beneficiary_id", .beneficiaryID, required: true),
                field("kind", .kind, required: true, options: [("", web.text(.beneChoose)), ("household", web.text(.kindHousehold)), ("person", web.text(.kindPerson))]),
                field("name", .name, required: true), field("unit", .unit, hint: .beneUnitHint, required: true),
                field("registered_on", .beneRegisteredOnLabel, hint: .beneDateHint, inputMode: "numeric"),
                field("category", .beneCategoryLabel), field("bank_account", .bankAccount),
                field("national_id", .nationalID, inputMode: "numeric"),
            ]
        }
        return Form(
            id: "\(prefix)-form", heading: web.text(heading), action: form.kind == .register ? "/register" : "/beneficiaries/\(Self.escaped(id))/\(prefix)", csrfToken: csrfToken,
            commandID: form.commandID, formError: form.formError ?? (form.errors.isEmpty ? nil : web.text(.beneFormHasErrors)), fields: fields,
            submit: web.text(submit), unavailable: unavailable, hasFields: !fields.isEmpty
        )
    }

    // MARK: Registering

    struct RegisterView {
        let heading: String
        let confirmation: String?
        let openHref: String?
        let openLabel: String
        let form: Form
    }

    func registerPage(_ web: WebRequest, _ session: Session, posted: BeneficiaryForm?, status: HTTPResponse.Status) async throws -> Response {
        let signedIn = await layoutSession(session)
        let form = self.form(web, posted ?? BeneficiaryForm(kind: .register), id: "", csrfToken: signedIn.csrfToken, programmes: [], payable: [])
        var confirmation: String?, openHref: String?
        if posted == nil, let done = web.query.values["done"], (try? Identifier.validated(done, field: "done")) != nil {
            confirmation = web.text(.beneDoneRegister, done)
            openHref = "/beneficiaries/\(Self.escaped(done))"
        }
        let view = RegisterView(heading: web.text(.beneShortcutRegister), confirmation: confirmation, openHref: openHref,
                                openLabel: web.text(.beneOpenBeneficiary), form: form)
        let layout = WebLayout(web, title: view.heading, content: WebFiles.render(view, "register"), session: signedIn)
        return WebResponse.html(status, layout.html, user: session.user)
    }

    // MARK: The printable statement

    struct PrintableStatementView {
        let nation: String
        let motto: String
        let department: String
        let heading: String
        let facts: [BeneficiaryView.Fact]
        let statement: StatementTable
        let printHint: String
        let back: String
        let backHref: String
        let placeDate: String
        let signatures: [Signature]

        struct Signature {
            let role: String
            let hint: String
        }
    }

    func printableStatement(_ web: WebRequest, _ session: Session, id: String) async throws -> Response {
        let detail = try await beneficiaryDetail(web, session, id: id)
        let places = try await session.service.places()
        let row = detail.beneficiary
        let statement = try await BeneficiaryStatement.load(row.beneficiaryID, session.connection, places: places)
        let hint = web.text(.beneSignHint)
        let view = PrintableStatementView(
            nation: web.text(.beneNation), motto: web.text(.beneMotto), department: web.text(.department),
            heading: web.text(.beneStatementTitle, row.name), facts: facts(web, row, places: places).prefix(6).map { $0 },
            statement: statementTable(web, statement, name: row.name), printHint: web.text(.benePrintHint),
            back: web.text(.beneBackToBeneficiary), backHref: "/beneficiaries/\(Self.escaped(row.beneficiaryID))",
            placeDate: web.text(.benePlaceDateLine),
            signatures: [
                .init(role: web.text(.beneSignBeneficiary), hint: hint), .init(role: web.text(.beneSignFinanceOfficer), hint: hint),
                .init(role: web.text(.beneSignHead), hint: hint),
            ]
        )
        let layout = WebLayout(web, title: web.text(.beneStatementTitle, row.name), content: WebFiles.render(view, "beneficiary-statement"),
                               session: await layoutSession(session))
        return WebResponse.html(.ok, layout.html, user: session.user)
    }
}

// MARK: The officer's shortcuts on the start page

struct BeneficiaryShortcuts {
    let label: String
    let links: [Link]

    struct Link {
        let href: String
        let text: String
    }
}

extension LedgerServer {
    /// Register, submit, record a payment, import: for an officer (submitting and paying start
    /// from the beneficiary, so those two lead to the search).
    func beneficiaryShortcuts(_ web: WebRequest, _ session: Session) async -> BeneficiaryShortcuts? {
        guard await layoutSession(session).roles.contains("officer") else { return nil }
        return BeneficiaryShortcuts(label: web.text(.beneShortcuts), links: [
            .init(href: "/register", text: web.text(.beneShortcutRegister)),
            .init(href: "#name", text: web.text(.beneShortcutSubmit)),
            .init(href: "#name", text: web.text(.beneShortcutPayment)),
            .init(href: "/imports", text: web.text(.beneShortcutImport)),
        ])
    }
}
