import Foundation
public import ReelStore
import Testing

/// What every ``ObjectStore`` must do, whichever store a region uses: one
/// suite run against each implementation (River's `riverdrivertest`
/// `Exercise`). A new store's tests run every check on a fresh, empty store:
///
/// ```swift
/// @Test(arguments: ObjectStoreConformance.names)
/// func conforms(check: String) async throws {
///     try await ObjectStoreConformance.run(check, on: try await makeMyStore())
/// }
/// ```
/// Failures are recorded as issues of the calling test.
public enum ObjectStoreConformance {
    /// The checks' names, in order.
    public static let names: [String] = checks.map(\.name)

    /// Runs the check `name` on `store`, which must be empty.
    public static func run(_ name: String, on store: any ObjectStore) async throws {
        guard let check = checks.first(where: { $0.name == name }) else {
            Issue.record("no object-store check named \(name); the checks are \(names.joined(separator: ", "))")
            return
        }
        try await check.run(store)
    }

    static let checks: [(name: String, run: @Sendable (any ObjectStore) async throws -> Void)] = [
        ("putIsIdempotentAndNamesObjectsByTheirSHA256", putIsIdempotentAndNamesObjectsByTheirSHA256),
        ("byteRangesAreInclusiveAndClampedAtTheEnd", byteRangesAreInclusiveAndClampedAtTheEnd),
        ("aQuarantinedCopyLeavesTheServingPathAndCanBeReplaced", aQuarantinedCopyLeavesTheServingPathAndCanBeReplaced),
        ("anUnknownObjectIsNotFound", anUnknownObjectIsNotFound),
        ("aLargeFileGoesUpStreamedAndComesBackWhole", aLargeFileGoesUpStreamedAndComesBackWhole),
        ("aFileThatDoesNotMatchItsDigestIsRefusedAndNothingIsStored", aFileThatDoesNotMatchItsDigestIsRefusedAndNothingIsStored),
        ("concurrentPutsOfTheSameBytesStoreOneIntactObject", concurrentPutsOfTheSameBytesStoreOneIntactObject),
        ("emptyObjectsAreObjectsToo", emptyObjectsAreObjectsToo),
        ("deleteRemovesAndListingPagesInDigestOrder", deleteRemovesAndListingPagesInDigestOrder),
    ]

    static func putIsIdempotentAndNamesObjectsByTheirSHA256(_ store: any ObjectStore) async throws {
        let data = Data("hello, reel".utf8)
        let first = try await store.put(data)
        // sha256("hello, reel"), as `sha256sum` prints it.
        #expect(first.digest.hex == ObjectDigest.of(data).hex)
        #expect(first.created && first.size == 11)
        let second = try await store.put(data)
        #expect(second.digest == first.digest && !second.created)
        #expect(try await store.head(first.digest) == ObjectInfo(digest: first.digest, size: 11))
        #expect(try await store.get(first.digest) == data)
        #expect(try await store.verify(first.digest) == true)
    }

    static func byteRangesAreInclusiveAndClampedAtTheEnd(_ store: any ObjectStore) async throws {
        let data = Data((0..<100).map { UInt8($0) })
        let put = try await store.put(data)
        let middle = try await store.get(put.digest, range: 10...19)
        #expect(middle.data == data[10...19] && middle.range == 10...19 && middle.totalSize == 100)
        let tail = try await store.get(put.digest, range: 90...1000)
        #expect(tail.data == data[90...99] && tail.range == 90...99)
        await #expect { try await store.get(put.digest, range: 100...200) } throws: { ($0 as? StoreError)?.code == .invalidRange }
    }

    static func aQuarantinedCopyLeavesTheServingPathAndCanBeReplaced(_ store: any ObjectStore) async throws {
        let data = Data("a copy the scrub found damaged \(UUID())".utf8)
        let put = try await store.put(data)
        let aside = try #require(try await store.quarantine(put.digest))
        #expect(aside.contains("quarantine/\(put.digest.hex)."), "\(aside)")
        #expect(try await store.head(put.digest) == nil)
        await #expect { try await store.get(put.digest, range: nil) } throws: { ($0 as? StoreError)?.code == .notFound }
        #expect(try await store.list(after: nil, limit: 1000).allSatisfy { $0.digest != put.digest })
        #expect(try await store.quarantine(put.digest) == nil)
        let again = try await store.put(data)
        #expect(again.created)
        #expect(try await store.get(put.digest) == data)
    }

    static func anUnknownObjectIsNotFound(_ store: any ObjectStore) async throws {
        let unknown = ObjectDigest.of(Data("never stored".utf8))
        #expect(try await store.head(unknown) == nil)
        #expect(try await store.verify(unknown) == nil)
        await #expect { try await store.get(unknown) } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.code == .notFound && error.message.contains(unknown.hex)
        }
        try await store.delete(unknown)
    }

    static func aLargeFileGoesUpStreamedAndComesBackWhole(_ store: any ObjectStore) async throws {
        let data = TestObjectStores.randomBytes(12 << 20 + 12345)
        let source = try TestObjectStores.file(with: data)
        let put = try await store.put(contentsOf: source, digest: ObjectDigest.of(data))
        #expect(put.created && put.size == Int64(data.count) && put.digest == ObjectDigest.of(data))
        #expect(try await store.put(contentsOf: source).created == false)
        let copy = TestObjectStores.freshFolder("download")
        try await store.download(put.digest, to: copy)
        #expect(try Data(contentsOf: copy) == data)
        #expect(try await store.get(put.digest, range: 6_000_000...6_000_009).data == data[6_000_000...6_000_009])
    }

    static func aFileThatDoesNotMatchItsDigestIsRefusedAndNothingIsStored(_ store: any ObjectStore) async throws {
        let data = TestObjectStores.randomBytes(1000)
        let claimed = ObjectDigest.of(Data("something else".utf8))
        await #expect { try await store.put(contentsOf: try TestObjectStores.file(with: data), digest: claimed) } throws: {
            ($0 as? StoreError)?.code == .digestMismatch
        }
        #expect(try await store.head(ObjectDigest.of(data)) == nil)
        #expect(try await store.head(claimed) == nil)
        #expect(try await store.list(after: nil, limit: 10).isEmpty)
    }

    static func concurrentPutsOfTheSameBytesStoreOneIntactObject(_ store: any ObjectStore) async throws {
        let data = TestObjectStores.randomBytes(256 << 10)
        let results = try await withThrowingTaskGroup(of: PutResult.self) { group in
            for _ in 0..<20 { group.addTask { try await store.put(data) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 20 && Set(results.map(\.digest)).count == 1)
        #expect(results.contains { $0.created })
        #expect(try await store.get(ObjectDigest.of(data)) == data)
        #expect(try await store.list(after: nil, limit: 10).count == 1)
    }

    static func emptyObjectsAreObjectsToo(_ store: any ObjectStore) async throws {
        let put = try await store.put(Data())
        #expect(put.digest.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try await store.head(put.digest)?.size == 0)
        #expect(try await store.get(put.digest).isEmpty)
    }

    static func deleteRemovesAndListingPagesInDigestOrder(_ store: any ObjectStore) async throws {
        var digests: [ObjectDigest] = []
        for n in 0..<7 { digests.append(try await store.put(Data("object \(n)".utf8)).digest) }
        digests.sort()
        var seen: [ObjectDigest] = []
        var after: ObjectDigest?
        while true {
            let page = try await store.list(after: after, limit: 3)
            if page.isEmpty { break }
            #expect(page.count <= 3)
            seen += page.map(\.digest)
            after = page.last?.digest
        }
        #expect(seen == digests)
        try await store.delete(digests[2])
        #expect(try await store.head(digests[2]) == nil)
        #expect(try await store.list(after: nil, limit: 100).map(\.digest) == digests.filter { $0 != digests[2] })
    }
}
