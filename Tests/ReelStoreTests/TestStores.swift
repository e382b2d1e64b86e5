import Foundation
import ReelS3
import ReelStore
import ReelTesting
import Testing

/// The two implementations the conformance suite runs against: a file store
/// in a fresh folder, and an S3 store on the test SeaweedFS under a fresh prefix.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case file, s3

    var testDescription: String { rawValue }

    func make() async throws -> any ObjectStore {
        switch self {
        case .file: return try TestObjectStores.fileStore()
        case .s3: return try await TestObjectStores.s3Store()
        }
    }
}

enum TestStores {
    static func freshFolder(_ name: String) -> URL { TestObjectStores.freshFolder(name) }

    static func s3Configuration(prefix: String) throws -> S3Configuration { try TestObjectStores.s3Configuration(prefix: prefix) }

    static func randomBytes(_ count: Int) -> Data { TestObjectStores.randomBytes(count) }

}
