import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger
import Postgres
import Projections

/// The approver's queue (`/queue`): the applications waiting for a decision, as
/// `GET /api/v1/applications?status=submitted` lists them (`ApplicationFind.list`, with the
/// budget still available and whether the signed-in person may decide), each programme's cap from
/// the programme catalog (`LedgerService.programs`), and forms that approve or reject through
/// `LedgerService.approveApplication` / `rejectApplication` as the signed-in person. Four eyes is
/// the library's (and the database's): the page only explains it.
extension LedgerServer {
    func addQueueRoutes(to router: Router<LedgerRequestContext>) {
        router.get("/queue") { request, context in
            try await self.page(request, context, allowedQuery: ["approved", "rejected"]) { web in
                try await self.withSession(request, context) { session in
                    try await self.queuePage(web, session, attempt: nil)
                }
            }
        }
        for decision in QueueAttempt.Decision.allCases {
            router.post("/queue/{id}/\(decision.rawValue)") { request, context in
                let id = try Self.pathID(context, "id")
                return try await self.page(request, context) { web in
                    let form = try await WebRequest.form(request, allowed: decision.fields)
                    return try await self.withSession(request, context, csrfToken: form.values["csrf_token"] ?? "") { session in
                        try await self.decide(web, session, id: id, decision: decision, form: form)
                    }
                }
            }
        }
    }

    /// A decision posted from the queue, and what went wrong with it (shown next to its field).
    struct QueueAttempt {
        enum Decision: String, CaseIterable {
            case approve, reject

            var fields: Set<String> {
                switch self {
                case .approve: ["csrf_token", "command_id", "amount", "decision", "decided_on"]
                case .reject: ["csrf_token", "command_id", "reason"]
                }
            }
        }

        let applicationID: String
        let decision: Decision
        let values: [String: String]
        var errors: [String: String] = [:]
        /// A refusal not about one field (four eyes, the budget, the application's status).
        var refusal: String?
    }

    /// An approver's page: anyone else gets the "not allowed" page (the database would refuse
    /// their decisions anyway).
    func requireApprover(_ web: WebRequest, _ session: Session) async throws {
        guard try await roles(of: session).contains("approver") else {
            throw Problem(.forbidden, code: "not_allowed", title: "Not allowed", detail: web.text(.queueNotAllowed))
        }
    }

    func decide(_ web: WebRequest, _ session: Session, id: String, decision: QueueAttempt.Decision, form: QueryParameters) async throws -> Response {
        try await requireApprover(web, session)
        var attempt = QueueAttempt(applicationID: id, decision: decision, values: form.values)
        let commandID = form.values["command_id"].flatMap { $0.isEmpty || $0.utf8.count > 200 ? nil : $0 }
        do {
            switch decision {
            case .approve:
                var amount: VND?, decidedOn: LocalDate?
                let reference = form.values["decision"]?.trimmingCharacters(in: .whitespaces) ?? ""
                do { amount = try VND(parsing: form.values["amount"] ?? "", field: "amount") } catch { attempt.errors["amount"] = web.text(.queueAmountInvalid) }
                if reference.isEmpty { attempt.errors["decision"] = web.text(.queueDecisionMissing) }
                if let text = form.values["decided_on"], !text.isEmpty {
                    do { decidedOn = try LocalDate(parsing: text, field: "decided_on") } catch { attempt.errors["decided_on"] = web.text(.queueDateInvalid) }
                } else {
                    decidedOn = LocalDate.today()
                }
                guard attempt.errors.isEmpty, let amount, let decidedOn else { break }
                _ = try await session.service.approveApplication(id: id, amount: amount, decision: reference, decidedOn: decidedOn, commandID: commandID)
                return WebResponse.redirect("/queue?approved=\(Self.queryEscaped(id))")
            case .reject:
                let reason = form.values["reason"]?.trimmingCharacters(in: .whitespaces) ?? ""
                guard !reason.isEmpty else {
                    attempt.errors["reason"] = web.text(.queueReasonMissing)
                    break
                }
                _ = try await session.service.rejectApplication(id: id, reason: reason, decidedOn: LocalDate.today(), commandID: commandID)
                return WebResponse.redirect("/queue?rejected=\(Self.queryEscaped(id))")
            }
        } catch let error as DomainError {
            // The library's own sentence, in the page's language; next to its field when it names one.
            let text = error.message(in: web.language)
            let names = ["--amount": "amount", "amount_vnd": "amount", "--decision": "decision", "--decided-on": "decided_on", "--reason": "reason"]
            if let field = error.field.map({ names[$0] ?? $0 }), decision.fields.contains(field), field != "command_id", field != "csrf_token" {
                attempt.errors[field] = text
            } else {
                attempt.refusal = text
            }
            let status = Problem.from(error).status
            return try await queuePage(web, session, attempt: attempt, status: status)
        }
        return try await queuePage(web, session, attempt: attempt, status: .badRequest)
    }

    static func queryEscaped(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }

    struct QueueView {
        let heading: String
        let intro: String
        let confirmation: String?
        let behind: String?
        let summary: String
        let hasRows: Bool
        let empty: String
        let caption: String
        let columns: [String]
        let rows: [Row]

        struct Row {
            let anchor: String
            let id: String
            let beneficiaryHref: String
            let beneficiaryID: String
            let programme: String
            let year: String
            let unit: String
            let submittedBy: String
            let submittedOn: String
            let requested: String
            let cap: String
            let available: String
            let refusal: String?
            let whyNot: String?
            let approve: ApproveForm?
            let reject: RejectForm?
        }

        struct Field {
            let id: String
            let name: String
            let label: String
            let value: String
            let error: String?
            let errorID: String
            let hint: String?
            let hintID: String
            let inputmode: String?
        }

        struct ApproveForm {
            let action: String
            let legend: String
            let csrfToken: String
            let commandID: String
            let fields: [Field]
            let submit: String
        }

        struct RejectForm {
            let action: String
            let legend: String
            let csrfToken: String
            let commandID: String
            let reason: Field
            let submit: String
        }
    }

    func queuePage(_ web: WebRequest, _ session: Session, attempt: QueueAttempt?, status: HTTPResponse.Status = .ok) async throws -> Response {
        try await requireApprover(web, session)
        let found = try await Self.readProblems {
            try await ApplicationFind.list(ApplicationFilter(status: .submitted), limit: Find.defaultLimit, session.connection)
        }
        let programs = Dictionary(try await session.service.programs().map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
        let places = try await session.service.places()
        let formatter = web.formatter
        let rows = found.rows.map { row -> QueueView.Row in
            let submittedOn = try? LocalDate(parsing: row.submittedOn, field: "submitted_on", isoOnly: true)
            let definition = submittedOn.flatMap { programs[row.program]?.definition(on: $0) } ?? programs[row.program]?.current
            let mine = attempt?.applicationID == row.applicationID ? attempt : nil
            let anchor = "application-\(row.applicationID)"
            let action = "/queue/\(Self.escaped(row.applicationID))"
            var approve: QueueView.ApproveForm?, reject: QueueView.RejectForm?
            var whyNot: String?
            if row.youMayDecide == true {
                let values = mine?.decision == .approve ? mine!.values : [:]
                let errors = mine?.decision == .approve ? mine!.errors : [:]
                func field(_ name: String, _ label: WebString, _ value: String, hint: String? = nil, inputmode: String? = nil) -> QueueView.Field {
                    let id = "\(name)-\(row.applicationID)"
                    return QueueView.Field(id: id, name: name, label: web.text(label), value: values[name] ?? value, error: errors[name],
                                           errorID: "\(id)-error", hint: hint, hintID: "\(id)-hint", inputmode: inputmode)
                }
                approve = QueueView.ApproveForm(
                    action: action + "/approve", legend: web.text(.queueApproveLegend, row.applicationID), csrfToken: session.csrfToken,
                    commandID: values["command_id"] ?? Self.newCommandID(),
                    fields: [
                        field("amount", .queueAmount, formatter.number(row.requestedVND), hint: web.text(.queueAmountHint), inputmode: "numeric"),
                        field("decision", .queueDecisionReference, ""),
                        field("decided_on", .queueDecidedOn, formatter.date(LocalDate.today()), hint: web.text(.queueDateHint)),
                    ],
                    submit: web.text(.queueApprove)
                )
                let rejectValues = mine?.decision == .reject ? mine!.values : [:]
                let id = "reason-\(row.applicationID)"
                reject = QueueView.RejectForm(
                    action: action + "/reject", legend: web.text(.queueRejectLegend, row.applicationID), csrfToken: session.csrfToken,
                    commandID: rejectValues["command_id"] ?? Self.newCommandID(),
                    reason: QueueView.Field(id: id, name: "reason", label: web.text(.queueReason), value: rejectValues["reason"] ?? "",
                                            error: mine?.decision == .reject ? mine!.errors["reason"] : nil, errorID: "\(id)-error",
                                            hint: nil, hintID: "\(id)-hint", inputmode: nil),
                    submit: web.text(.queueReject)
                )
            } else {
                whyNot = row.whyNotMessage?.rendered(web.language) ?? row.whyNot
            }
            return QueueView.Row(
                anchor: anchor, id: row.applicationID, beneficiaryHref: "/beneficiaries/\(Self.escaped(row.beneficiaryID))",
                beneficiaryID: row.beneficiaryID, programme: row.program, year: String(row.fiscalYear),
                unit: UnitCode(rawValue: row.unit).map { places.name(of: $0) } ?? row.unit,
                submittedBy: row.submittedBy, submittedOn: formatter.dateText(row.submittedOn),
                requested: formatter.amount(VND(row.requestedVND)),
                cap: definition.map { formatter.amount($0.capPerBeneficiaryVND) } ?? web.text(.none),
                available: row.budgetAvailableVND.map { formatter.amount(VND($0)) } ?? web.text(.queueNoBudget),
                refusal: mine?.refusal, whyNot: whyNot, approve: approve, reject: reject
            )
        }
        var confirmation: String?
        if let id = web.query.values["approved"] { confirmation = web.text(.queueApproved, id) }
        if let id = web.query.values["rejected"] { confirmation = web.text(.queueRejected, id) }
        let summary = found.more
            ? web.text(.resultsMore, formatter.number(found.matching), formatter.number(Int64(rows.count)))
            : web.text(.queueCount, formatter.number(Int64(rows.count)))
        let view = QueueView(
            heading: web.text(.queue), intro: web.text(.queueIntro), confirmation: confirmation,
            behind: found.behind.contains { $0.events > 0 } ? web.text(.readModelsBehind) : nil,
            summary: summary, hasRows: !rows.isEmpty, empty: web.text(.queueEmpty), caption: web.text(.queueCaption),
            columns: [web.text(.application), web.text(.beneficiaryID), web.text(.programme), web.text(.fiscalYear), web.text(.unit),
                      web.text(.queueSubmitted), web.text(.requested), web.text(.queueCap), web.text(.queueAvailable)],
            rows: rows
        )
        let layout = WebLayout(web, title: web.text(.queue), content: WebFiles.render(view, "queue"), session: await layoutSession(session))
        return WebResponse.html(status, layout.html, user: session.user)
    }

    /// A form's command id, made when the form is drawn: a retried post of the same form records nothing twice.
    static func newCommandID() -> String { "web-" + UUID().uuidString.lowercased() }
}
