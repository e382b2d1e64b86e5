public import ReelStore
public import Foundation
public import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// Objects in an S3-compatible bucket, one key per digest
/// (`<prefix>ab/cd/abcd…`). Every request is signed (SigV4) with the SHA-256
/// of its payload, and every upload carries `x-amz-checksum-sha256` (the
/// header SeaweedFS and AWS check the body against; SeaweedFS does not check
/// the signed hash), so the server rejects bytes damaged on the way; puts are
/// conditional (`If-None-Match: *`), so an object is written once; sources
/// above the multipart threshold go up in parts, one part in memory at a time.
public struct S3Store: ObjectStore {
    public let configuration: S3Configuration
    let signer: S3Signer
    let client: HTTPClient

    public var name: String { "S3 store \(configuration.bucket)/\(configuration.prefix) at \(configuration.endpoint.absoluteString)" }

    public init(_ configuration: S3Configuration, client: HTTPClient = .shared) {
        self.configuration = configuration
        self.signer = S3Signer(accessKey: configuration.accessKey, secretKey: configuration.secretKey, region: configuration.region)
        self.client = client
    }

    func key(_ digest: ObjectDigest) -> String { configuration.prefix + digest.shardedPath }

    /// Creates the bucket if it does not exist yet (for the embedded set-up and tests).
    public func createBucket() async throws(StoreError) {
        let response = try await send("PUT", key: nil)
        let body = try await collect(response, limit: 1 << 16)
        if response.status == .ok { return }
        let xml = S3XML(body)
        if ["BucketAlreadyOwnedByYou", "BucketAlreadyExists"].contains(xml.fields["Code"] ?? "") { return }
        throw failure(response.status, body, doing: "create bucket \(configuration.bucket)")
    }

    public func put(_ data: Data) async throws(StoreError) -> PutResult {
        let digest = ObjectDigest.of(data)
        return try await StoreSpan.traced("s3.put", store: configuration.bucket, digest: digest) { () async throws(StoreError) in
            try await putSingle(ByteBuffer(bytes: data), digest: digest)
        }
    }

    func putSingle(_ body: ByteBuffer, digest: ObjectDigest) async throws(StoreError) -> PutResult {
        let size = Int64(body.readableBytes)
        let response = try await send(
            "PUT", key: key(digest),
            headers: [("If-None-Match", "*"), ("Content-Type", "application/octet-stream"),
                      ("x-amz-checksum-sha256", Data(digest.bytes).base64EncodedString())],
            body: body, payloadHash: digest.hex)
        let reply = try await collect(response, limit: 1 << 16)
        switch response.status {
        case .ok, .created, .noContent: return PutResult(digest: digest, size: size, created: true)
        // Already there (412), or another writer's conditional put is in flight (409): the same bytes either way.
        case .preconditionFailed, .conflict: return PutResult(digest: digest, size: size, created: false)
        default: throw failure(response.status, reply, doing: "put object \(digest)")
        }
    }

    public func put(contentsOf file: URL, digest expected: ObjectDigest?) async throws(StoreError) -> PutResult {
        try await StoreSpan.traced("s3.put", store: configuration.bucket, digest: expected) { () async throws(StoreError) in
            try await putFile(file, digest: expected)
        }
    }

    private func putFile(_ file: URL, digest expected: ObjectDigest?) async throws(StoreError) -> PutResult {
        let (digest, size) = try await S3Store.hash(file)
        if let expected, expected != digest {
            throw StoreError(.digestMismatch, "\(file.path) hashes to \(digest), not to the expected \(expected); nothing was stored")
        }
        if try await head(digest) != nil { return PutResult(digest: digest, size: size, created: false) }
        if size <= Int64(configuration.multipartThreshold) {
            let data = try await S3Store.read(file, offset: 0, count: Int(size))
            guard ObjectDigest.of(data) == digest else {
                throw StoreError(.digestMismatch, "\(file.path) changed while it was being stored; nothing was stored")
            }
            return try await putSingle(ByteBuffer(bytes: data), digest: digest)
        }
        return try await putMultipart(file, digest: digest, size: size)
    }

    public func get(_ digest: ObjectDigest, range: ClosedRange<Int64>?) async throws(StoreError) -> ObjectBytes {
        var headers: [(String, String)] = []
        if let range { headers.append(("Range", "bytes=\(max(0, range.lowerBound))-\(range.upperBound)")) }
        let response = try await send("GET", key: key(digest), headers: headers)
        let body = try await collectBuffer(response, limit: Int.max)
        switch response.status {
        case .ok:
            return ObjectBytes(bytes: body, range: nil, totalSize: Int64(body.readableBytes))
        case .partialContent:
            // Content-Range: bytes FIRST-LAST/TOTAL
            let text = response.headers.first(name: "content-range") ?? ""
            let numbers = text.split(whereSeparator: { !$0.isNumber }).compactMap { Int64($0) }
            guard numbers.count == 3 else { throw StoreError(.unavailable, "\(name) answered a range request without a usable Content-Range (\(text))") }
            return ObjectBytes(bytes: body, range: numbers[0]...numbers[1], totalSize: numbers[2])
        case .notFound:
            throw StoreError(.notFound, "object \(digest) is not in the \(name)")
        case .rangeNotSatisfiable:
            throw StoreError(.invalidRange, "bytes \(range?.lowerBound ?? 0)- are past the end of object \(digest)")
        default:
            throw failure(response.status, Data(body.readableBytesView), doing: "get object \(digest)")
        }
    }

    public func download(_ digest: ObjectDigest, to destination: URL) async throws(StoreError) {
        let response = try await send("GET", key: key(digest))
        guard response.status == .ok else {
            let body = try await collect(response, limit: 1 << 16)
            if response.status == .notFound { throw StoreError(.notFound, "object \(digest) is not in the \(name)") }
            throw failure(response.status, body, doing: "download object \(digest)")
        }
        let sink = try await FileSink.create(destination)
        do throws(StoreError) {
            var hash = StreamingDigest()
            try await stream(response) { (chunk) throws(StoreError) in
                chunk.withUnsafeReadableBytes { hash.update($0) }
                try await sink.write(chunk)
            }
            guard hash.finalize() == digest else {
                throw StoreError(.digestMismatch, "object \(digest) in the \(name) is corrupt: its bytes hash to \(hash.finalize())")
            }
            try await sink.commit()
        } catch {
            await sink.discard()
            throw error
        }
    }

    public func head(_ digest: ObjectDigest) async throws(StoreError) -> ObjectInfo? {
        let response = try await send("HEAD", key: key(digest))
        _ = try await collect(response, limit: 1 << 16)
        switch response.status {
        case .ok:
            let size = response.headers.first(name: "content-length").flatMap { Int64($0) } ?? 0
            return ObjectInfo(digest: digest, size: size)
        case .notFound: return nil
        default: throw failure(response.status, Data(), doing: "head object \(digest)")
        }
    }

    public func delete(_ digest: ObjectDigest) async throws(StoreError) {
        let response = try await send("DELETE", key: key(digest))
        let body = try await collect(response, limit: 1 << 16)
        guard [.noContent, .ok, .notFound].contains(response.status) else {
            throw failure(response.status, body, doing: "delete object \(digest)")
        }
    }

    public func list(after: ObjectDigest?, limit: Int) async throws(StoreError) -> [ObjectInfo] {
        var query = [("list-type", "2"), ("prefix", configuration.prefix), ("max-keys", "\(max(1, min(limit, 1000)))")]
        if let after { query.append(("start-after", key(after))) }
        let response = try await send("GET", key: nil, query: query)
        let body = try await collect(response, limit: 16 << 20)
        guard response.status == .ok else { throw failure(response.status, body, doing: "list objects") }
        return S3XML(body).records.compactMap { record in
            guard let key = record["Key"], let digest = ObjectDigest(hex: String(key.split(separator: "/").last ?? "")) else { return nil }
            return ObjectInfo(digest: digest, size: Int64(record["Size"] ?? "") ?? 0)
        }
    }

    /// A server-side copy (CopyObject) to `PREFIXquarantine/DIGEST.UNIXTIME`,
    /// then a delete of the original; the listing skips quarantined keys.
    public func quarantine(_ digest: ObjectDigest) async throws(StoreError) -> String? {
        guard try await head(digest) != nil else { return nil }
        let target = configuration.prefix + "quarantine/\(digest.hex).\(Int(Date().timeIntervalSince1970))"
        let source = "/" + S3Signer.encode(configuration.bucket, slash: true) + "/" + S3Signer.encode(key(digest), slash: false)
        let response = try await send("PUT", key: target, headers: [("x-amz-copy-source", source)])
        let body = try await collect(response, limit: 1 << 16)
        guard response.status == .ok, !S3XML(body).fields.keys.contains("Code") else {
            throw failure(response.status, body, doing: "quarantine object \(digest)")
        }
        try await delete(digest)
        return "s3://\(configuration.bucket)/\(target)"
    }

    public func verify(_ digest: ObjectDigest) async throws(StoreError) -> Bool? {
        let response = try await send("GET", key: key(digest))
        if response.status == .notFound {
            _ = try await collect(response, limit: 1 << 16)
            return nil
        }
        guard response.status == .ok else {
            throw failure(response.status, try await collect(response, limit: 1 << 16), doing: "verify object \(digest)")
        }
        var hash = StreamingDigest()
        try await stream(response) { (chunk) throws(StoreError) in chunk.withUnsafeReadableBytes { hash.update($0) } }
        return hash.finalize() == digest
    }
}
