import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger
import NIOCore

/// The payment list import page (`/imports`, officers): a CSV uploaded as `multipart/form-data`
/// goes through the same `PaymentImportFile` and `PaymentImport` as `POST /api/v1/payment-imports`
/// and `ledger payment import`, and the page shows the same report (the summary, then each bad
/// row's line, column and problem) in the page's language. Nothing is recorded while a row is
/// invalid unless the officer ticks "record the valid rows" (`--skip-invalid`); the payment id is
/// the import's idempotency key, so sending the same file again (or the form twice) records
/// nothing new. The report is the answer to the post itself: a file cannot be kept for a redirect,
/// and posting it again is harmless.
extension LedgerServer {
    func addWebImportRoutes(to router: Router<LedgerRequestContext>) {
        router.get("/imports") { request, context in
            try await self.page(request, context) { web in
                try await self.withSession(request, context) { session in
                    try await Self.requireMayImport(web, session)
                    return try await self.importPage(web, session, skipInvalid: false, fileError: nil, result: nil, status: .ok)
                }
            }
        }
        router.post("/imports") { request, context in
            try await self.page(request, context) { web in
                // No upload is read before it is known to come with a session; the CSRF token is a
                // part of the multipart form, so the session is checked once the form is read.
                guard try self.credential(request) != nil else { throw Problem.notSignedIn() }
                let upload = try await Self.webUpload(request)
                return try await self.withSession(request, context, csrfToken: upload.csrfToken) { session in
                    try await Self.requireMayImport(web, session)
                    guard let bytes = upload.file, !bytes.isEmpty else {
                        return try await self.importPage(web, session, skipInvalid: upload.skipInvalid, fileError: web.text(.importChooseFile),
                                                         result: nil, status: .badRequest)
                    }
                    let file: PaymentImportFile
                    do {
                        file = try PaymentImportFile(bytes: bytes)
                    } catch let error as PaymentImportFileError {
                        return try await self.importPage(web, session, skipInvalid: upload.skipInvalid,
                                                         fileError: web.text(.importNotAPaymentFile, error.description), result: nil,
                                                         status: error.code == .tooLarge || error.code == .tooManyRows ? .contentTooLarge : .badRequest)
                    }
                    let result = try await PaymentImport(service: session.service, skipInvalid: upload.skipInvalid).run(file)
                    let status: HTTPResponse.Status = switch result.outcome {
                    case .recorded, .recordedSkippingInvalid: .ok
                    case .refused: .unprocessableContent
                    case .stopped: .conflict
                    }
                    return try await self.importPage(web, session, skipInvalid: upload.skipInvalid, fileError: nil,
                                                     result: (result, file.ignoredColumns), status: status)
                }
            }
        }
    }

    /// Officers record payments (the library's check, as the API's import makes it); anyone else
    /// gets the page that says so. The database decides all the same.
    static func requireMayImport(_ web: WebRequest, _ session: Session) async throws {
        do {
            try await requireMayRecordPayments(session)
        } catch let error as DomainError where error.code == .permissionDenied {
            throw Problem(.forbidden, code: "permission_denied", title: web.text(.importAuditNotAllowed), detail: web.text(.importNotAllowed))
        }
    }

    /// The form's fields: the CSRF token, the "record the valid rows" box and the file (nil when
    /// none was chosen: a browser then sends an empty part).
    static func webUpload(_ request: Request) async throws -> (csrfToken: String, skipInvalid: Bool, file: [UInt8]?) {
        let contentType = request.headers[.contentType] ?? ""
        let boundary: String?
        do {
            boundary = try MultipartForm.boundary(contentType: contentType)
        } catch let failure as MultipartForm.Failure {
            throw Problem.badRequest(field: "Content-Type", "Content-Type: \(failure.message)")
        }
        guard let boundary else {
            throw Problem(.unsupportedMediaType, code: "unsupported_media_type", title: "Unsupported content type",
                          detail: "the import form is sent as multipart/form-data")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumUploadBytes)
        } catch {
            throw Problem(.contentTooLarge, code: "too_large", title: "The request is too large",
                          detail: "an upload may have at most \(maximumUploadBytes / 1024 / 1024) MiB; split the file, or use `ledger payment import`")
        }
        let form: MultipartForm
        do {
            form = try MultipartForm(bytes: Array(buffer.readableBytesView), boundary: boundary)
        } catch let failure as MultipartForm.Failure {
            throw Problem.badRequest(field: "file", "the upload is not a readable multipart/form-data body: \(failure.message)")
        }
        let known: Set<String> = ["csrf_token", "file", "skip_invalid"]
        if let unknown = form.parts.map(\.name).first(where: { !known.contains($0) }) {
            throw Problem.badRequest(field: unknown, "\(unknown): unknown form field (expected: csrf_token, file, skip_invalid)")
        }
        let skipInvalid = try flag(form.part("skip_invalid")?.text, field: "skip_invalid") ?? false
        return (form.part("csrf_token")?.text ?? "", skipInvalid, form.part("file")?.body)
    }

    struct ImportView {
        let heading: String
        let intro: String
        let csrfToken: String
        let fileLabel: String
        let fileHint: String
        let fileError: String?
        let skipLabel: String
        let skipHint: String
        let skipInvalid: Bool
        let submit: String
        let report: Report?

        struct Report {
            let heading: String
            let verdict: String
            /// `success`, `notice` or `error`: how the verdict is shown.
            let verdictClass: String
            let summaryCaption: String
            let summary: [Fact]
            let warnings: [String]
            let hasWarnings: Bool
            let problemsCaption: String
            let columns: [String]
            let problems: [Row]
            let hasProblems: Bool
        }

        struct Fact {
            let label: String
            let value: String
        }

        struct Row {
            let line: String
            let column: String
            let problem: String
        }
    }

    func importPage(
        _ web: WebRequest, _ session: Session, skipInvalid: Bool, fileError: String?,
        result: (PaymentImportResult, ignoredColumns: [String])?, status: HTTPResponse.Status
    ) async throws -> Response {
        let view = ImportView(
            heading: web.text(.importHeading), intro: web.text(.importIntro, PaymentImportFile.Column.headerLine), csrfToken: session.csrfToken,
            fileLabel: web.text(.importFile), fileHint: web.text(.importFileHint), fileError: fileError,
            skipLabel: web.text(.importSkipInvalid), skipHint: web.text(.importSkipInvalidHint), skipInvalid: skipInvalid,
            submit: web.text(.importSubmit), report: result.map { Self.importReport(web, $0.0, ignoredColumns: $0.ignoredColumns) }
        )
        let layout = WebLayout(web, title: web.text(.importHeading), content: WebFiles.render(view, "import"), session: await layoutSession(session))
        return WebResponse.html(status, layout.html, user: session.user)
    }

    /// The CLI's report (`ledger payment import`): its summary lines and its table of bad rows,
    /// in the page's language, with what happened said first.
    static func importReport(_ web: WebRequest, _ result: PaymentImportResult, ignoredColumns: [String]) -> ImportView.Report {
        let formatter = web.formatter
        func count(_ value: Int) -> String { formatter.number(Int64(value)) }
        // The CLI's lower-case labels start a row here.
        func label(_ key: String) -> String { upperFirst(formatter.label(key)) }
        var summary: [ImportView.Fact] = [
            .init(label: label("rows read"), value: count(result.rowsRead)),
            .init(label: label("recorded"), value: count(result.recorded)),
            .init(label: label("already recorded"), value: count(result.alreadyRecorded)),
            .init(label: label("duplicates in file"), value: count(result.duplicatesInFile)),
            .init(label: label("invalid"), value: count(result.invalid)),
        ]
        if result.notRecorded > 0 { summary.append(.init(label: label("not recorded"), value: count(result.notRecorded))) }
        if let first = result.firstPosition, let last = result.lastPosition {
            let appends = Message(result.appends == 1 ? "{0} append" : "{0} appends", .number(Int64(result.appends))).rendered(web.language)
            summary.append(.init(label: label("positions"), value: first == last ? "\(first)" : "\(first)–\(last) (\(appends))"))
        }
        let verdict: (String, String)
        switch result.outcome {
        case .recorded:
            verdict = result.recorded == 0
                ? (web.text(.importNothingNew, count(result.alreadyRecorded)), "notice")
                : (web.text(.importRecorded, count(result.recorded)), "success")
        case .recordedSkippingInvalid:
            verdict = (web.text(.importRecordedSkipping, count(result.recorded), count(result.invalid)), "notice")
        case .refused:
            verdict = (web.text(.importRefused, count(result.invalid), count(result.rowsRead), count(result.notRecorded)), "error")
        case .stopped:
            verdict = (web.text(.importStopped, result.stopReason ?? "-", count(result.recorded), count(result.notRecorded)), "error")
        }
        let warnings = ignoredColumns.isEmpty ? [] : [web.text(.importIgnoredColumns, ignoredColumns.joined(separator: ", "), PaymentImportFile.Column.headerLine)]
        let rows = result.problems.map { problem in
            ImportView.Row(line: String(problem.line), column: problem.column?.rawValue ?? formatter.label("(row)"), problem: problem.message(in: web.language))
        }
        return ImportView.Report(
            heading: web.text(.importReport), verdict: verdict.0, verdictClass: verdict.1,
            summaryCaption: web.text(.importSummary), summary: summary, warnings: warnings, hasWarnings: !warnings.isEmpty,
            problemsCaption: web.text(.importProblems),
            columns: ["line", "column", "problem"].map(label),
            problems: rows, hasProblems: !rows.isEmpty
        )
    }
}

extension LedgerServer {
    /// `text` with its first letter in upper case: a label of the CLI's (lower case, for its
    /// tables) heading a row or a column of a page.
    static func upperFirst(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.uppercased() + text.dropFirst()
    }
}
