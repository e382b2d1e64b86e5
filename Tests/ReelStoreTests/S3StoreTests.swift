import Foundation
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
@testable import ReelS3
import ReelStore
import Testing

@Suite struct S3StoreTests {
    /// The worked example of AWS's SigV4 documentation for S3 (GET Object
    /// with a Range header), signed with its published example keys.
    @Test func signaturesMatchAWSsWorkedExample() throws {
        let signer = S3Signer(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1")
        let date = try #require(ISO8601DateFormatter().date(from: "2013-05-24T00:00:00Z"))
        let headers = signer.sign(method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/test.txt", query: [],
                                  headers: [("Range", "bytes=0-9")], payloadHash: S3Signer.emptyPayloadHash, date: date)
        let authorization = try #require(headers.first { $0.0 == "Authorization" }?.1)
        #expect(authorization == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test func wrongCredentialsAreRefusedWithAHint() async throws {
        var configuration = try TestStores.s3Configuration(prefix: "test-\(UUID().uuidString)/")
        configuration.secretKey = "not-the-secret"
        let store = S3Store(configuration)
        await #expect { try await store.put(Data("x".utf8)) } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.code == .rejected && error.message.contains("HTTP 403") && error.message.contains("secret key")
        }
    }

    @Test func anUnreachableStoreIsTransient() async throws {
        var configuration = try TestStores.s3Configuration(prefix: "test/")
        configuration.endpoint = try #require(URL(string: "http://127.0.0.1:9"))
        configuration.requestTimeout = .seconds(5)
        await #expect { try await S3Store(configuration).head(ObjectDigest.of(Data())) } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.code == .unavailable && error.isTransient && error.message.contains("127.0.0.1:9")
        }
    }

    @Test func bytesChangedInTheBucketAreDetected() async throws {
        let store = S3Store(try TestStores.s3Configuration(prefix: "test-\(UUID().uuidString)/"))
        try await store.createBucket()
        let data = TestStores.randomBytes(2048)
        let put = try await store.put(data)
        // Someone overwrites the object behind Reel's back (no If-None-Match).
        let other = Data(repeating: 1, count: 2048)
        let response = try await store.send("PUT", key: store.key(put.digest), body: ByteBuffer(bytes: other),
                                            payloadHash: ObjectDigest.of(other).hex)
        _ = try await store.collect(response, limit: 1 << 16)
        #expect(response.status.code == 200)
        #expect(try await store.verify(put.digest) == false)
        await #expect { try await store.download(put.digest, to: TestStores.freshFolder("s3copy")) } throws: {
            ($0 as? StoreError)?.code == .digestMismatch
        }
    }

    @Test func aPayloadThatDoesNotMatchItsSignedHashIsRejected() async throws {
        let store = S3Store(try TestStores.s3Configuration(prefix: "test-\(UUID().uuidString)/"))
        try await store.createBucket()
        let data = Data("the real bytes".utf8)
        // Claim another digest for these bytes: the server must refuse them.
        let claimed = ObjectDigest.of(Data("other bytes".utf8))
        await #expect { try await store.putSingle(ByteBuffer(bytes: data), digest: claimed) } throws: { ($0 as? StoreError)?.code == .rejected }
        #expect(try await store.head(claimed) == nil)
    }
}
