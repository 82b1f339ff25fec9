import Foundation

/// Failed sign-ins, per user and per client address: each failure is answered more slowly, and
/// after `maxFailures` within `window` the user (or the address) is locked for a while that
/// doubles with each further failure, up to `maxLock`. A success clears the user's count, not
/// the address's (one address guessing many users stays limited). Pure: the clock is passed in.
public struct SignInLimiter: Sendable {
    public struct Policy: Sendable {
        public var maxFailuresPerUser = 5
        public var maxFailuresPerAddress = 20
        /// Failures older than this are forgotten.
        public var window: Duration = .seconds(15 * 60)
        public var firstLock: Duration = .seconds(60)
        public var maxLock: Duration = .seconds(15 * 60)
        /// Added to the answer of each failure, per failure so far (at most `maxDelay`).
        public var delayStep: Duration = .milliseconds(250)
        public var maxDelay: Duration = .seconds(2)
        public init() {}
    }

    /// Why a sign-in is not tried now.
    public struct Lock: Sendable, Equatable {
        public enum Subject: String, Sendable { case user, address }
        public let subject: Subject
        public let retryAfter: Duration

        /// Whole seconds, at least 1 (for `Retry-After`).
        public var seconds: Int { max(1, Int((Double(retryAfter.components.seconds) + Double(retryAfter.components.attoseconds) / 1e18).rounded(.up))) }
    }

    struct Record: Sendable {
        var failures: Int
        var last: ContinuousClock.Instant
        var lockedUntil: ContinuousClock.Instant?
    }

    public let policy: Policy
    private var users: [String: Record] = [:]
    private var addresses: [String: Record] = [:]
    /// Records kept at most; beyond it the oldest half are dropped.
    static let capacity = 100_000

    public init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// A lock that applies now, the user's first.
    public mutating func lock(user: String, address: String, now: ContinuousClock.Instant) -> Lock? {
        if let until = Self.current(&users, user, now, policy)?.lockedUntil, until > now {
            return Lock(subject: .user, retryAfter: until - now)
        }
        if let until = Self.current(&addresses, address, now, policy)?.lockedUntil, until > now {
            return Lock(subject: .address, retryAfter: until - now)
        }
        return nil
    }

    /// Counts a failure; returns how long to hold the answer back.
    public mutating func failed(user: String, address: String, now: ContinuousClock.Instant) -> Duration {
        let userFailures = Self.count(&users, user, now: now, limit: policy.maxFailuresPerUser, policy)
        let addressFailures = Self.count(&addresses, address, now: now, limit: policy.maxFailuresPerAddress, policy)
        let failures = max(userFailures, addressFailures)
        return min(policy.delayStep * failures, policy.maxDelay)
    }

    public mutating func succeeded(user: String) {
        users[user] = nil
    }

    private static func current(_ records: inout [String: Record], _ key: String, _ now: ContinuousClock.Instant, _ policy: Policy) -> Record? {
        guard let record = records[key] else { return nil }
        let lockOver = record.lockedUntil.map { $0 <= now } ?? true
        if now - record.last > policy.window, lockOver {
            records[key] = nil
            return nil
        }
        return record
    }

    private static func count(_ records: inout [String: Record], _ key: String, now: ContinuousClock.Instant, limit: Int, _ policy: Policy) -> Int {
        var record = current(&records, key, now, policy) ?? Record(failures: 0, last: now, lockedUntil: nil)
        record.failures += 1
        record.last = now
        if record.failures >= limit {
            let doublings = min(record.failures - limit, 10)
            let lock = min(policy.firstLock * (1 << doublings), policy.maxLock)
            record.lockedUntil = now + lock
        }
        if records.count >= Self.capacity { prune(&records, now: now) }
        records[key] = record
        return record.failures
    }

    private static func prune(_ records: inout [String: Record], now: ContinuousClock.Instant) {
        let oldest = records.sorted { $0.value.last < $1.value.last }.prefix(records.count / 2).map(\.key)
        for key in oldest { records[key] = nil }
    }
}
