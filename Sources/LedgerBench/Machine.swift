import Foundation
import Postgres

/// Where the figures came from: the client machine and the server's settings that matter.
struct MachineInfo: Encodable, Sendable {
    let processors: Int
    let cpuModel: String
    let memoryMiB: Int64
    let kernel: String
    let serverVersion: String
    let privateCluster: Bool
    /// fsync, synchronous_commit, shared_buffers, full_page_writes, wal_level, … as the server shows them.
    let settings: [String: String]

    enum CodingKeys: String, CodingKey {
        case processors, cpuModel = "cpu_model", memoryMiB = "memory_mib", kernel
        case serverVersion = "server_version", privateCluster = "private_cluster", settings
    }

    static let settingNames = [
        "fsync", "synchronous_commit", "full_page_writes", "shared_buffers", "wal_level", "wal_buffers",
        "max_wal_size", "checkpoint_timeout", "work_mem", "jit",
    ]

    static func collect(_ connection: PostgresConnection) async throws -> MachineInfo {
        let version = try await connection.queryOne("SELECT current_setting('server_version')") { try $0.string(0) }
        var settings: [String: String] = [:]
        for name in settingNames {
            settings[name] = try await connection.queryOne("SELECT current_setting($1, true)", [name]) { try $0.optionalString(0) } ?? "-"
        }
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        let memory = kibibytes("/proc/meminfo", field: "MemTotal").map { $0 / 1024 } ?? 0
        let kernel = ((try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)) ?? "unknown")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return MachineInfo(
            processors: ProcessInfo.processInfo.activeProcessorCount, cpuModel: model, memoryMiB: memory, kernel: kernel,
            serverVersion: version, privateCluster: ProcessInfo.processInfo.environment["LEDGER_PRIVATE_CLUSTER"] == "1",
            settings: settings
        )
    }

    /// Peak resident set size of this process (VmHWM), in KiB.
    static func peakRSSKiB() -> Int64 {
        kibibytes("/proc/self/status", field: "VmHWM") ?? 0
    }

    /// A `Field:   1234 kB` line of a /proc file.
    static func kibibytes(_ path: String, field: String) -> Int64? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return nil }
        return line.split(separator: " ").compactMap { Int64($0) }.first
    }
}
