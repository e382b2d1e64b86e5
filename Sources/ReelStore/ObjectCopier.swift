public import Foundation

/// Copies objects between stores (regions) and proves each copy: the bytes
/// read back from the destination must hash to the object's name.
public enum ObjectCopier {
    /// What one copy did.
    public struct Copy: Sendable, Hashable {
        public let digest: ObjectDigest
        public let bytes: Int64
        /// False when the destination already had the object (and it verified).
        public let copied: Bool
    }

    /// Makes sure `destination` holds an intact copy of `digest`, copying it
    /// from `source` if it is missing or damaged. Small objects go through
    /// memory; larger ones through a file in `scratch`, streamed both ways.
    /// Idempotent: a second call finds the copy, verifies it and copies nothing.
    public static func copy(
        _ digest: ObjectDigest, from source: any ObjectStore, to destination: any ObjectStore, scratch: URL,
        inMemoryLimit: Int64 = 8 << 20
    ) async throws(StoreError) -> Copy {
        if let existing = try await destination.head(digest), try await destination.verify(digest) == true {
            return Copy(digest: digest, bytes: existing.size, copied: false)
        }
        guard let info = try await source.head(digest) else {
            throw StoreError(.notFound, "object \(digest) is not in the \(source.name), so it cannot be copied from there")
        }
        if try await destination.head(digest) != nil {
            // Present but damaged: remove it, or put-if-absent would keep the bad bytes.
            try await destination.delete(digest)
        }
        if info.size <= inMemoryLimit {
            let data = try await source.get(digest)
            guard ObjectDigest.of(data) == digest else {
                throw StoreError(.digestMismatch, "object \(digest) in the \(source.name) is corrupt: it cannot be the source of a copy")
            }
            _ = try await destination.put(data)
        } else {
            do {
                try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            } catch {
                throw StoreError(.io, "cannot create the scratch folder \(scratch.path): \(error.localizedDescription)")
            }
            let file = scratch.appendingPathComponent("copy-\(digest.hex)-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: file) }
            try await source.download(digest, to: file)
            _ = try await destination.put(contentsOf: file, digest: digest)
        }
        guard try await destination.verify(digest) == true else {
            throw StoreError(.digestMismatch, "the copy of \(digest) in the \(destination.name) does not hash to its name after writing")
        }
        return Copy(digest: digest, bytes: info.size, copied: true)
    }
}
