import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore

/// `GET /api/v1/openapi.json`: the API's OpenAPI 3.1 document, docs/api/openapi.json byte for
/// byte (embedded at build time by scripts/openapi-embed). Public: it says what the API is, not
/// what the ledger holds.
extension LedgerServer {
    func addOpenAPIRoutes(to router: Router<LedgerRequestContext>) {
        router.get("/api/v1/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json))
            )
        }
    }
}
