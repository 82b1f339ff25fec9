import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Migrations
import Postgres

/// `GET /healthz`: the process answers. `GET /readyz`: the database answers as the service's
/// role and its migrations are the ones this build carries. `GET /metrics`: Prometheus text.
extension LedgerServer {
    struct Readiness: Encodable {
        let status: String
        let database: String
        let migrationsApplied: Int?
        let migrationsCarried: Int
        let detail: String?
        /// With --follow-projections: starting, following, standby (another runner holds the
        /// leases) or failing.
        var projectionFollower: String? = nil

        enum CodingKeys: String, CodingKey {
            case status, database, migrationsApplied = "migrations_applied", migrationsCarried = "migrations_carried", detail
            case projectionFollower = "projection_follower"
        }
    }

    func addHealthRoutes(to router: Router<LedgerRequestContext>) {
        router.get("/healthz") { _, _ in
            try JSONResponse.make(.ok, ["status": "ok"])
        }
        router.get("/readyz") { _, _ in
            let carried = Self.newestMigration
            do {
                let applied = try await self.database.use { connection in
                    try await connection.queryOne("SELECT coalesce(max(version), 0)::int8 FROM ledger_meta.schema_migrations") { try $0.int64(0) }
                }
                let current = Int(applied) == carried
                var follower: String?
                var followerProblem: String?
                if self.configuration.followProjections {
                    switch self.follower.state {
                    case .starting: follower = "starting"
                    case .following: follower = "following"
                    case .standby: follower = "standby"
                    case .failing(let why):
                        follower = "failing"
                        followerProblem = "the projection follower fails: \(why)"
                    }
                }
                let ready = current && followerProblem == nil
                var readiness = Readiness(
                    status: ready ? "ready" : "not ready", database: "reachable", migrationsApplied: Int(applied), migrationsCarried: carried,
                    detail: !current
                        ? (Int(applied) < carried
                            ? "the database is at migration \(applied); this build carries \(carried): run `ledger migrate`"
                            : "the database is at migration \(applied), newer than this build's \(carried): upgrade the service")
                        : followerProblem
                )
                readiness.projectionFollower = follower
                return try JSONResponse.make(ready ? .ok : .serviceUnavailable, readiness)
            } catch {
                return try JSONResponse.make(.serviceUnavailable, Readiness(
                    status: "not ready", database: "unreachable", migrationsApplied: nil, migrationsCarried: carried,
                    detail: "the database did not answer as the service's role"
                ))
            }
        }
        router.get("/metrics") { _, _ in
            let text = await self.metrics.scrape(server: self)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: text))
            )
        }
    }
}
