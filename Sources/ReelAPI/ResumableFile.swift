import Foundation
import NIOCore
import HTTPTypes
import NIOPosix

/// The spool file of a resumable upload: appended to as chunks arrive and
/// flushed before its length is reported, so the offset a client is told is
/// always on disk. Blocking file calls run on NIO's blocking-I/O pool.
struct ResumableFile: Sendable {
    let url: URL

    /// Bytes on disk (0 when the file does not exist yet).
    func size() async throws -> Int64 {
        let path = url.path
        return try await NIOThreadPool.singleton.runIfActive {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            return (attributes?[.size] as? NSNumber)?.int64Value ?? 0
        }
    }

    /// Cuts an existing file to `length` bytes (drops a partial chunk the
    /// catalog never counted); false when the file is missing or shorter than
    /// `length`: bytes that are gone are never made up.
    func cut(to length: Int64) async throws -> Bool {
        let path = url.path
        return try await NIOThreadPool.singleton.runIfActive {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            guard let size = (attributes?[.size] as? NSNumber)?.int64Value, size >= length else { return false }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.truncate(atOffset: UInt64(length))
            try handle.synchronize()
            return true
        }
    }

    /// Creates the file empty (a new upload).
    func truncate(to length: Int64) async throws {
        let path = url.path
        let folder = url.deletingLastPathComponent()
        try await NIOThreadPool.singleton.runIfActive {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.truncate(atOffset: UInt64(length))
            try handle.synchronize()
        }
    }

    /// Appends `chunks` (as they arrive) up to `limit` bytes in all, feeding
    /// `hasher` (a tus checksum), then flushes; returns the file's size afterwards. If the body breaks off,
    /// what arrived is kept and flushed, and the error is rethrown.
    func append<Body: AsyncSequence>(_ chunks: Body, limit: Int64, hasher: ChunkHasher? = nil) async throws -> Int64
    where Body.Element == ByteBuffer {
        let path = url.path
        let handle = try await NIOThreadPool.singleton.runIfActive { () -> FileHandleBox in
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.seekToEnd()
            return FileHandleBox(handle: handle)
        }
        var failure: (any Error)?
        var written = try await size()
        do {
            for try await chunk in chunks {
                guard written + Int64(chunk.readableBytes) <= limit else {
                    throw APIError(.contentTooLarge, "too_large", "the chunk runs past the upload's declared length (\(limit) bytes)")
                }
                hasher?.update(chunk)
                let data = Data(chunk.readableBytesView)
                try await NIOThreadPool.singleton.runIfActive { try handle.handle.write(contentsOf: data) }
                written += Int64(data.count)
            }
        } catch {
            failure = error
        }
        try await NIOThreadPool.singleton.runIfActive {
            try handle.handle.synchronize()
            try handle.handle.close()
        }
        if let failure { throw failure }
        return try await size()
    }
}

/// A FileHandle handed between the blocking pool's threads, one call at a time.
final class FileHandleBox: @unchecked Sendable {
    // Unchecked: used by one upload request, strictly one blocking call after another.
    let handle: FileHandle
    init(handle: FileHandle) { self.handle = handle }
}
