import Foundation
import Synchronization

/// A one-line progress display on stderr (`verifying: 120,000 events, 310,000/s`), redrawn at most
/// ten times a second, only when stderr is a terminal, so logs and pipes stay clean.
/// `LEDGER_PROGRESS=always` draws it on any stderr (tests, `script` logs); `never` hides it.
final class ProgressLine: Sendable {
    private struct State {
        var lastDrawMicros: Int64 = 0
        var drawn = false
    }

    private let label: String
    private let startMicros: Int64
    private let enabled: Bool
    private let state = Mutex(State())

    init(_ label: String) {
        self.label = label
        startMicros = Self.nowMicros()
        enabled = Self.enabled(environment: ProcessInfo.processInfo.environment["LEDGER_PROGRESS"])
    }

    /// Whether the line is drawn: `LEDGER_PROGRESS` (`always`/`never`), else when stderr is a terminal.
    static func enabled(environment value: String?) -> Bool {
        switch value?.lowercased() {
        case "always", "1", "yes": true
        case "never", "0", "no": false
        default: isatty(STDERR_FILENO) == 1
        }
    }

    /// Reports `done` units (of `total`, when known).
    func update(_ done: Int64, of total: Int64? = nil) {
        guard enabled else { return }
        let now = Self.nowMicros()
        let shouldDraw = state.withLock { state -> Bool in
            guard now - state.lastDrawMicros >= 100_000 else { return false }
            state.lastDrawMicros = now
            state.drawn = true
            return true
        }
        guard shouldDraw else { return }
        let seconds = max(Double(now - startMicros) / 1_000_000, 0.001)
        let rate = Int64(Double(done) / seconds)
        var text = "\(label): \(Output.grouped(done))"
        if let total, total > 0 {
            text += " of \(Output.grouped(total)) (\(done * 100 / total)%)"
            if rate > 0 { text += ", about \(Int((total - done) / max(rate, 1)))s left" }
        }
        text += ", \(Output.grouped(rate))/s"
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
    }

    /// Clears the line.
    func finish() {
        guard enabled, state.withLock({ $0.drawn }) else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    private static func nowMicros() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1_000_000)
    }
}
