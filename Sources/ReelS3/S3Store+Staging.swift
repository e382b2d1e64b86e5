public import ReelStore
import AsyncHTTPClient
public import Foundation
public import NIOCore
import NIOHTTP1

/// Unfinished uploads staged in the bucket (``UploadStaging``): an S3
/// multipart upload at `<prefix>staging/ID`, whose parts are the upload's
/// whole `partSize` pieces, and a tail object `<prefix>staging/ID.tail-N`
/// with the bytes past the last part. Any API instance reads the tail and
/// writes the next parts, so none needs a shared folder.
extension S3Store: UploadStaging {
    public var partSize: Int { configuration.partSize }

    public func begin(_ id: String) async throws(StoreError) -> StagedUpload {
        let objectKey = configuration.prefix + "staging/" + id
        let started = try await send("POST", key: objectKey, query: [("uploads", "")], headers: [("Content-Type", "application/octet-stream")])
        let body = try await collect(started, limit: 1 << 16)
        guard started.status == .ok, let uploadID = S3XML(body).fields["UploadId"] else {
            throw failure(started.status, body, doing: "start staging upload \(id)")
        }
        return StagedUpload(uploadID: uploadID, key: objectKey)
    }

    public func tail(of staged: StagedUpload) async throws(StoreError) -> ByteBuffer {
        guard let tail = staged.tail, staged.tailSize > 0 else { return ByteBuffer() }
        let response = try await send("GET", key: tail)
        guard response.status == .ok else {
            throw failure(response.status, try await collect(response, limit: 1 << 16), doing: "read the staged tail \(tail)")
        }
        let bytes = try await collectBuffer(response, limit: partSize)
        guard bytes.readableBytes == staged.tailSize else {
            throw StoreError(.unavailable, "the staged tail \(tail) holds \(bytes.readableBytes) bytes, not \(staged.tailSize)")
        }
        return bytes
    }

    public func putPart(_ staged: StagedUpload, number: Int, bytes: ByteBuffer) async throws(StoreError) -> StagedPart {
        let digest = ObjectDigest.of(Data(bytes.readableBytesView))
        let response = try await send(
            "PUT", key: staged.key, query: [("partNumber", "\(number)"), ("uploadId", staged.uploadID)],
            headers: [("x-amz-checksum-sha256", Data(digest.bytes).base64EncodedString())], body: bytes, payloadHash: digest.hex)
        let body = try await collect(response, limit: 1 << 16)
        guard response.status == .ok, let etag = response.headers.first(name: "etag") else {
            throw failure(response.status, body, doing: "stage part \(number) of \(staged.key)")
        }
        return StagedPart(number: number, etag: etag, size: Int64(bytes.readableBytes))
    }

    public func putTail(_ staged: StagedUpload, bytes: ByteBuffer) async throws(StoreError) -> String {
        let tailKey = staged.key + ".tail-" + UUID().uuidString.lowercased()
        let digest = ObjectDigest.of(Data(bytes.readableBytesView))
        let response = try await send(
            "PUT", key: tailKey, headers: [("Content-Type", "application/octet-stream"), ("x-amz-checksum-sha256", Data(digest.bytes).base64EncodedString())],
            body: bytes, payloadHash: digest.hex)
        let body = try await collect(response, limit: 1 << 16)
        guard [.ok, .created, .noContent].contains(response.status) else {
            throw failure(response.status, body, doing: "stage the tail of \(staged.key)")
        }
        return tailKey
    }

    public func removeTail(_ key: String) async {
        guard let response = try? await send("DELETE", key: key) else { return }
        _ = try? await collect(response, limit: 1 << 16)
    }

    public func finish(_ staged: StagedUpload, last: ByteBuffer, into file: URL) async throws(StoreError) {
        var parts = staged.parts
        if last.readableBytes > 0 || parts.isEmpty {
            parts.append(try await putPart(staged, number: parts.count + 1, bytes: last))
        }
        let manifest = "<CompleteMultipartUpload>"
            + parts.map { "<Part><PartNumber>\($0.number)</PartNumber><ETag>\(S3XML.escape($0.etag))</ETag></Part>" }.joined()
            + "</CompleteMultipartUpload>"
        let payload = Data(manifest.utf8)
        let completed = try await send(
            "POST", key: staged.key, query: [("uploadId", staged.uploadID)], headers: [("Content-Type", "application/xml")],
            body: ByteBuffer(bytes: payload), payloadHash: ObjectDigest.of(payload).hex)
        let reply = try await collect(completed, limit: 1 << 16)
        // S3 can answer 200 with an error document when completion fails late.
        guard completed.status == .ok, S3XML(reply).fields["Code"] == nil else {
            throw failure(completed.status == .ok ? .internalServerError : completed.status, reply, doing: "join the staged parts of \(staged.key)")
        }
        let response = try await send("GET", key: staged.key)
        guard response.status == .ok else {
            throw failure(response.status, try await collect(response, limit: 1 << 16), doing: "read back the staged upload \(staged.key)")
        }
        let sink = try await FileSink.create(file)
        do throws(StoreError) {
            try await stream(response) { (chunk) throws(StoreError) in try await sink.write(chunk) }
            try await sink.commit()
        } catch {
            await sink.discard()
            throw error
        }
    }

    public func abort(_ staged: StagedUpload) async throws(StoreError) {
        // S3 answers 204 for a removed multipart upload and 404 (NoSuchUpload) for a finished or gone one.
        try await remove(staged.key, query: [("uploadId", staged.uploadID)], doing: "abort the staged upload \(staged.key)")
        if let tail = staged.tail { try await remove(tail, doing: "remove the staged tail \(tail)") }
        try await remove(staged.key, doing: "remove the joined upload \(staged.key)")
    }

    public func isStaged(_ staged: StagedUpload) async throws(StoreError) -> Bool {
        let parts = try await send("GET", key: staged.key, query: [("uploadId", staged.uploadID)])
        let body = try await collect(parts, limit: 1 << 20)
        if parts.status == .ok { return true }
        guard parts.status == .notFound else { throw failure(parts.status, body, doing: "list the parts of \(staged.key)") }
        guard let tail = staged.tail else { return false }
        let head = try await send("HEAD", key: tail)
        _ = try await collect(head, limit: 1 << 16)
        return head.status == .ok
    }

    private func remove(_ key: String, query: [(String, String)] = [], doing what: String) async throws(StoreError) {
        let response = try await send("DELETE", key: key, query: query)
        let body = try await collect(response, limit: 1 << 16)
        guard [.noContent, .ok, .notFound].contains(response.status) else { throw failure(response.status, body, doing: what) }
    }
}
