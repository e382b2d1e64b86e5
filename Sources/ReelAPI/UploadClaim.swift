import Foundation
import HTTPTypes
import ReelCatalog
import ReelPostgres

/// The right to write one chunk of a resumable upload, held in its row.
///
/// Taking it is one conditional UPDATE: it succeeds only when the chunk
/// starts where the stored bytes end, the upload is unfinished, and no live
/// claim is held; so the offset check and the append are one step for every
/// API instance at once, without holding a database connection while the
/// body streams. The writer renews the claim as bytes arrive; the claim of an
/// instance that died lapses after ``lease`` seconds.
struct UploadClaim: Sendable {
    let upload: String
    let offset: Int64
    let token: String

    /// Seconds a claim lasts without renewal.
    static let lease = 15.0

    /// Claims `upload` for a chunk at `offset`, or throws the 409 a client
    /// acts on (with the stored offset in `Upload-Offset`).
    static func take(_ upload: String, offset: Int64, pool: PostgresPool) async throws -> UploadClaim {
        let token = UUID().uuidString
        guard let refusal = try await Uploads.claim(upload, offset: offset, token: token, lease: lease, pool: pool) else {
            return UploadClaim(upload: upload, offset: offset, token: token)
        }
        guard let refusal else { throw APIError.notFound("no resumable upload \(upload)") }
        let received = refusal.received
        if let video = refusal.video {
            throw APIError(.conflict, "complete", "upload \(upload) is complete: it is video \(video)")
        }
        if received != offset {
            throw APIError(.conflict, "offset_mismatch", "upload \(upload) has \(received) bytes stored; send the chunk from there",
                           headers: [uploadOffset: "\(received)"])
        }
        throw APIError(.conflict, "busy", "another request is writing upload \(upload); send the chunk again when it ends (HEAD tells the offset)",
                       headers: [uploadOffset: "\(received)"])
    }

    /// Runs `body` (the append) while renewing the claim every third of its lease.
    func renewing<T: Sendable>(pool: PostgresPool, _ body: () async throws -> T) async throws -> T {
        let renewal = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(Self.lease / 3))
                if Task.isCancelled { return }
                try? await Uploads.renewClaim(upload, token: token, lease: Self.lease, pool: pool)
            }
        }
        defer { renewal.cancel() }
        return try await body()
    }

    /// Records the bytes stored (and what is committed of staged ones) and lets the claim go.
    func release(received: Int64, staging: String? = nil, pool: PostgresPool) async throws {
        try await Uploads.releaseClaim(upload, token: token, received: received, staging: staging, pool: pool)
    }

    /// Names the upload's video, in the publishing transaction; fails (and so
    /// rolls the video back) if the claim lapsed and another request took it.
    func finish(video: Video, length: Int64, on conn: isolated PostgresConnection) throws {
        guard try Uploads.finishClaim(upload, token: token, length: length, video: video.id, on: conn) else {
            throw APIError(.conflict, "busy", "upload \(upload) was taken over by another request while this one published it; HEAD it to see its state")
        }
    }
}
