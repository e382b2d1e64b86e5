package import Foundation
package import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A file being downloaded: written to a temporary name beside the
/// destination and renamed into place only when complete, so a reader never
/// sees half a file. Writes run off the cooperative pool.
package final class FileSink: Sendable {
    private let destination: URL
    private let temporary: String
    private let fd: Int32

    private init(destination: URL, temporary: String, fd: Int32) {
        self.destination = destination
        self.temporary = temporary
        self.fd = fd
    }

    deinit { close(fd) }

    package static func create(_ destination: URL) async throws(StoreError) -> FileSink {
        let temporary = destination.path + ".part-\(UUID().uuidString)"
        let fd = try await blocking { () throws(StoreError) in
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw PosixFile.error("create", temporary, errno) }
            return fd
        }
        return FileSink(destination: destination, temporary: temporary, fd: fd)
    }

    package func write(_ chunk: ByteBuffer) async throws(StoreError) {
        let (fd, temporary) = (self.fd, self.temporary)
        try await blocking { () throws(StoreError) in
            let failure: Int32? = chunk.withUnsafeReadableBytes { bytes in
                var offset = 0
                while offset < bytes.count, let base = bytes.baseAddress {
                    let n = Glibc.write(fd, base + offset, bytes.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        return errno
                    }
                    offset += n
                }
                return nil
            }
            if let failure { throw PosixFile.error("write", temporary, failure) }
        }
    }

    /// Flushes the file and renames it into place.
    package func commit() async throws(StoreError) {
        let (fd, temporary, destination) = (self.fd, self.temporary, self.destination.path)
        try await blocking { () throws(StoreError) in
            guard fsync(fd) == 0 else { throw PosixFile.error("fsync", temporary, errno) }
            try PosixPath.rename(temporary, destination)
        }
    }

    /// Removes the partial file.
    package func discard() async {
        let temporary = self.temporary
        _ = try? await blocking { () throws(StoreError) in try PosixPath.remove(temporary) }
    }
}
