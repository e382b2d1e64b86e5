import Foundation
import Hummingbird
import Logging
import NIOCore
import ReelCatalog
import ReelStore

/// Chunks of uploads whose bytes are staged in the home region's store
/// (``UploadStaging``): what ``ReelAPI/writing(_:claim:body:checksum:)`` does
/// with a spool file, done with whole parts and a tail object, so an upload
/// started on one API instance goes on through any other.
extension ReelAPI {
    func writingStaged(_ upload: UploadRow, _ text: String, claim: UploadClaim, body: RequestBody, checksum: TusChecksum?) async throws
        -> ChunkOutcome
    {
        guard let staging = regions.home.store.staging,
              let committed = StagedUpload(json: text), committed.size == claim.offset else {
            try await claim.release(received: claim.offset, pool: catalog.pool)
            logger.error("a staged upload's record does not match its store", metadata: ["upload": "\(upload.id)"])
            throw APIError(.gone, "bytes_missing", "the bytes stored so far of upload \(upload.id) cannot be found; start a new upload")
        }
        let hasher = checksum?.hasher()
        var buffer: ByteBuffer
        do { buffer = try await staging.tail(of: committed) } catch {
            try await claim.release(received: claim.offset, pool: catalog.pool)
            throw Self.unavailable(error, upload: upload.id)
        }
        var parts = committed.parts
        var received = claim.offset
        var failure: (any Error)?
        do {
            try await claim.renewing(pool: catalog.pool) {
                for try await chunk in body {
                    guard received + Int64(chunk.readableBytes) <= upload.length else {
                        throw APIError(.contentTooLarge, "too_large", "the chunk runs past the upload's declared length (\(upload.length) bytes)")
                    }
                    hasher?.update(chunk)
                    received += Int64(chunk.readableBytes)
                    var chunk = chunk
                    buffer.writeBuffer(&chunk)
                    while buffer.readableBytes >= staging.partSize, let whole = buffer.readSlice(length: staging.partSize) {
                        parts.append(try await staging.putPart(committed, number: parts.count + 1, bytes: whole))
                    }
                    buffer.discardReadBytes()
                }
            }
        } catch {
            failure = error
        }
        // A chunk with a checksum is kept whole and matching or not at all; nothing new is listed.
        if let checksum, failure != nil || hasher?.digest() != checksum.expected {
            try await claim.release(received: claim.offset, pool: catalog.pool)
            if let failure { throw failure }
            throw APIError(Tus.checksumMismatch, "checksum_mismatch",
                           "the chunk's \(checksum.algorithm.rawValue) does not match its Upload-Checksum; it was not kept: send it again from offset \(claim.offset)",
                           headers: [uploadOffset: "\(claim.offset)"])
        }
        var next = StagedUpload(uploadID: committed.uploadID, key: committed.key, parts: parts)
        if failure == nil, received == upload.length, !upload.lengthDeferred {
            let outcome = try await completeStaged(upload, next, last: buffer, claim: claim)
            if let old = committed.tail { await staging.removeTail(old) }
            return outcome
        }
        // What arrived is kept, as with a spool file: the bytes past the last whole part become the new tail.
        do {
            if buffer.readableBytes > 0 {
                next.tail = try await staging.putTail(committed, bytes: buffer)
                next.tailSize = Int64(buffer.readableBytes)
            }
        } catch {
            try await claim.release(received: claim.offset, pool: catalog.pool)
            throw Self.unavailable(error, upload: upload.id)
        }
        try await claim.release(received: next.size, staging: next.json, pool: catalog.pool)
        if let old = committed.tail, old != next.tail { await staging.removeTail(old) }
        if let failure { throw failure }
        return .stored(received: next.size)
    }

    /// The last byte is in: join the staged parts, copy the whole into the
    /// spool and publish it as any upload; the staged object goes once the video exists.
    func completeStaged(_ upload: UploadRow, _ staged: StagedUpload, last: ByteBuffer, claim: UploadClaim) async throws -> ChunkOutcome {
        guard let staging = regions.home.store.staging else { throw APIError(.internalServerError, "staging", "the home region cannot stage uploads") }
        let file = spoolFile(upload.id)
        do {
            try FileManager.default.createDirectory(at: configuration.spool, withIntermediateDirectories: true)
            try await staging.finish(staged, last: last, into: file)
        } catch {
            try? await claim.release(received: claim.offset, pool: catalog.pool)
            throw Self.unavailable(error, upload: upload.id)
        }
        let (video, source) = try await complete(upload, file: file, claim: claim)
        do { try await staging.abort(staged) } catch {
            logger.warning("a published upload's staged bytes were not removed", metadata: ["upload": "\(upload.id)", "error": "\(error.message)"])
        }
        return .published(video, source)
    }

    static func unavailable(_ error: any Error, upload: String) -> APIError {
        APIError(.serviceUnavailable, "unavailable", "the bytes of upload \(upload) cannot be stored right now; send the chunk again in a minute (HEAD tells the offset)",
                 headers: [.retryAfter: "30"])
    }
}
