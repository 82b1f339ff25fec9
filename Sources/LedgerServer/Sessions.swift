import Crypto
import Foundation
import Ledger
import Postgres
import Synchronization

/// One signed-in person: the PostgreSQL connection opened with their own login and password, on
/// which every request of theirs runs, so `session_user` is the person and the database's roles
/// decide what they may do.
public final class Session: Sendable {
    /// SHA-256 of the session id: the id itself is kept only by the client.
    let key: String
    public let user: String
    /// Sent back in `X-CSRF-Token` (or a form's `csrf_token`) with every unsafe request that
    /// authenticates with the cookie.
    public let csrfToken: String
    public let connection: PostgresConnection
    public let service: LedgerService
    let lastUsed: Mutex<ContinuousClock.Instant>
    let inFlight = Mutex(0)

    init(key: String, user: String, csrfToken: String, connection: PostgresConnection, now: ContinuousClock.Instant) {
        self.key = key
        self.user = user
        self.csrfToken = csrfToken
        self.connection = connection
        self.service = LedgerService(connection: connection)
        self.lastUsed = Mutex(now)
    }

    /// Counts a request in; false when the session already has `limit` requests running (the
    /// connection serves one at a time, so more would only queue).
    func enter(limit: Int) -> Bool {
        inFlight.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func leave(now: ContinuousClock.Instant) {
        inFlight.withLock { $0 -= 1 }
        lastUsed.withLock { $0 = now }
    }

    var isBusy: Bool { inFlight.withLock { $0 > 0 } }
}

/// 256 random bits as 64 hex digits, from the system's CSPRNG.
func randomToken() -> String {
    var generator = SystemRandomNumberGenerator()
    var bytes: [UInt8] = []
    for _ in 0..<4 {
        let word: UInt64 = generator.next()
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
    }
    return hex(bytes)
}

func sessionKey(_ id: String) -> String {
    hex(SHA256.hash(data: Data(id.utf8)))
}

/// Lower-case hex digits of `bytes`.
func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(64)
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: text, as: UTF8.self)
}

/// The open sessions and the connection slots they hold. A slot is taken before a sign-in opens
/// its connection and kept until sign-out or idle expiry closes it; over `maxConnections` the
/// answer is "busy" at once, never a queue.
public actor SessionStore {
    public let maxConnections: Int
    public let idleLimit: Duration
    private var sessions: [String: Session] = [:]
    private var reserved = 0
    /// Ids of sessions closed for idleness, so their next request hears why (bounded).
    private var expired: [String: ContinuousClock.Instant] = [:]

    public init(maxConnections: Int, idleLimit: Duration) {
        self.maxConnections = maxConnections
        self.idleLimit = idleLimit
    }

    public var openSessions: Int { sessions.count }
    /// Connections held: open sessions plus sign-ins in progress.
    public var connectionsInUse: Int { sessions.count + reserved }

    /// Sessions one person may hold at once, so that one login cannot take every slot.
    public static let maxSessionsPerUser = 5

    /// Takes a slot for a sign-in, or refuses: 429 when `user` already holds
    /// `maxSessionsPerUser` sessions, 503 with Retry-After when every slot is taken.
    func reserveSlot(user: String) throws {
        let held = sessions.values.filter { $0.user == user }.count
        guard held < Self.maxSessionsPerUser else {
            throw Problem(
                .tooManyRequests, code: "too_many_sessions", title: "Too many sessions",
                detail: "\(user) already has \(held) sessions open: sign out of one (DELETE /api/v1/session) or wait for one to expire",
                retryAfter: 60
            )
        }
        guard sessions.count + reserved < maxConnections else {
            throw Problem.busy(
                "all \(maxConnections) connection slots are in use (each signed-in person holds one); try again shortly",
                retryAfter: 30
            )
        }
        reserved += 1
    }

    func releaseSlot() { reserved -= 1 }

    /// Turns a reserved slot into a session; returns the id for the client.
    func open(user: String, connection: PostgresConnection) -> (id: String, session: Session) {
        reserved -= 1
        let id = randomToken()
        let session = Session(key: sessionKey(id), user: user, csrfToken: randomToken(), connection: connection, now: .now)
        sessions[session.key] = session
        return (id, session)
    }

    public enum Lookup: Sendable {
        case found(Session)
        case expired
        case unknown
    }

    /// The session with this id, if it is open and not idle too long (an idle one is closed here).
    func lookup(_ id: String) async -> Lookup {
        let key = sessionKey(id)
        guard let session = sessions[key] else { return expired[key] != nil ? .expired : .unknown }
        let idle = ContinuousClock.now - session.lastUsed.withLock { $0 }
        if idle > idleLimit, !session.isBusy {
            await close(key: key, expiredAt: .now)
            return .expired
        }
        return .found(session)
    }

    /// Signs out: closes the connection.
    func close(_ session: Session) async {
        await close(key: session.key, expiredAt: nil)
    }

    private func close(key: String, expiredAt: ContinuousClock.Instant?) async {
        guard let session = sessions.removeValue(forKey: key) else { return }
        if let expiredAt {
            if expired.count >= 10_000 { expired.removeAll() }
            expired[key] = expiredAt
        }
        await session.connection.close()
    }

    /// Closes every session idle longer than the limit; returns how many.
    @discardableResult
    public func closeIdle() async -> Int {
        let now = ContinuousClock.now
        let idle = sessions.values.filter { !$0.isBusy && now - $0.lastUsed.withLock { $0 } > idleLimit }
        for session in idle { await close(key: session.key, expiredAt: now) }
        return idle.count
    }

    /// Closes every session (shutdown).
    public func closeAll() async {
        for key in Array(sessions.keys) { await close(key: key, expiredAt: nil) }
    }
}
