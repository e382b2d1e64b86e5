import ReelStore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

extension S3Store {
    /// Uploads a large file in parts, each read, hashed and signed on its own
    /// (one part in memory at a time); aborts the upload if any part fails,
    /// so no half-written object is ever visible under the digest.
    func putMultipart(_ file: URL, digest: ObjectDigest, size: Int64) async throws(StoreError) -> PutResult {
        let objectKey = key(digest)
        let started = try await send("POST", key: objectKey, query: [("uploads", "")], headers: [("Content-Type", "application/octet-stream"), ("x-amz-checksum-algorithm", "SHA256")])
        let startBody = try await collect(started, limit: 1 << 16)
        guard started.status == .ok, let uploadID = S3XML(startBody).fields["UploadId"] else {
            throw failure(started.status, startBody, doing: "start a multipart upload of \(digest)")
        }
        do throws(StoreError) {
            var parts: [(number: Int, etag: String, checksum: String)] = []
            var offset: Int64 = 0
            while offset < size {
                let count = Int(min(Int64(configuration.partSize), size - offset))
                let data = try await S3Store.read(file, offset: offset, count: count)
                let number = parts.count + 1
                let partDigest = ObjectDigest.of(data)
                let checksum = Data(partDigest.bytes).base64EncodedString()
                let response = try await send(
                    "PUT", key: objectKey, query: [("partNumber", "\(number)"), ("uploadId", uploadID)],
                    headers: [("x-amz-checksum-sha256", checksum)], body: ByteBuffer(bytes: data), payloadHash: partDigest.hex)
                let body = try await collect(response, limit: 1 << 16)
                guard response.status == .ok, let etag = response.headers.first(name: "etag") else {
                    throw failure(response.status, body, doing: "upload part \(number) of \(digest)")
                }
                parts.append((number, etag, checksum))
                offset += Int64(count)
            }
            let manifest = "<CompleteMultipartUpload>"
                + parts.map {
                    "<Part><PartNumber>\($0.number)</PartNumber><ETag>\(S3XML.escape($0.etag))</ETag>"
                        + "<ChecksumSHA256>\($0.checksum)</ChecksumSHA256></Part>"
                }.joined()
                + "</CompleteMultipartUpload>"
            let payload = Data(manifest.utf8)
            let response = try await send(
                "POST", key: objectKey, query: [("uploadId", uploadID)], headers: [("Content-Type", "application/xml"), ("If-None-Match", "*")],
                body: ByteBuffer(bytes: payload), payloadHash: ObjectDigest.of(payload).hex)
            let body = try await collect(response, limit: 1 << 16)
            // Someone completed the same object first: the same bytes, so done.
            if response.status == .preconditionFailed {
                try? await abort(objectKey, uploadID)
                return PutResult(digest: digest, size: size, created: false)
            }
            // S3 can answer 200 with an error document when completion fails late.
            guard response.status == .ok, S3XML(body).fields["Code"] == nil else {
                throw failure(response.status == .ok ? .internalServerError : response.status, body, doing: "complete the upload of \(digest)")
            }
            return PutResult(digest: digest, size: size, created: true)
        } catch {
            try? await abort(objectKey, uploadID)
            throw error
        }
    }

    private func abort(_ objectKey: String, _ uploadID: String) async throws(StoreError) {
        let response = try await send("DELETE", key: objectKey, query: [("uploadId", uploadID)])
        _ = try await collect(response, limit: 1 << 16)
    }

    /// The SHA-256 and size of a file, read in chunks off the cooperative pool.
    static func hash(_ file: URL) async throws(StoreError) -> (ObjectDigest, Int64) {
        let info = try await ObjectDigest.ofFile(file)
        return (info.digest, info.size)
    }

    /// `count` bytes of a file from `offset`.
    static func read(_ file: URL, offset: Int64, count: Int) async throws(StoreError) -> Data {
        try await blocking { () throws(StoreError) in
            let input = try PosixFile.read(file.path)
            let bytes = try input.read(count: count, at: offset)
            guard bytes.readableBytes == count else { throw StoreError(.io, "\(file.path) is shorter than it was a moment ago") }
            return Data(bytes.readableBytesView)
        }
    }
}
