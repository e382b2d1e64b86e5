public import Foundation
public import NIOCore
import Synchronization

/// An upload on its way in: bytes are appended to a file in a spool folder
/// as they arrive (never all in memory) and hashed on the way, so that when
/// the last byte is in, the object's name is known and the file can go to a
/// store. Writes run off the cooperative pool.
public final class UploadSpool: Sendable {
    private let sink: FileSink
    public let file: URL
    private let hash = Mutex(StreamingDigest())

    private init(sink: FileSink, file: URL) {
        self.sink = sink
        self.file = file
    }

    /// A new, empty spool file in `folder` (created if needed).
    public static func create(in folder: URL) async throws(StoreError) -> UploadSpool {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw StoreError(.io, "cannot create the upload spool folder \(folder.path): \(error.localizedDescription)")
        }
        let file = folder.appendingPathComponent("upload-\(UUID().uuidString)")
        return UploadSpool(sink: try await FileSink.create(file), file: file)
    }

    /// Bytes received so far.
    public var size: Int64 { hash.withLock { $0.count } }

    public func append(_ chunk: ByteBuffer) async throws(StoreError) {
        hash.withLock { digest in chunk.withUnsafeReadableBytes { digest.update($0) } }
        try await sink.write(chunk)
    }

    /// Flushes the file into place; returns its digest and size.
    public func finish() async throws(StoreError) -> ObjectInfo {
        try await sink.commit()
        return hash.withLock { ObjectInfo(digest: $0.finalize(), size: $0.count) }
    }

    /// Removes one-shot spool files nobody has written to for `age` seconds:
    /// what an API process left when it died mid-upload (its client gets no
    /// answer and sends again). Resumable uploads keep their own files, which
    /// this leaves alone, and a live upload keeps its file fresh, so API
    /// processes sharing a folder never sweep each other's. Returns how many.
    @discardableResult
    public static func sweep(in folder: URL, olderThan age: TimeInterval) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        var removed = 0
        for name in names where name.hasPrefix("upload-") {
            let file = folder.appendingPathComponent(name)
            let modified = (try? FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate]) as? Date
            guard let modified, Date().timeIntervalSince(modified) > age else { continue }
            if (try? FileManager.default.removeItem(at: file)) != nil { removed += 1 }
        }
        return removed
    }

    /// Removes whatever was written (a broken or refused upload).
    public func discard() async {
        await sink.discard()
        try? FileManager.default.removeItem(at: file)
    }
}
