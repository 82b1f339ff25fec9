import Foundation

/// CPU time spent by this process and, when the server runs on this machine, by the server
/// backends of our connections: it says whether a figure is bound by the client or the server.
struct CPUMeter: Sendable {
    /// Backend process ids to read from /proc (empty when the server is not local).
    let backends: [Int32]

    struct Sample {
        let client: Double
        let server: Double?
    }

    /// Backends are read only when the server is certainly on this machine: a unix-socket PGHOST
    /// (or the private cluster of scripts/with-postgres) and no DATABASE_URL, and /proc shows postgres.
    init(backends: [Int32], environment: [String: String] = ProcessInfo.processInfo.environment) {
        let local = (environment["DATABASE_URL"] ?? "").isEmpty
            && ((environment["PGHOST"] ?? "").hasPrefix("/") || environment["LEDGER_PRIVATE_CLUSTER"] == "1")
        self.backends = local ? backends.filter(Self.isPostgres) : []
    }

    func sample() -> Sample {
        guard !backends.isEmpty else { return Sample(client: Self.clientSeconds(), server: nil) }
        var server = 0.0
        for pid in backends {
            guard let seconds = Self.processSeconds(pid) else { return Sample(client: Self.clientSeconds(), server: nil) }
            server += seconds
        }
        return Sample(client: Self.clientSeconds(), server: server)
    }

    /// User + system CPU seconds of this process (all threads).
    static func clientSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
    }

    private static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// utime + stime of a process from /proc/PID/stat (fields 14 and 15, after the command in parentheses).
    static func processSeconds(_ pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3), so utime (field 14) is fields[11] and stime fields[12].
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / ticksPerSecond
    }

    private static func isPostgres(_ pid: Int32) -> Bool {
        guard let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) else { return false }
        return comm.trimmingCharacters(in: .whitespacesAndNewlines) == "postgres"
    }
}
