import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// What a request carries through the service: its id (for the log line and problem answers),
/// the client's address, and the session once the request has been authenticated.
public struct LedgerRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    public var requestID: String
    /// The user of the session, once known (for the log line), set where the session is found.
    public let identity = RequestIdentity()

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        requestID = randomToken().prefix(16).description
    }

    /// JSON bodies are read with their own limits (`JSONBody`, payment imports); this bounds the rest.
    public var maxUploadSize: Int { 64 * 1024 * 1024 }
}

/// Who a request turned out to be, shared by the request's middleware and handler.
public final class RequestIdentity: Sendable {
    private let value = Mutex<String?>(nil)
    public init() {}
    public var user: String? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
