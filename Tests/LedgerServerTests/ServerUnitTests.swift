import Foundation
@testable import LedgerServer
import Ledger
import Testing

/// The service's pure decisions, without a server.
struct SignInLimiterTests {
    let start = ContinuousClock.now

    @Test func fiveFailuresLockTheUserForAMinuteThenLonger() {
        var limiter = SignInLimiter()
        for attempt in 1...4 {
            #expect(limiter.lock(user: "hoa", address: "10.0.0.1", now: start) == nil, "attempt \(attempt)")
            _ = limiter.failed(user: "hoa", address: "10.0.0.1", now: start)
        }
        #expect(limiter.lock(user: "hoa", address: "10.0.0.1", now: start) == nil)
        _ = limiter.failed(user: "hoa", address: "10.0.0.1", now: start)
        let lock = limiter.lock(user: "hoa", address: "10.0.0.2", now: start)
        #expect(lock?.subject == .user && lock?.seconds == 60, "\(String(describing: lock))")
        #expect(limiter.lock(user: "lan", address: "10.0.0.1", now: start) == nil, "another user from the same address may try")
        #expect(limiter.lock(user: "hoa", address: "10.0.0.1", now: start + .seconds(61)) == nil, "the lock ends")
        _ = limiter.failed(user: "hoa", address: "10.0.0.1", now: start + .seconds(61))
        #expect(limiter.lock(user: "hoa", address: "10.0.0.1", now: start + .seconds(62))?.seconds == 119, "doubled: 120 s from the sixth failure")
    }

    @Test func aSuccessClearsTheUserButNotTheAddress() {
        var policy = SignInLimiter.Policy()
        policy.maxFailuresPerAddress = 6
        var limiter = SignInLimiter(policy: policy)
        for user in ["a", "b", "c", "d", "e"] { _ = limiter.failed(user: user, address: "10.0.0.9", now: start) }
        limiter.succeeded(user: "a")
        #expect(limiter.lock(user: "a", address: "10.0.0.9", now: start) == nil)
        _ = limiter.failed(user: "f", address: "10.0.0.9", now: start)
        #expect(limiter.lock(user: "g", address: "10.0.0.9", now: start)?.subject == .address, "one address guessing many users is locked")
    }

    @Test func failuresAreAnsweredLaterEachTimeAndForgottenAfterTheWindow() {
        var limiter = SignInLimiter()
        let first = limiter.failed(user: "hoa", address: "x", now: start)
        let second = limiter.failed(user: "hoa", address: "x", now: start)
        #expect(first == .milliseconds(250) && second == .milliseconds(500))
        let later = limiter.failed(user: "hoa", address: "x", now: start + .seconds(16 * 60))
        #expect(later == .milliseconds(250), "a failure after the window starts a new count")
    }
}

struct RequestBodyTests {
    func body(_ text: String) throws -> JSONBody { try JSONBody.parse(Data(text.utf8)) }

    func problem(_ body: () throws -> Any) -> Problem? {
        do {
            _ = try body()
            return nil
        } catch let problem as Problem {
            return problem
        } catch {
            return nil
        }
    }

    @Test func fieldsAreReadExactlyAndProblemsNameTheField() throws {
        let json = try body(#"{"amount_vnd": 5000000, "paid_on": "2024-03-15", "voucher": " PC-1 ", "big": 12345678901234567}"#)
        #expect(try json.amount("amount_vnd") == VND(5_000_000))
        #expect(try json.date("paid_on") == LocalDate(year: 2024, month: 3, day: 15))
        #expect(try json.string("voucher") == "PC-1")
        #expect(try json.integer("big") == 12_345_678_901_234_567, "integers stay exact")
        #expect(problem { try json.string("method") }?.field == "method")
        #expect(problem { try json.string("amount_vnd") }?.detail == "amount_vnd: must be a string, not a number")
        let bad = try body(#"{"amount_vnd": 1.5, "paid_on": "15/03/2024", "negative": -5}"#)
        #expect(problem { try bad.amount("amount_vnd") }?.detail == "amount_vnd: must be a whole number")
        #expect(problem { try bad.date("paid_on") }?.field == "paid_on")
        #expect(problem { try bad.amount("negative") }?.detail.contains("positive") == true)
    }

    @Test func onlyAnObjectIsABody() {
        #expect(problem { try body("") }?.status == .badRequest)
        #expect(problem { try body("[1]") }?.detail == "the body must be a JSON object, not an array")
        #expect(problem { try body("{") }?.detail == "the body is not valid JSON")
    }
}

struct ProblemMappingTests {
    @Test func eachRefusalHasItsStatus() {
        #expect(Problem.from(DomainError(.overBudget, "short")).status == .unprocessableContent)
        #expect(Problem.from(DomainError(.fourEyes, "you submitted it")).status == .forbidden)
        #expect(Problem.from(DomainError(.permissionDenied, "no")).status == .forbidden)
        #expect(Problem.from(DomainError(.unknownApplication, "no A-9")).status == .notFound)
        #expect(Problem.from(DomainError(.conflictingDuplicate, "used")).status == .conflict)
        #expect(Problem.from(DomainError(.contention, "busy")).retryAfter == 1)
        let input = Problem.from(DomainError.invalidInput(field: "--amount", problem: "not a number"))
        #expect(input.status == .badRequest && input.field == "amount_vnd")
        #expect(Problem.from(DomainError.invalidInput(field: "--paid-on", problem: "x")).field == "paid_on")
    }

    @Test func codesAreSnakeCaseWithAcronymsAsOneWord() {
        #expect(Problem.snake("overBudget") == "over_budget")
        #expect(Problem.snake("nationalIDKey") == "national_id_key")
        #expect(Problem.snake("duplicateNationalID") == "duplicate_national_id")
        #expect(Problem.from(DomainError(.nationalIDKey, "no key")).code == "national_id_key")
    }

    @Test func anUnexpectedErrorSaysNothingOfItsInsides() {
        struct Secret: Error {}
        let problem = Problem.from(Secret())
        #expect(problem.status == .internalServerError && !problem.detail.contains("Secret"))
    }
}

struct LogLineTests {
    @Test func logfmtQuotesWhatNeedsIt() {
        let line = LineLogHandler.line(format: .logfmt, time: Date(timeIntervalSince1970: 0), level: .info, message: "request",
                                       metadata: ["route": "/api/v1/payments", "note": "two words \"quoted\""])
        #expect(line == #"time=1970-01-01T00:00:00.000Z level=info msg=request note="two words \"quoted\"" route=/api/v1/payments"#)
    }
}
