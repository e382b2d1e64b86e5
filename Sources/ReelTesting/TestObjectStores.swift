public import Foundation
public import ReelStore
public import ReelS3

/// Object stores for tests: file stores in fresh folders, and S3 stores on
/// the SeaweedFS that `scripts/test.sh` starts (`REEL_TEST_S3_*`), each under
/// a fresh key prefix so parallel tests never see each other's objects.
public enum TestObjectStores {
    public static func freshFolder(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("reel-\(getpid())-\(name)-\(UUID().uuidString)")
    }

    public static func fileStore(_ name: String = "store") throws -> FileStore {
        try FileStore(root: freshFolder(name))
    }

    public struct MissingServer: Error, CustomStringConvertible {
        public var description: String {
            "REEL_TEST_S3_ENDPOINT is not set: run the tests with scripts/test.sh, which starts SeaweedFS, "
                + "or start it with scripts/services/services.sh and export its REEL_S3_* values as REEL_TEST_S3_*"
        }
    }

    /// The test SeaweedFS's settings under a fresh prefix, with small
    /// multipart settings (parts of 5 MiB above 6 MiB).
    public static func s3Configuration(prefix: String = "test-\(UUID().uuidString)/") throws -> S3Configuration {
        guard var configuration = S3Configuration.fromEnvironment(prefix: "REEL_TEST_S3_") else { throw MissingServer() }
        configuration.prefix = prefix
        configuration.multipartThreshold = 6 << 20
        configuration.partSize = 5 << 20
        return configuration
    }

    /// An S3 store on the test SeaweedFS, its bucket created.
    public static func s3Store() async throws -> S3Store {
        let store = S3Store(try s3Configuration())
        try await store.createBucket()
        return store
    }

    /// A file in a fresh folder holding `data`.
    public static func file(with data: Data) throws -> URL {
        let url = freshFolder("source")
        try data.write(to: url)
        return url
    }

    /// `count` random bytes (eight at a time: cheap even for many MiB in a debug build).
    public static func randomBytes(_ count: Int) -> Data {
        var generator = SystemRandomNumberGenerator()
        var words = [UInt64](repeating: 0, count: (count + 7) / 8)
        for index in words.indices { words[index] = generator.next() }
        return words.withUnsafeBytes { Data($0.prefix(count)) }
    }
}
