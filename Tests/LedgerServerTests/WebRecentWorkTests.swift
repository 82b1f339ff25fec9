import Foundation
import Ledger
@testable import LedgerServer
import TestSupport
import Testing

/// The home page's "your recent work": what the signed-in officer recorded, newest first, with
/// the time in Vietnam and a link to the beneficiary; another officer's work is not listed.
@Suite(.enabled(if: TestDatabase.enabled))
struct WebRecentWorkTests {
    /// The page's recent-work section, from its heading on.
    static func section(_ page: WebPage) throws -> Substring {
        let start = try #require(page.text.range(of: #"id="recent-work-heading""#), "no recent work: \(page)")
        let rest = page.text[start.lowerBound...]
        return rest[..<(rest.range(of: "</section>")?.upperBound ?? rest.endIndex)]
    }

    /// Runs `ledger` as `person` (their own login, with their password).
    static func ledger(_ db: FreshDatabase, _ arguments: [String], as person: (user: String, password: String)) async throws {
        var environment = db.environment(user: person.user)
        environment["PGPASSWORD"] = person.password
        let run = try await LedgerBinary.run(arguments, environment: environment, standardInput: nil)
        #expect(run.status == 0, "\(run)")
    }

    @Test func anOfficerSeesWhatTheyRecordedNewestFirstAndNotAnotherOfficersWork() async throws {
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            let officer = try await People.add(db, role: "officer", label: "a")
            let other = try await People.add(db, role: "officer", label: "b")
            try await Self.ledger(db, ["beneficiary", "register", "--id", "HH-2", "--kind", "household", "--name", "Trần Thị B",
                                         "--district", "ninh kieu", "--category", "poor"], as: officer)
            try await Self.ledger(db, ["application", "submit", "--id", "A-2", "--beneficiary", "HH-2", "--program", "NQ12-HOUSING",
                                         "--amount", "5000000", "--submitted-on", "2024-03-02"], as: officer)
            try await Self.ledger(db, ["beneficiary", "register", "--id", "HH-3", "--kind", "household", "--name", "Lê Văn C",
                                         "--district", "ninh kieu", "--category", "poor"], as: other)
            try await RunningService.with(db) { service in
                let browser = try await WebBeneficiaryTests.Browser.signIn(service, officer)
                let page = try await browser.get("/")
                #expect(page.status == 200, "\(page)")
                let section = try Self.section(page)
                let submitted = try #require(section.range(of: "<td>Nộp hồ sơ</td>"), "\(section)")
                let registered = try #require(section.range(of: "<td>Đăng ký đối tượng thụ hưởng</td>"), "\(section)")
                #expect(submitted.lowerBound < registered.lowerBound, "newest first: \(section)")
                #expect(section.matches(of: #/<a href="/beneficiaries/HH-2">HH-2</a>/#).count == 2, "\(section)")
                #expect(!section.contains("HH-3"), "another officer's work: \(section)")
                #expect(!section.contains("HH-1"), "the set-up's work (another login): \(section)")
                #expect(section.contains(#/<td>\d\d/\d\d/\d{4} \d\d:\d\d</td>/#), "dd/mm/yyyy HH:MM: \(section)")
                #expect(section.contains("<caption>"), "\(section)")

                // The other officer sees only their own registration; in English when asked.
                let otherBrowser = try await WebBeneficiaryTests.Browser.signIn(service, other)
                let otherSection = try Self.section(try await otherBrowser.get("/?lang=en"))
                #expect(otherSection.contains("<td>Registered the beneficiary</td>"), "\(otherSection)")
                #expect(otherSection.contains(#"<a href="/beneficiaries/HH-3">HH-3</a>"#), "\(otherSection)")
                #expect(!otherSection.contains("HH-2"), "\(otherSection)")
            }
        }
    }
}
