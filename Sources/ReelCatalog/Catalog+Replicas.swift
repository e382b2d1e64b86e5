public import Foundation
import ReelPostgres
public import ReelStore

/// Where a copy of an object stands in one region.
public enum ReplicaState: String, Sendable, Codable {
    case pending, verified, failed
}

/// Replication progress of one video in one region (the `video_replication` view).
public struct RegionReplication: Sendable, Codable, Hashable {
    public let region: String
    public let objects: Int
    public let verified: Int
    public let failed: Int
    public let lastVerifiedAt: Date?

    enum CodingKeys: String, CodingKey {
        case region, objects, verified, failed
        case lastVerifiedAt = "last_verified_at"
    }
}

extension Catalog {
    /// Adds a pending row for every object not yet tracked in `region`; returns
    /// the objects whose copy there is not verified yet.
    public func unverified(_ digests: [ObjectDigest], in region: String) async throws -> [ObjectDigest] {
        let hex = digests.map(\.hex)
        return try await pool.withTransaction { conn in
            try conn.query(
                "INSERT INTO object_replicas (digest, region) SELECT unnest($1::text[]), $2 ON CONFLICT (digest, region) DO NOTHING",
                [hex, region])
            return try conn.query(
                "SELECT digest FROM object_replicas WHERE region = $2 AND digest = ANY($1::text[]) AND state <> 'verified' ORDER BY digest",
                [hex, region]
            ).map { try $0.decode(ObjectDigest.self, 0) }
        }
    }

    /// Records a verified copy.
    public func replicaVerified(_ digest: ObjectDigest, in region: String, bytes: Int64) async throws {
        try await pool.query(
            """
            INSERT INTO object_replicas (digest, region, state, bytes, attempts, verified_at) VALUES ($1, $2, 'verified', $3, 1, now())
            ON CONFLICT (digest, region) DO UPDATE
            SET state = 'verified', bytes = $3, attempts = object_replicas.attempts + 1, error = NULL, verified_at = now()
            """,
            [digest.hex, region, bytes])
    }

    /// Records a failed copy and why.
    public func replicaFailed(_ digest: ObjectDigest, in region: String, error: String) async throws {
        try await pool.query(
            """
            INSERT INTO object_replicas (digest, region, state, attempts, error) VALUES ($1, $2, 'failed', 1, $3)
            ON CONFLICT (digest, region) DO UPDATE SET state = 'failed', attempts = object_replicas.attempts + 1, error = $3
            """,
            [digest.hex, region, error])
    }

    /// Per region: how many of the video's objects have a verified copy there.
    public func replication(ofVideo id: String) async throws -> [RegionReplication] {
        try await pool.query(
            """
            SELECT region, objects, verified, failed, last_verified_at FROM video_replication WHERE video_id = $1 ORDER BY region
            """, [id]
        ).map { row in
            RegionReplication(region: try row.decode(String.self, "region"), objects: try row.decode(Int.self, "objects"),
                              verified: try row.decode(Int.self, "verified"), failed: try row.decode(Int.self, "failed"),
                              lastVerifiedAt: try row.decode(Date?.self, "last_verified_at"))
        }
    }
}
