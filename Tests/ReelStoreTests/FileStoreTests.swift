import Foundation
import ReelStore
import Testing

@Suite struct FileStoreTests {
    @Test func objectsAreShardedFilesAndDamageIsDetected() async throws {
        let root = TestStores.freshFolder("files")
        let store = try FileStore(root: root)
        let data = TestStores.randomBytes(4096)
        let put = try await store.put(data)
        let hex = put.digest.hex
        let file = root.appendingPathComponent("objects/\(hex.prefix(2))/\(hex.dropFirst(2).prefix(2))/\(hex)")
        #expect(try Data(contentsOf: file) == data)
        // A bit flipped on disk: verify says so, and a download refuses the bytes.
        var damaged = data
        damaged[100] ^= 0x01
        try damaged.write(to: file)
        #expect(try await store.verify(put.digest) == false)
        let copy = TestStores.freshFolder("copy")
        await #expect { try await store.download(put.digest, to: copy) } throws: { ($0 as? StoreError)?.code == .digestMismatch }
        #expect(!FileManager.default.fileExists(atPath: copy.path))
    }

    @Test func writesLeftByACrashAreSweptAndNeverSeenAsObjects() async throws {
        let root = TestStores.freshFolder("crash")
        let store = try FileStore(root: root)
        // What a process killed mid-write leaves: a partial file in incoming/.
        let partial = root.appendingPathComponent("incoming/\(UUID().uuidString)")
        try Data(repeating: 7, count: 1000).write(to: partial)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: partial.path)
        #expect(try await store.list(after: nil, limit: 10).isEmpty)
        #expect(try await store.sweepIncoming(olderThan: .seconds(3600)) == 1)
        #expect(!FileManager.default.fileExists(atPath: partial.path))
    }

    @Test func aMissingSourceFileIsAClearError() async throws {
        let store = try FileStore(root: TestStores.freshFolder("missing"))
        await #expect { try await store.put(contentsOf: URL(fileURLWithPath: "/nonexistent/clip.mp4")) } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.code == .io && error.message.contains("/nonexistent/clip.mp4")
        }
    }
}
