import Foundation
import ReelStore
import Testing

/// The two implementations the conformance suite runs against: a file store
/// in a fresh folder, and an S3 store on the SeaweedFS that `scripts/test.sh`
/// starts (`REEL_TEST_S3_*`), under a fresh key prefix.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case file, s3

    var testDescription: String { rawValue }

    /// Small multipart settings, so a 12 MiB file goes up in three parts.
    func make() async throws -> any ObjectStore {
        switch self {
        case .file:
            return try FileStore(root: TestStores.freshFolder("store"))
        case .s3:
            let store = S3Store(try TestStores.s3Configuration(prefix: "test-\(UUID().uuidString)/"))
            try await store.createBucket()
            return store
        }
    }
}

enum TestStores {
    static func freshFolder(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("reel-\(getpid())-\(name)-\(UUID().uuidString)")
    }

    struct MissingServer: Error, CustomStringConvertible {
        var description: String {
            "REEL_TEST_S3_ENDPOINT is not set: run the tests with scripts/test.sh, which starts SeaweedFS, "
                + "or start it with scripts/services.sh and export the REEL_TEST_S3_* variables it prints"
        }
    }

    static func s3Configuration(prefix: String) throws -> S3Configuration {
        guard var configuration = S3Configuration.fromEnvironment(prefix: "REEL_TEST_S3_") else { throw MissingServer() }
        configuration.prefix = prefix
        configuration.multipartThreshold = 6 << 20
        configuration.partSize = 5 << 20
        return configuration
    }

    /// `count` bytes that differ from any other call's.
    static func randomBytes(_ count: Int) -> Data {
        var generator = SystemRandomNumberGenerator()
        var data = Data(count: count)
        data.withUnsafeMutableBytes { buffer in
            for index in stride(from: 0, to: buffer.count, by: 8) {
                var word = generator.next()
                withUnsafeBytes(of: &word) { bytes in
                    for offset in 0..<min(8, buffer.count - index) { buffer[index + offset] = bytes[offset] }
                }
            }
        }
        return data
    }

    static func file(with data: Data) throws -> URL {
        let url = freshFolder("source")
        try data.write(to: url)
        return url
    }
}
