package import Foundation
package import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// An open file descriptor with the few calls the file store needs, each
/// failing with a `StoreError` that names the path. Blocking: use it inside
/// `blocking { }` only.
package struct PosixFile: ~Copyable {
    package let fd: Int32
    package let path: String

    /// Opens for reading; `.notFound` when the file does not exist.
    package static func read(_ path: String) throws(StoreError) -> PosixFile {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { throw StoreError(.notFound, "no such object file \(path)") }
            throw PosixFile.error("open", path, code)
        }
        return PosixFile(fd: fd, path: path)
    }

    /// Creates a new file that must not exist yet.
    package static func create(_ path: String) throws(StoreError) -> PosixFile {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PosixFile.error("create", path, errno) }
        return PosixFile(fd: fd, path: path)
    }

    deinit { close(fd) }

    package var size: Int64 {
        get throws(StoreError) {
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw PosixFile.error("stat", path, errno) }
            return Int64(info.st_size)
        }
    }

    package func write(_ bytes: UnsafeRawBufferPointer) throws(StoreError) {
        var offset = 0
        while offset < bytes.count {
            guard let base = bytes.baseAddress else { return }
            let n = Glibc.write(fd, base + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw PosixFile.error("write", path, errno)
            }
            offset += n
        }
    }

    package func write(_ data: Data) throws(StoreError) {
        let result: Result<Void, StoreError> = data.withUnsafeBytes { bytes in
            do throws(StoreError) { try write(bytes); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
    }

    /// `count` bytes from `offset`, straight into a buffer a response can
    /// send; fewer only at the end of the file.
    package func read(count: Int, at offset: Int64) throws(StoreError) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        var failure: StoreError?
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { space in
            do throws(StoreError) {
                return try read(into: UnsafeMutableRawBufferPointer(rebasing: space[0..<count]), at: offset)
            } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        return buffer
    }

    /// Reads up to `buffer.count` bytes at `offset`; fewer only at the end of the file.
    package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StoreError) -> Int {
        var done = 0
        while done < buffer.count {
            guard let base = buffer.baseAddress else { return 0 }
            let n = pread(fd, base + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw PosixFile.error("read", path, errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Calls `body` with consecutive chunks of the file from the start.
    package func chunks(size chunk: Int = 1 << 20, _ body: (UnsafeRawBufferPointer) throws(StoreError) -> Void) throws(StoreError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while true {
            let n = try read(into: buffer, at: offset)
            if n == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            offset += Int64(n)
        }
    }

    package func sync() throws(StoreError) {
        guard fsync(fd) == 0 else { throw PosixFile.error("fsync", path, errno) }
    }

    package static func error(_ operation: String, _ path: String, _ code: Int32) -> StoreError {
        StoreError(.io, "cannot \(operation) \(path): \(String(cString: strerror(code)))")
    }
}

/// Filesystem calls on paths, for the same blocking contexts.
enum PosixPath {
    /// Flushes a folder's entries, so that a rename or link into it survives a crash.
    static func syncDirectory(_ path: String) throws(StoreError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw PosixFile.error("open folder", path, errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw PosixFile.error("fsync folder", path, errno) }
    }

    static func makeDirectories(_ path: String) throws(StoreError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw StoreError(.io, "cannot create folder \(path): \(error.localizedDescription)")
        }
    }

    /// Size of a file, or nil when it does not exist.
    static func size(_ path: String) throws(StoreError) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw PosixFile.error("stat", path, errno)
        }
        return Int64(info.st_size)
    }

    /// Links `source` as `target` unless `target` exists: true when linked.
    /// The put-if-absent primitive: unlike rename, link never replaces.
    static func linkIfAbsent(_ source: String, _ target: String) throws(StoreError) -> Bool {
        if link(source, target) == 0 { return true }
        if errno == EEXIST { return false }
        throw PosixFile.error("link", target, errno)
    }

    static func rename(_ source: String, _ target: String) throws(StoreError) {
        guard Glibc.rename(source, target) == 0 else { throw PosixFile.error("rename", target, errno) }
    }

    /// Removes a file: true when it existed.
    @discardableResult
    static func remove(_ path: String) throws(StoreError) -> Bool {
        if unlink(path) == 0 { return true }
        if errno == ENOENT { return false }
        throw PosixFile.error("remove", path, errno)
    }

    /// Names in a folder, sorted; empty when the folder does not exist.
    static func sortedNames(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }
}
