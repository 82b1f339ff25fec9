import Foundation
import TestSupport
import Testing

/// The web pages in a real browser: Tests/Browser/web_flows.py (Selenium driving Debian's
/// headless chromium through chromium-driver, axe for accessibility) against `ledger serve` on a
/// private database. Screenshots (1280 px and 390 px wide) go to
/// .build/test-artifacts/screenshots/. `make deps` (scripts/install-deps) installs chromium,
/// its driver and the Python packages; under CI=true a missing one fails the test, elsewhere the
/// test is skipped, saying so.
@Suite(.enabled(if: TestDatabase.enabled))
struct BrowserTests {
    @Test(.enabled(if: BrowserTools.runnable, BrowserTools.skipMessage), .timeLimit(.minutes(5)))
    func anOfficerSignsInAndFindsANameTypedWithoutDiacritics() async throws {
        let python = try BrowserTools.require()
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            let officer = try await People.add(db, role: "officer")
            try await People.ledger(db, ["projections", "run"])
            try await RunningService.with(db) { service in
                let script = OpenAPIFile.root.appendingPathComponent("Tests/Browser/web_flows.py")
                let run = try await ToolRun.run(
                    python, [script.path, service.baseURL.absoluteString, officer.user, officer.password, BrowserTools.screenshots.path],
                    timeout: .seconds(240)
                )
                #expect(run.status == 0, "Tests/Browser/web_flows.py failed:\n\(run.output)")
                #expect(run.output.contains("all browser checks passed"), "\(run.output)")
                for page in ["sign-in", "sign-in-error", "home", "search-results", "beneficiary"] {
                    for width in ["desktop", "phone"] {
                        let shot = BrowserTools.screenshots.appendingPathComponent("\(page)-\(width).png")
                        #expect(FileManager.default.fileExists(atPath: shot.path), "no screenshot \(shot.path)")
                    }
                }
            }
        }
    }
}

/// Chromium, its driver and the venv's Selenium and axe.
enum BrowserTools {
    static let chromium = "/usr/bin/chromium"
    static let chromedriver = "/usr/bin/chromedriver"
    static let screenshots = OpenAPIFile.root.appendingPathComponent(".build/test-artifacts/screenshots")

    static var python: URL { PythonTools.venv.appendingPathComponent("bin/python") }

    /// The venv's site-packages holds both Python packages.
    static var packagesInstalled: Bool {
        let lib = PythonTools.venv.appendingPathComponent("lib")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: lib.path)) ?? []
        return versions.contains { version in
            let site = lib.appendingPathComponent(version).appendingPathComponent("site-packages")
            return ["selenium", "axe_selenium_python"].allSatisfy { FileManager.default.fileExists(atPath: site.appendingPathComponent($0).path) }
        }
    }

    static var missing: [String] {
        var missing: [String] = []
        if !FileManager.default.isExecutableFile(atPath: chromium) { missing.append("\(chromium) (Debian package chromium)") }
        if !FileManager.default.isExecutableFile(atPath: chromedriver) { missing.append("\(chromedriver) (Debian package chromium-driver)") }
        if !FileManager.default.isExecutableFile(atPath: python.path) || !packagesInstalled {
            missing.append("selenium and axe-selenium-python in \(PythonTools.venv.path) (LEDGER_VENV)")
        }
        return missing
    }

    /// Always under CI (a missing tool is then a failure).
    static var runnable: Bool { PythonTools.inCI || missing.isEmpty }

    static var skipMessage: Comment {
        "the browser tests need chromium, chromium-driver, selenium and axe-selenium-python: run `make deps` (scripts/install-deps)"
    }

    static func require() throws -> URL {
        let missing = missing
        guard missing.isEmpty else {
            throw ServiceFailed(description: "missing for the browser tests: \(missing.joined(separator: "; ")): run `make deps` (scripts/install-deps), which installs them")
        }
        return python
    }
}
