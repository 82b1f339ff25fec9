import Foundation

/// A folder of private PostgreSQL servers on this machine: a primary made with initdb, standbys
/// and restored backups made from it with pg_basebackup, and a WAL archive. Everything lives under
/// one temporary folder that `remove()` stops and deletes. The server binaries are `PG_BINDIR`'s
/// (set by scripts/with-postgres), else the newest /usr/lib/postgresql/*/bin.
///
/// Replication settings every server gets: `wal_level = replica`, WAL senders, `hot_standby`;
/// fsync stays off (a SIGKILL loses no page the kernel holds, which is what the failover test
/// needs; a power cut is another matter) unless `durable` is set.
public final class LocalCluster: Sendable {
    public let folder: URL
    let tools: ServerTools
    let durable: Bool

    /// A new empty folder for servers (in /tmp, short enough for socket paths).
    public init(label: String = "replication", durable: Bool = false) throws {
        tools = try ServerTools()
        self.durable = durable
        let base = URL(fileURLWithPath: "/tmp")
        let folder = base.appendingPathComponent("ledger-\(label)-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try tools.giveToServerUser(folder)
        self.folder = folder
    }

    /// The WAL archive folder (`archive_command` copies into it; `restore_command` reads it).
    public var archive: URL { folder.appendingPathComponent("archive") }

    /// A new primary (initdb as superuser `postgres`, trust on its socket, replication allowed),
    /// not yet started. `settings` are appended to its postgresql.conf.
    public func makePrimary(name: String = "primary", archiving: Bool = false, settings: [String: String] = [:]) throws -> LocalServer {
        let server = try newServer(name: name)
        try tools.runAsServer(tools.binary("initdb"), ["-D", server.dataDirectory.path, "-U", "postgres", "-E", "UTF8", "--locale=C", "-A", "trust"],
                              what: "initdb (\(name))", log: nil)
        var all = baseSettings(server)
        if archiving {
            try FileManager.default.createDirectory(at: archive, withIntermediateDirectories: true)
            try tools.giveToServerUser(archive)
            all["archive_mode"] = "on"
            all["archive_command"] = "'test ! -f \(archive.path)/%f && cp %p \(archive.path)/%f'"
            all["archive_timeout"] = "0"
        }
        for (key, value) in settings { all[key] = value }
        try server.configure(all)
        return server
    }

    /// A streaming standby of `primary` (which must be running): pg_basebackup, `standby.signal`,
    /// `primary_conninfo` with `application_name = name` (what `synchronous_standby_names` names).
    /// Not yet started.
    public func makeStandby(of primary: LocalServer, name: String = "standby", settings: [String: String] = [:]) throws -> LocalServer {
        let server = try baseBackup(of: primary, name: name)
        var all = baseSettings(server)
        all["primary_conninfo"] = "'host=\(primary.socketDirectory.path) port=\(primary.port) user=postgres application_name=\(name)'"
        for (key, value) in settings { all[key] = value }
        try server.configure(all)
        try tools.writeAsServer("", to: server.dataDirectory.appendingPathComponent("standby.signal"))
        return server
    }

    /// A base backup of `primary` (running) taken now, as a server folder that is not started:
    /// `recover(_:to:)` turns it into a point-in-time recovery from the archive.
    public func makeBaseBackup(of primary: LocalServer, name: String) throws -> LocalServer {
        try baseBackup(of: primary, name: name)
    }

    /// Sets a restored backup to recover from the archive to `targetTime`, then promote.
    public func recover(_ server: LocalServer, to targetTime: String) throws {
        var all = baseSettings(server)
        all["restore_command"] = "'cp \(archive.path)/%f %p'"
        all["recovery_target_time"] = "'\(targetTime)'"
        all["recovery_target_action"] = "'promote'"
        all["archive_mode"] = "off"
        try server.configure(all)
        try tools.writeAsServer("", to: server.dataDirectory.appendingPathComponent("recovery.signal"))
    }

    /// Stops every server of the folder (immediate) and deletes the folder.
    public func remove() {
        if let entries = try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil) {
            for entry in entries where FileManager.default.fileExists(atPath: entry.appendingPathComponent("postmaster.pid").path) {
                let pidText = (try? String(contentsOf: entry.appendingPathComponent("postmaster.pid"), encoding: .utf8)) ?? ""
                if let first = pidText.split(separator: "\n").first, let pid = pid_t(first) {
                    for child in ProcessTable.children(of: pid) { kill(child, SIGKILL) }
                    kill(pid, SIGKILL)
                }
            }
        }
        usleep(100_000)
        try? FileManager.default.removeItem(at: folder)
    }

    /// Where PostgreSQL's own tools live (for a test that runs one itself).
    public func binary(_ name: String) -> String { tools.binary(name) }

    // MARK: -

    private func newServer(name: String) throws -> LocalServer {
        let socket = folder.appendingPathComponent("\(name)-sock")
        try FileManager.default.createDirectory(at: socket, withIntermediateDirectories: true)
        try tools.giveToServerUser(socket)
        return LocalServer(name: name, dataDirectory: folder.appendingPathComponent(name), socketDirectory: socket,
                           port: try freePort(), tools: tools)
    }

    private func baseBackup(of primary: LocalServer, name: String) throws -> LocalServer {
        let server = try newServer(name: name)
        try tools.runAsServer(tools.binary("pg_basebackup"), [
            "-d", primary.connectionString(), "-D", server.dataDirectory.path, "-X", "stream", "-c", "fast",
        ], what: "pg_basebackup (\(name) from \(primary.name))", log: nil)
        return server
    }

    private func baseSettings(_ server: LocalServer) -> [String: String] {
        var settings = [
            "listen_addresses": "''",
            "unix_socket_directories": "'\(server.socketDirectory.path)'",
            "port": String(server.port),
            "wal_level": "replica",
            "max_wal_senders": "10",
            "hot_standby": "on",
            "max_connections": "200",
            "shared_buffers": "128MB",
            "wal_receiver_status_interval": "1s",
            "hot_standby_feedback": "on",
        ]
        if !durable {
            settings["fsync"] = "off"
            settings["full_page_writes"] = "off"
        }
        return settings
    }

    private func freePort() throws -> Int {
        for _ in 0..<100 {
            let port = Int.random(in: 20_000..<60_000)
            let socketTaken = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.contains { entry in
                FileManager.default.fileExists(atPath: folder.appendingPathComponent(entry).appendingPathComponent(".s.PGSQL.\(port)").path)
            } ?? false
            if !socketTaken && !ServerTools.tcpPortInUse(port) { return port }
        }
        throw LocalClusterError("no free port found")
    }
}

/// PostgreSQL's binaries, and running them as the server's user.
struct ServerTools: Sendable {
    let bindir: String
    /// Prefix that runs a command as `nobody` when we are root; empty otherwise.
    let runAs: [String]
    let serverUser: (uid: uid_t, gid: gid_t)?

    init() throws {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["PG_BINDIR"], !explicit.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: explicit + "/initdb") else {
                throw LocalClusterError("PG_BINDIR=\(explicit) has no initdb")
            }
            bindir = explicit
        } else {
            let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
                .compactMap { Int($0) }.sorted()
            guard let newest = versions.last(where: { FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\($0)/bin/initdb") }) else {
                throw LocalClusterError("no PostgreSQL server binaries (initdb) found; install postgresql or set PG_BINDIR")
            }
            bindir = "/usr/lib/postgresql/\(newest)/bin"
        }
        if getuid() == 0 {
            guard let entry = getpwnam("nobody") else { throw LocalClusterError("running as root, but there is no user 'nobody' to run the server") }
            serverUser = (entry.pointee.pw_uid, entry.pointee.pw_gid)
            runAs = ["/usr/sbin/runuser", "-u", "nobody", "--"]
        } else {
            serverUser = nil
            runAs = []
        }
    }

    func binary(_ name: String) -> String { bindir + "/" + name }

    func giveToServerUser(_ url: URL) throws {
        guard let serverUser else { return }
        guard chown(url.path, serverUser.uid, serverUser.gid) == 0 else {
            throw LocalClusterError("could not chown \(url.path) to nobody")
        }
        chmod(url.path, 0o700)
    }

    /// Writes a file the server user owns.
    func writeAsServer(_ text: String, to url: URL) throws {
        try Data(text.utf8).write(to: url)
        if let serverUser { chown(url.path, serverUser.uid, serverUser.gid) }
        chmod(url.path, 0o600)
    }

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    func runAsServer(_ executable: String, _ arguments: [String], what: String, log server: LocalServer?) throws {
        let command = runAs.isEmpty ? (executable, arguments) : (runAs[0], Array(runAs.dropFirst()) + [executable] + arguments)
        let result = try run(command.0, command.1)
        guard result.status == 0 else {
            var message = "\(what) failed (exit \(result.status)): \(result.stdout)\(result.stderr)"
            if let server { message += "\nend of \(server.name)'s log:\n\(server.logTail())" }
            throw LocalClusterError(message)
        }
    }

    /// Runs a program to its end; output through files (no pipe can fill and block it).
    /// posix_spawn and waitpid, not Foundation's Process: on Linux, Process notices the end of its
    /// child through a socket the child inherits, and `pg_ctl start` leaves the postmaster holding
    /// it, so Process would wait for the server to stop.
    func run(_ executable: String, _ arguments: [String]) throws -> Result {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("localcluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outPath = scratch.appendingPathComponent("out").path, errPath = scratch.appendingPathComponent("err").path

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        // The server's own settings only: none of the caller's PG* variables leak in.
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") && $0.key != "DATABASE_URL" }
        environment["LC_ALL"] = "C"
        // From /tmp: the server user may not be allowed into the caller's working folder.
        let argv = (["/bin/sh", "-c", "cd /tmp && exec \"$0\" \"$@\"", executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, argv, envp)
        guard spawned == 0 else { throw LocalClusterError("could not run \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw LocalClusterError("waitpid for \(executable) failed: \(String(cString: strerror(errno)))") }
        }
        // WIFEXITED / WEXITSTATUS, spelled out (the C macros are not imported).
        let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: exitStatus,
                      stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    static func tcpPortInUse(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result == 0
    }
}
