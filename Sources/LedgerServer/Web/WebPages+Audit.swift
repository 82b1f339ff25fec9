import EventStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger
import NIOCore
import Postgres
import Synchronization

/// The auditor's page (`/audit`): the last verify run through this service, a form to run
/// verify again (the chain, then every domain rule: `ledger audit verify`, as
/// `GET /api/v1/audit/verify`), downloads of a digest (`ledger audit digest`'s file) and an
/// export (`ledger audit export`'s JSON lines, streamed), and the history of a beneficiary or a
/// stream (`ledger audit history`). The ledger keeps no record of verify runs, so the last result
/// is kept in this process's memory (the page says so). Only auditors open these pages; the
/// database decides what they read all the same.
extension LedgerServer {
    /// The last verify run through the page, in this process.
    struct LastVerify: Sendable {
        let report: VerifyReport
        let atMicroseconds: Int64
        let user: String
        let durationMilliseconds: Int64
    }

    static let lastVerify = Mutex<LastVerify?>(nil)

    func addWebAuditRoutes(to router: Router<LedgerRequestContext>) {
        router.get("/audit") { request, context in
            try await self.page(request, context, allowedQuery: ["beneficiary", "stream", "verified"]) { web in
                try await self.withSession(request, context) { session in
                    try await self.requireAuditor(web, session)
                    return try await self.auditPage(web, session)
                }
            }
        }
        router.post("/audit/verify") { request, context in
            try await self.page(request, context) { web in
                let form = try await WebRequest.form(request, allowed: ["csrf_token", "chain_only"])
                return try await self.withSession(request, context, csrfToken: form.values["csrf_token"] ?? "") { session in
                    try await self.requireAuditor(web, session)
                    let chainOnly = try Self.flag(form.values["chain_only"], field: "chain_only") ?? false
                    let started = ContinuousClock.now
                    let verification = try await EventStore(connection: session.connection).verifyChain(digest: nil)
                    let invariants = chainOnly ? nil : try await session.service.auditInvariants()
                    let document = AuditVerifyDocument(verification, digest: nil, invariants: invariants, duration: ContinuousClock.now - started)
                    let now = Int64((Date().timeIntervalSince1970 * 1_000_000).rounded())
                    Self.lastVerify.withLock {
                        $0 = LastVerify(report: document.report, atMicroseconds: now, user: session.user, durationMilliseconds: document.durationMilliseconds)
                    }
                    var response = WebResponse.redirect("/audit?verified=1")
                    response.headers[SessionHeaders.user] = session.user
                    return response
                }
            }
        }
        // Exactly the file `ledger audit digest` writes (as GET /api/v1/audit/digest): the tree head now.
        router.get("/audit/digest") { request, context in
            try await self.page(request, context) { web in
                try await self.withSession(request, context) { session in
                    try await self.requireAuditor(web, session)
                    let file = try await self.treeHeadFileNow(session)
                    return Self.fileResponse(file.text, filename: "ledger-digest-\(file.head.treeSize).json", user: session.user)
                }
            }
        }
        // `ledger audit export`'s lines (format ledger-export-v1), written as they are read.
        router.get("/audit/export") { request, context in
            try await self.page(request, context) { web in
                let session = try await self.withSession(request, context) { session in
                    try await self.requireAuditor(web, session)
                    return session
                }
                let limit = self.configuration.maxRequestsPerSession
                var headers: HTTPFields = [.contentType: "application/x-ndjson; charset=utf-8"]
                headers[.contentDisposition] = "attachment; filename=\"ledger-export.ndjson\""
                headers[SessionHeaders.user] = session.user
                return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                    guard session.enter(limit: limit) else { throw Problem.busy("this session is busy", retryAfter: 1) }
                    defer { session.leave(now: .now) }
                    var chunk = ""
                    for try await event in EventStore(connection: session.connection).readAll(after: 0) {
                        chunk += EventExport.line(event)
                        chunk += "\n"
                        if chunk.utf8.count >= 64 * 1024 {
                            try await writer.write(ByteBuffer(string: chunk))
                            chunk = ""
                        }
                    }
                    if !chunk.isEmpty { try await writer.write(ByteBuffer(string: chunk)) }
                    try await writer.finish(nil)
                })
            }
        }
    }

    /// Auditors only: anyone else gets the page that says so (403).
    func requireAuditor(_ web: WebRequest, _ session: Session) async throws {
        guard try await roles(of: session).contains("auditor") else {
            throw Problem(.forbidden, code: "permission_denied", title: web.text(.importAuditNotAllowed), detail: web.text(.auditNotAllowed))
        }
    }

    struct AuditView {
        let heading: String
        let intro: String
        let csrfToken: String
        let lastHeading: String
        let last: Last?
        let noneYet: String
        let memoryNote: String
        let verifyHeading: String
        let chainOnlyLabel: String
        let chainOnlyHint: String
        let verifySubmit: String
        let downloadsHeading: String
        let downloads: [Download]
        let historyHeading: String
        let historyIntro: String
        let beneficiaryLabel: String
        let streamLabel: String
        let beneficiary: String
        let stream: String
        let beneficiaryError: String?
        let streamError: String?
        let historySubmit: String
        let history: History?

        struct Last {
            let confirmation: String?
            let result: String
            /// `success` or `error`.
            let resultClass: String
            let caption: String
            let facts: [Fact]
        }

        struct Fact {
            let label: String
            let value: String
        }

        struct Download {
            let href: String
            let label: String
            let description: String
        }

        struct History {
            let caption: String
            let summary: String
            let columns: [String]
            let rows: [Row]
        }

        struct Row {
            let position: String
            let recordedAt: String
            let actor: String
            let command: String
            let stream: String
            let event: String
            let businessDate: String
            let payload: String
        }
    }

    func auditPage(_ web: WebRequest, _ session: Session) async throws -> Response {
        let formatter = web.formatter
        let beneficiary = web.query.values["beneficiary"]?.trimmingCharacters(in: .whitespaces) ?? ""
        let stream = web.query.values["stream"]?.trimmingCharacters(in: .whitespaces) ?? ""
        var errors: [String: String] = [:]
        var history: AuditView.History?
        if !beneficiary.isEmpty, !stream.isEmpty {
            errors["stream"] = web.text(.auditHistoryOneOf)
        } else if !beneficiary.isEmpty || !stream.isEmpty {
            let field = beneficiary.isEmpty ? "stream" : "beneficiary"
            do {
                let entries = beneficiary.isEmpty
                    ? try await session.service.history(stream: stream)
                    : try await session.service.history(beneficiary: beneficiary)
                if entries.isEmpty {
                    errors[field] = beneficiary.isEmpty ? web.text(.auditNoStream, stream) : web.text(.auditNoBeneficiary, beneficiary)
                } else {
                    history = AuditView.History(
                        caption: web.text(.auditHistoryCaption, beneficiary.isEmpty ? stream : beneficiary),
                        summary: web.text(.auditHistoryCount, formatter.number(Int64(entries.count))),
                        columns: ["position", "recorded at", "actor", "command", "stream", "event", "business date", "payload"].map { Self.upperFirst(formatter.label($0)) },
                        rows: entries.map { entry in
                            AuditView.Row(
                                position: String(entry.position),
                                recordedAt: formatter.time(VietnamTime.display(microsecondsSinceEpoch: entry.recordedAtMicroseconds)),
                                actor: entry.actor, command: entry.command ?? entry.commandID, stream: entry.streamID, event: entry.type,
                                businessDate: entry.businessDate.map { "\(formatter.dateText($0)) (\(entry.businessDateField ?? ""))" } ?? "-",
                                payload: entry.payloadJSON.count <= 120 ? entry.payloadJSON : String(entry.payloadJSON.prefix(119)) + "…"
                            )
                        }
                    )
                }
            } catch let error as DomainError {
                errors[field] = error.template?.rendered(web.language) ?? error.message
            }
        }
        let last = Self.lastVerify.withLock { $0 }.map { last in
            Self.lastVerifyView(web, last, confirmation: web.query.values["verified"] != nil)
        }
        let view = AuditView(
            heading: web.text(.auditHeading), intro: web.text(.auditIntro), csrfToken: session.csrfToken,
            lastHeading: web.text(.auditLastHeading), last: last, noneYet: web.text(.auditNoneYet), memoryNote: web.text(.auditMemoryNote),
            verifyHeading: web.text(.auditVerifyHeading), chainOnlyLabel: web.text(.auditChainOnly), chainOnlyHint: web.text(.auditChainOnlyHint),
            verifySubmit: web.text(.auditVerifySubmit), downloadsHeading: web.text(.auditDownloadsHeading),
            downloads: [
                .init(href: "/audit/digest", label: web.text(.auditDigest), description: web.text(.auditDigestHint)),
                .init(href: "/audit/export", label: web.text(.auditExport), description: web.text(.auditExportHint)),
            ],
            historyHeading: web.text(.auditHistoryHeading), historyIntro: web.text(.auditHistoryIntro),
            beneficiaryLabel: web.text(.auditBeneficiary), streamLabel: web.text(.auditStream), beneficiary: beneficiary, stream: stream,
            beneficiaryError: errors["beneficiary"], streamError: errors["stream"], historySubmit: web.text(.auditHistorySubmit), history: history
        )
        let layout = WebLayout(web, title: web.text(.auditHeading), content: WebFiles.render(view, "audit"), session: await layoutSession(session))
        return WebResponse.html(errors.isEmpty ? .ok : .badRequest, layout.html, user: session.user)
    }

    static func lastVerifyView(_ web: WebRequest, _ last: LastVerify, confirmation: Bool) -> AuditView.Last {
        let formatter = web.formatter
        let report = last.report
        let result: String, resultClass: String
        if let problem = report.problem {
            result = web.text(.auditNotIntact, String(problem.position), problem.message)
            resultClass = "error"
        } else if (report.violationCount ?? 0) > 0 {
            result = web.text(.auditRulesBroken, formatter.number(Int64(report.violationCount ?? 0)))
            resultClass = "error"
        } else {
            result = web.text(report.rulesHold == nil ? .auditChainIntact : .auditIntact)
            resultClass = "success"
        }
        var facts: [AuditView.Fact] = [
            .init(label: web.text(.auditRanAt), value: formatter.time(VietnamTime.display(microsecondsSinceEpoch: last.atMicroseconds, fractionalSeconds: false))),
            .init(label: web.text(.auditRanBy), value: last.user),
            .init(label: upperFirst(formatter.label("events checked")), value: formatter.number(report.eventsChecked)),
            .init(label: web.text(.auditHeadPosition), value: String(report.head.position)),
            .init(label: web.text(.auditHeadHash), value: report.head.hash),
        ]
        if let replayed = report.eventsReplayed { facts.append(.init(label: web.text(.auditEventsReplayed), value: formatter.number(replayed))) }
        facts.append(.init(label: web.text(.auditProblemsFound), value: formatter.number(Int64(report.problemsFound))))
        facts.append(.init(label: web.text(.auditDuration), value: web.text(.auditMilliseconds, formatter.number(last.durationMilliseconds))))
        return AuditView.Last(
            confirmation: confirmation ? web.text(.auditVerifyDone) : nil, result: result, resultClass: resultClass,
            caption: web.text(.auditLastCaption), facts: facts
        )
    }
}
