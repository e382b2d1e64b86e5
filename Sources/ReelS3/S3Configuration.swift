public import Foundation

/// Where an S3-compatible store is and how to sign for it (SeaweedFS, MinIO,
/// Ceph, AWS S3): path-style requests to `endpoint/bucket/key`.
public struct S3Configuration: Sendable, Hashable {
    public var endpoint: URL
    public var bucket: String
    public var region: String
    public var accessKey: String
    public var secretKey: String
    /// Prefix of every object key, so one bucket can hold several stores (tests use a fresh one each).
    public var prefix: String
    /// Sources larger than this go up in parts (S3 multipart upload).
    public var multipartThreshold: Int
    /// Size of each part but the last (S3's minimum is 5 MiB).
    public var partSize: Int
    /// Longest a single request may take.
    public var requestTimeout: Duration

    public init(
        endpoint: URL, bucket: String, region: String = "us-east-1", accessKey: String, secretKey: String,
        prefix: String = "objects/", multipartThreshold: Int = 16 << 20, partSize: Int = 8 << 20,
        requestTimeout: Duration = .seconds(120)
    ) {
        self.endpoint = endpoint
        self.bucket = bucket
        self.region = region
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.prefix = prefix
        self.multipartThreshold = multipartThreshold
        self.partSize = max(partSize, 5 << 20)
        self.requestTimeout = requestTimeout
    }

    /// From `REEL_S3_ENDPOINT`, `REEL_S3_BUCKET`, `REEL_S3_REGION`,
    /// `REEL_S3_ACCESS_KEY` and `REEL_S3_SECRET_KEY` (or another prefix than
    /// `REEL_S3_`); nil when the endpoint or bucket is not set.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment, prefix variables: String = "REEL_S3_"
    ) -> S3Configuration? {
        guard let text = environment[variables + "ENDPOINT"], let endpoint = URL(string: text),
            let bucket = environment[variables + "BUCKET"]
        else { return nil }
        return S3Configuration(
            endpoint: endpoint, bucket: bucket, region: environment[variables + "REGION"] ?? "us-east-1",
            accessKey: environment[variables + "ACCESS_KEY"] ?? "", secretKey: environment[variables + "SECRET_KEY"] ?? "")
    }
}
