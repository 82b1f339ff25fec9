import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger
import NIOCore

/// What a page request carries: the language chosen (a `?lang=` link, else the `lang` cookie,
/// else Vietnamese), its query parameters and, for a form post, the form's fields.
struct WebRequest: Sendable {
    let language: Language
    /// `Set-Cookie` for a language just chosen with `?lang=`.
    let languageCookie: String?
    let path: String
    let query: QueryParameters

    static let languageCookieName = "lang"
    /// Largest form body a page accepts (sign-in, search): far above any of them.
    static let maxFormBytes = 64 * 1024

    /// A request whose query could not be read: its page in `language`, without a query.
    init(language: Language, path: String) {
        self.language = language
        self.path = path
        query = QueryParameters(values: [:])
        languageCookie = nil
    }

    init(_ request: Request, allowedQuery: Set<String>) throws {
        path = request.uri.path
        query = try QueryParameters(request, allowed: allowedQuery.union(["lang"]))
        if let chosen = try query.choice("lang", Language.allCases.map(\.rawValue)).flatMap(Language.init(rawValue:)) {
            language = chosen
            languageCookie = "\(Self.languageCookieName)=\(chosen.rawValue); Path=/; Max-Age=31536000; SameSite=Lax"
        } else {
            language = request.cookies[Self.languageCookieName].flatMap { Language(rawValue: $0.value) } ?? .vi
            languageCookie = nil
        }
    }

    func text(_ string: WebString, _ values: String...) -> String {
        values.enumerated().reduce(WebCatalog.text(string, in: language)) { text, value in
            text.replacingOccurrences(of: "{\(value.offset)}", with: value.element)
        }
    }

    var formatter: LocaleFormatter { LocaleFormatter(language) }

    /// The fields of an `application/x-www-form-urlencoded` body (only `allowed`; an empty field
    /// counts as not given, as for query parameters).
    static func form(_ request: Request, allowed: Set<String>) async throws -> QueryParameters {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        guard type.hasPrefix("application/x-www-form-urlencoded") else {
            throw Problem(.unsupportedMediaType, code: "unsupported_media_type", title: "Unsupported content type",
                          detail: "a page's form is sent as application/x-www-form-urlencoded")
        }
        let buffer = try await request.body.collect(upTo: maxFormBytes)
        return try QueryParameters.parse(String(buffer: buffer), allowed: allowed)
    }
}

/// Answers of the pages: HTML with the headers every page carries, and redirects.
enum WebResponse {
    /// No script, no frame, no other origin: the pages need none.
    static let contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'"

    static func html(_ status: HTTPResponse.Status, _ html: String, user: String? = nil) -> Response {
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8",
            .contentSecurityPolicy: contentSecurityPolicy,
            .init("Referrer-Policy")!: "same-origin",
            .init("X-Frame-Options")!: "DENY",
        ]
        if let user { headers[SessionHeaders.user] = user }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// 303 See Other: after a form post, the browser GETs `location`.
    static func redirect(_ location: String, cookies: [String] = []) -> Response {
        var headers: HTTPFields = [.location: location]
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: .seeOther, headers: headers)
    }
}
