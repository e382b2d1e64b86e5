import Foundation
public import ReelPostgres

/// Leadership through a row in `reel_leaders` with an expiry.
///
/// Any number of candidates call ``tryLead()`` every round: the holder renews
/// its term; anyone else wins only once the term has expired, so a leader that
/// died is replaced within one TTL. A row, not a session advisory lock, so it
/// works through PgBouncer's transaction pooling and survives reconnects.
public struct LeaderElection: Sendable {
    public let name: String
    public let candidateID: String
    public let ttl: Double
    let pool: PostgresPool

    public init(pool: PostgresPool, name: String, candidateID: String, ttl: Double) {
        self.pool = pool
        self.name = name
        self.candidateID = candidateID
        self.ttl = ttl
    }

    /// True when this candidate leads for the next `ttl` seconds.
    public func tryLead() async throws -> Bool {
        let rows = try await pool.query(
            """
            INSERT INTO reel_leaders (name, leader_id, elected_at, expires_at)
            VALUES ($1, $2, now(), now() + $3::interval)
            ON CONFLICT (name) DO UPDATE SET
                leader_id = EXCLUDED.leader_id, expires_at = EXCLUDED.expires_at,
                elected_at = CASE WHEN reel_leaders.leader_id = EXCLUDED.leader_id
                                  THEN reel_leaders.elected_at ELSE now() END
            WHERE reel_leaders.leader_id = EXCLUDED.leader_id OR reel_leaders.expires_at < now()
            RETURNING leader_id
            """, [name, candidateID, "\(ttl) seconds"])
        return !rows.isEmpty
    }

    /// Steps down at once so another candidate takes over without waiting for the TTL.
    public func resign() async throws {
        try await pool.query("DELETE FROM reel_leaders WHERE name = $1 AND leader_id = $2", [name, candidateID])
    }

    /// The current leader, if its term has not expired.
    public func currentLeader() async throws -> String? {
        try await pool.query("SELECT leader_id FROM reel_leaders WHERE name = $1 AND expires_at > now()", [name])
            .first?.decode(String.self, 0)
    }
}
