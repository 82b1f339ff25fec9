import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger
import Postgres

/// `POST /api/v1/payment-imports`: `ledger payment import` over HTTP. The file comes as the body
/// (`text/csv`) or as the part `file` of a `multipart/form-data` upload; `skip_invalid` as a query
/// parameter or a form part, `strict_columns` as a query parameter (other columns than the six
/// are otherwise ignored, named in the report's `warnings`). Every row is checked first; a file with any bad row records nothing
/// (422, the rows named by line and column) unless `skip_invalid`. The payment id is the
/// idempotency key, so sending the same file again records nothing new.
///
/// Answers: 200 with the CLI's JSON report (`ledger payment import --format json`) when every
/// row is recorded now or was before, or (skip_invalid) the valid ones are; 422 problem with the
/// report when a row is invalid and nothing was recorded; 409 problem with the report when the
/// import stopped part way (what was recorded stays; sending the file again records the rest);
/// 400 for a file that is not a payment file; 413 over `maximumUploadBytes`.
extension LedgerServer {
    /// 64 MiB: about 250,000 rows. Larger files go through `ledger payment import`.
    static let maximumUploadBytes = 64 * 1024 * 1024

    func addPaymentImportRoutes(to router: Router<LedgerRequestContext>) {
        router.post("/api/v1/payment-imports") { request, context in
            try await self.withSession(request, context) { session in
                let querySkip = try Self.flag(request.uri.queryParameters["skip_invalid"].map(String.init), field: "skip_invalid")
                let strictColumns = try Self.flag(
                    request.uri.queryParameters["strict_columns"].map(String.init), field: "strict_columns"
                ) ?? false
                // Refused by the roles before the upload is read.
                try await Self.requireMayRecordPayments(session)
                let upload = try await Self.paymentUpload(request)
                if let querySkip, let formSkip = upload.skipInvalid, querySkip != formSkip {
                    throw Problem.badRequest(field: "skip_invalid", "skip_invalid: the query says \(querySkip), the form says \(formSkip)")
                }
                let skipInvalid = querySkip ?? upload.skipInvalid ?? false
                let file: PaymentImportFile
                do {
                    file = try PaymentImportFile(bytes: upload.bytes, strictColumns: strictColumns)
                } catch let error as PaymentImportFileError {
                    throw Self.problem(error)
                }
                let result = try await PaymentImport(service: session.service, skipInvalid: skipInvalid).run(file)
                return try Self.importResponse(result, user: session.user, requestID: context.requestID)
            }
        }
    }

    /// Whether the signed-in role may append `PaymentRecorded` (the library's check, as
    /// `ledger.append` makes it): otherwise 403 before anything is read or checked.
    static func requireMayRecordPayments(_ session: Session) async throws {
        try await session.service.requireMayAppend("PaymentRecorded")
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`; an empty value is true, as a bare flag).
    static func flag(_ text: String?, field: String) throws -> Bool? {
        guard let text else { return nil }
        switch text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() {
        case "", "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw Problem.badRequest(field: field, "\(field): \(text.debugDescription) must be true or false")
        }
    }

    /// The file's bytes and the form's `skip_invalid`, from a CSV body or a multipart upload.
    static func paymentUpload(_ request: Request) async throws -> (bytes: [UInt8], skipInvalid: Bool?) {
        let contentType = request.headers[.contentType] ?? "text/csv"
        let boundary: String?
        do {
            boundary = try MultipartForm.boundary(contentType: contentType)
        } catch let failure as MultipartForm.Failure {
            throw Problem.badRequest(field: "Content-Type", "Content-Type: \(failure.message)")
        }
        if boundary == nil {
            let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            guard ["text/csv", "application/csv", "text/plain", "application/octet-stream"].contains(type) else {
                throw Problem(.unsupportedMediaType, code: "unsupported_media_type", title: "Unsupported media type",
                              detail: "send the payment file as text/csv, or as the part \"file\" of multipart/form-data (it was \(contentType))",
                              field: "Content-Type")
            }
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumUploadBytes)
        } catch {
            throw Problem(.contentTooLarge, code: "too_large", title: "The request is too large",
                          detail: "an upload may have at most \(maximumUploadBytes / 1024 / 1024) MiB; split the file, or use `ledger payment import`")
        }
        let bytes = Array(buffer.readableBytesView)
        guard let boundary else { return (bytes, nil) }
        let form: MultipartForm
        do {
            form = try MultipartForm(bytes: bytes, boundary: boundary)
        } catch let failure as MultipartForm.Failure {
            throw Problem.badRequest(field: "file", "the upload is not a readable multipart/form-data body: \(failure.message)")
        }
        let known: Set<String> = ["file", "skip_invalid"]
        if let unknown = form.parts.map(\.name).first(where: { !known.contains($0) }) {
            throw Problem.badRequest(field: unknown, "\(unknown): unknown form part (expected: file, skip_invalid)")
        }
        guard let file = form.part("file") else {
            throw Problem.badRequest(field: "file", "file: required (the payment CSV, as the form part named file)")
        }
        return (file.body, try flag(form.part("skip_invalid")?.text, field: "skip_invalid"))
    }

    /// A file that is not a payment file: 400 (413 when too large), naming the line when one is at fault.
    static func problem(_ error: PaymentImportFileError) -> Problem {
        switch error.code {
        case .tooLarge, .tooManyRows:
            return Problem(.contentTooLarge, code: "too_large", title: "The file is too large",
                           detail: "\(error.description); nothing was recorded", field: "file")
        default:
            return Problem(.badRequest, code: "invalid_file", title: "Not a payment file",
                           detail: "\(error.description); nothing was recorded", field: "file")
        }
    }

    /// The CLI's JSON report; as a problem (with `rows`) when nothing or not everything was recorded.
    static func importResponse(_ result: PaymentImportResult, user: String, requestID: String) throws -> Response {
        switch result.outcome {
        case .recorded, .recordedSkippingInvalid:
            return try JSONResponse.make(.ok, result, user: user)
        case .refused:
            let first = result.problems.first
            let at = first.map { "line \($0.line)\($0.column.map { ", \($0.rawValue)" } ?? ""): \($0.message); " } ?? ""
            return try problemResponse(
                ImportProblem(
                    status: .unprocessableContent, code: "invalid_rows", title: "Invalid rows: nothing was recorded",
                    detail: "\(at)\(result.invalid) of \(result.rowsRead) rows are invalid (listed in rows); nothing was recorded. "
                        + "Fix them and send the file again, or send it with skip_invalid=true to record the valid ones.",
                    field: first?.column?.rawValue, requestID: requestID, result: result
                ),
                user: user
            )
        case .stopped:
            return try problemResponse(
                ImportProblem(
                    status: .conflict, code: "import_stopped", title: "The import stopped part way",
                    detail: "\(result.stopReason ?? "no reason given"). Recorded: \(result.recorded) rows; not recorded: "
                        + "\(result.notRecorded). Send the same file again to record the rest (rows already recorded are skipped).",
                    field: nil, requestID: requestID, result: result
                ),
                user: user
            )
        }
    }

    static func problemResponse(_ problem: ImportProblem, user: String) throws -> Response {
        let data = try JSONResponse.encoder.encode(problem)
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        headers[SessionHeaders.user] = user
        return Response(status: problem.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// An RFC 9457 problem carrying an import's report: the problem's members, then the report's
/// (`outcome`, `rows_read`, `recorded`, …, `problems`), and `rows`: each bad row's line, column
/// (absent for the whole row), code and problem.
struct ImportProblem: Encodable {
    let status: HTTPResponse.Status
    let code: String
    let title: String
    let detail: String
    let field: String?
    let requestID: String
    let result: PaymentImportResult

    struct Row: Encodable {
        let line: Int
        let column: String?
        let code: String
        let problem: String
    }

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, code, field, requestID = "request_id", rows
    }

    func encode(to encoder: any Encoder) throws {
        try result.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("urn:ledger:problem:\(code)", forKey: .type)
        try container.encode(title, forKey: .title)
        try container.encode(status.code, forKey: .status)
        try container.encode(detail, forKey: .detail)
        try container.encode(code, forKey: .code)
        try container.encodeIfPresent(field, forKey: .field)
        try container.encode(requestID, forKey: .requestID)
        try container.encode(
            result.problems.map { Row(line: $0.line, column: $0.column?.rawValue, code: $0.code.rawValue, problem: $0.message) },
            forKey: .rows
        )
    }
}
