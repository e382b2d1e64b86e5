import ReelTesting
import Testing

/// The conformance suite (``ObjectStoreConformance``, importable by any
/// future store) on both of Reel's stores: a file store in a fresh folder and
/// an S3 store on the test SeaweedFS under a fresh prefix.
@Suite struct ObjectStoreConformanceTests {
    @Test(arguments: StoreKind.allCases, ObjectStoreConformance.names)
    func conforms(kind: StoreKind, check: String) async throws {
        try await ObjectStoreConformance.run(check, on: try await kind.make())
    }
}
