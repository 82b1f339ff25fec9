import Foundation

/// Something a local PostgreSQL server could not do, with the output that says why.
public struct LocalClusterError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A private PostgreSQL server on this machine, in a folder of a `LocalCluster`: unix socket only
/// (no TCP), its own port number, run as `nobody` when the caller is root (PostgreSQL refuses root).
/// Used by the replication tests and `ledger-bench replication` to start primaries, standbys and
/// restored backups, crash them with SIGKILL and promote them, as an operator would with pg_ctl.
public final class LocalServer: Sendable {
    public let name: String
    public let dataDirectory: URL
    /// The socket folder: the `host` of a connection string.
    public let socketDirectory: URL
    public let port: Int
    let tools: ServerTools

    init(name: String, dataDirectory: URL, socketDirectory: URL, port: Int, tools: ServerTools) {
        self.name = name
        self.dataDirectory = dataDirectory
        self.socketDirectory = socketDirectory
        self.port = port
        self.tools = tools
    }

    /// The server's log file.
    public var logFile: URL { dataDirectory.deletingLastPathComponent().appendingPathComponent("\(name).log") }

    /// The last lines of the server's log (for a failing test's message).
    public func logTail(lines: Int = 40) -> String {
        let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// libpq's keywords for this server, as the superuser `postgres`.
    public func connectionString(database: String = "postgres", user: String = "postgres") -> String {
        "host=\(socketDirectory.path) port=\(port) dbname=\(database) user=\(user)"
    }

    /// PG* variables naming this server (for a child process such as `ledger`).
    public func environment(database: String = "postgres", user: String = "postgres") -> [String: String] {
        ["PGHOST": socketDirectory.path, "PGPORT": String(port), "PGUSER": user, "PGDATABASE": database]
    }

    /// Appends settings to postgresql.conf (takes effect at the next start or reload).
    public func configure(_ settings: [String: String]) throws {
        let file = dataDirectory.appendingPathComponent("postgresql.conf")
        var text = try String(contentsOf: file, encoding: .utf8)
        text += "\n# --- LocalCluster ---\n"
        for (key, value) in settings.sorted(by: { $0.key < $1.key }) { text += "\(key) = \(value)\n" }
        try tools.writeAsServer(text, to: file)
    }

    /// Puts `lines` first in pg_hba.conf (the first matching line wins) and reloads a running server,
    /// e.g. `local all officer_lan scram-sha-256` so that role must give its password. pg_hba.conf
    /// is a file, not replicated: give a standby the same lines.
    public func requireFirst(hba lines: [String]) throws {
        let file = dataDirectory.appendingPathComponent("pg_hba.conf")
        let text = try String(contentsOf: file, encoding: .utf8)
        try tools.writeAsServer(lines.joined(separator: "\n") + "\n" + text, to: file)
        if isRunning { try psql("SELECT pg_reload_conf()") }
    }

    /// Starts the server and waits until it accepts connections (a standby: until it accepts
    /// read-only connections).
    public func start() throws {
        try tools.runAsServer(tools.binary("pg_ctl"), ["-D", dataDirectory.path, "-w", "-t", "60", "-l", logFile.path, "start"],
                              what: "pg_ctl start (\(name))", log: self)
    }

    /// Stops the server: `fast` (clean) or `immediate` (no checkpoint, as after a power cut).
    public func stop(mode: String = "fast") throws {
        try tools.runAsServer(tools.binary("pg_ctl"), ["-D", dataDirectory.path, "-w", "-m", mode, "stop"],
                              what: "pg_ctl stop (\(name))", log: self)
    }

    /// Whether the postmaster is running.
    public var isRunning: Bool {
        guard let pid = postmasterPID else { return false }
        return kill(pid, 0) == 0
    }

    var postmasterPID: pid_t? {
        let pidFile = dataDirectory.appendingPathComponent("postmaster.pid")
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8),
              let first = text.split(separator: "\n").first, let pid = pid_t(first) else { return nil }
        return pid
    }

    /// Kills the postmaster and every one of its processes with SIGKILL at once, as a machine that
    /// loses power would stop: nothing is flushed, no client is told. Waits until they are gone.
    ///
    /// The postmaster is frozen first (SIGSTOP), so it cannot fork a backend between the listing
    /// and the kill; the processes are found by their working folder (every PostgreSQL process
    /// runs in its data folder), which also finds one already orphaned. A backend left alive would
    /// hold its client's connection open for ever, which no real crash does.
    public func crash() throws {
        guard let pid = postmasterPID else { throw LocalClusterError("\(name) is not running (no postmaster.pid)") }
        kill(pid, SIGSTOP)
        let folder = dataDirectory.resolvingSymlinksInPath().path
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let alive = Set(ProcessTable.children(of: pid).filter(ProcessTable.exists) + ProcessTable.working(in: folder)).union(ProcessTable.exists(pid) ? [pid] : [])
            // Done when nothing runs and the postmaster is reaped too: until then its pid still
            // answers, and a server started on the folder would take it for a live postmaster.
            if alive.isEmpty && kill(pid, 0) != 0 { return }
            for process in alive { kill(process, SIGKILL) }
            usleep(20_000)
        }
        throw LocalClusterError("\(name): processes still alive 10 s after SIGKILL")
    }

    /// Promotes a standby to primary (`pg_ctl promote`) and waits until it accepts writes.
    public func promote() throws {
        try tools.runAsServer(tools.binary("pg_ctl"), ["-D", dataDirectory.path, "-w", "-t", "60", "promote"],
                              what: "pg_ctl promote (\(name))", log: self)
    }

    /// Runs SQL with psql as the superuser (stops at the first error); returns its unaligned,
    /// tuples-only output without the final newline.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        let result = try tools.run(tools.binary("psql"), [
            "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", connectionString(database: database), "-c", sql,
        ])
        guard result.status == 0 else {
            throw LocalClusterError("psql on \(name) failed (exit \(result.status)): \(result.stderr)\nSQL: \(sql)")
        }
        var out = result.stdout
        while out.hasSuffix("\n") { out.removeLast() }
        return out
    }

    /// Waits until `sql` (one value) returns `expected`, up to `timeout` seconds.
    public func waitFor(_ sql: String, toBe expected: String, database: String = "postgres", timeout: TimeInterval = 30) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = (try? psql(sql, database: database)) ?? last
            if last == expected { return }
            usleep(50_000)
        }
        throw LocalClusterError("\(name): waited \(Int(timeout)) s for `\(sql)` to be \(expected); last value \(last)")
    }
}

/// Processes by parent, from /proc (Linux).
enum ProcessTable {
    static func exists(_ pid: pid_t) -> Bool {
        // A zombie still answers kill(pid, 0); /proc/<pid>/stat's state says Z.
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        guard let close = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.first != "Z"
    }

    /// Live processes whose working folder is `folder`.
    static func working(in folder: String) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry),
                  let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd"),
                  cwd == folder, exists(pid) else { return nil }
            return pid
        }
    }

    static func children(of parent: pid_t) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var result: [pid_t] = []
        for entry in entries {
            guard let pid = pid_t(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // After "pid (comm)": state, ppid, …
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, pid_t(fields[1]) == parent { result.append(pid) }
        }
        return result
    }
}
