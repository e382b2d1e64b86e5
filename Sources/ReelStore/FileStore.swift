public import Foundation
import NIOCore

/// Objects as files under one folder: the embedded default, one per region.
///
/// `objects/ab/cd/abcd…` holds each object. A write goes to a new file in
/// `incoming/`, is flushed (fsync), then linked into place — `link` refuses
/// to replace, so two writers of the same object never clobber each other —
/// and the folder is flushed too, so an object that was reported stored
/// survives a crash of the process or the machine. A crash mid-write leaves
/// only a file in `incoming/`, which ``sweepIncoming(olderThan:)`` removes.
public struct FileStore: ObjectStore {
    public let root: URL
    public var name: String { "file store at \(root.path)" }

    private var objects: String { root.appendingPathComponent("objects").path }
    private var incoming: String { root.appendingPathComponent("incoming").path }

    /// A store in `root`, created if needed.
    public init(root: URL) throws(StoreError) {
        self.root = root.standardizedFileURL
        try PosixPath.makeDirectories(objects)
        try PosixPath.makeDirectories(incoming)
    }

    func path(of digest: ObjectDigest) -> String { "\(objects)/\(digest.shardedPath)" }

    public func put(_ data: Data) async throws(StoreError) -> PutResult {
        try await StoreSpan.traced("file.put", store: objects) { () async throws(StoreError) in try await putData(data) }
    }

    private func putData(_ data: Data) async throws(StoreError) -> PutResult {
        try await blocking { () throws(StoreError) in
            let digest = ObjectDigest.of(data)
            let size = Int64(data.count)
            if try PosixPath.size(path(of: digest)) != nil { return PutResult(digest: digest, size: size, created: false) }
            let temporary = "\(incoming)/\(UUID().uuidString)"
            do {
                let file = try PosixFile.create(temporary)
                try file.write(data)
                try file.sync()
            }
            return try commit(temporary, as: digest, size: size)
        }
    }

    public func put(contentsOf source: URL, digest expected: ObjectDigest?) async throws(StoreError) -> PutResult {
        try await StoreSpan.traced("file.put", store: objects, digest: expected) { () async throws(StoreError) in
            try await putFile(source, digest: expected)
        }
    }

    private func putFile(_ source: URL, digest expected: ObjectDigest?) async throws(StoreError) -> PutResult {
        try await blocking { () throws(StoreError) in
            if let expected, let size = try PosixPath.size(path(of: expected)) {
                return PutResult(digest: expected, size: size, created: false)
            }
            let temporary = "\(incoming)/\(UUID().uuidString)"
            var hash = StreamingDigest()
            do throws(StoreError) {
                let input = try PosixFile.read(source.path)
                let output = try PosixFile.create(temporary)
                do throws(StoreError) {
                    try input.chunks { (chunk) throws(StoreError) in
                        hash.update(chunk)
                        try output.write(chunk)
                    }
                    try output.sync()
                } catch {
                    _ = try? PosixPath.remove(temporary)
                    throw error
                }
            } catch where error.code == .notFound {
                throw StoreError(.io, "cannot read \(source.path): no such file")
            }
            let digest = hash.finalize()
            if let expected, expected != digest {
                _ = try? PosixPath.remove(temporary)
                throw StoreError(.digestMismatch, "\(source.path) hashes to \(digest), not to the expected \(expected); nothing was stored")
            }
            return try commit(temporary, as: digest, size: hash.count)
        }
    }

    /// Links a flushed temporary file into place unless the object exists, then removes the temporary name.
    private func commit(_ temporary: String, as digest: ObjectDigest, size: Int64) throws(StoreError) -> PutResult {
        defer { _ = try? PosixPath.remove(temporary) }
        let target = path(of: digest)
        let folder = (target as NSString).deletingLastPathComponent
        try PosixPath.makeDirectories(folder)
        let created = try PosixPath.linkIfAbsent(temporary, target)
        if created { try PosixPath.syncDirectory(folder) }
        return PutResult(digest: digest, size: size, created: created)
    }

    public func get(_ digest: ObjectDigest, range: ClosedRange<Int64>?) async throws(StoreError) -> ObjectBytes {
        try await blocking { () throws(StoreError) in
            let file = try open(digest)
            let total = try file.size
            let wanted = try clamp(range, total: total, digest: digest)
            let count = wanted.map { Int($0.upperBound - $0.lowerBound + 1) } ?? Int(total)
            let bytes = try file.read(count: count, at: wanted?.lowerBound ?? 0)
            guard bytes.readableBytes == count else { throw StoreError(.io, "\(file.path) shrank while being read") }
            return ObjectBytes(bytes: bytes, range: wanted, totalSize: total)
        }
    }

    public func download(_ digest: ObjectDigest, to destination: URL) async throws(StoreError) {
        try await blocking { () throws(StoreError) in
            let input = try open(digest)
            let temporary = destination.path + ".part-\(UUID().uuidString)"
            var hash = StreamingDigest()
            do throws(StoreError) {
                let output = try PosixFile.create(temporary)
                try input.chunks { (chunk) throws(StoreError) in
                    hash.update(chunk)
                    try output.write(chunk)
                }
                try output.sync()
                guard hash.finalize() == digest else {
                    throw StoreError(.digestMismatch, "object \(digest) in the \(name) is corrupt: its bytes hash to \(hash.finalize())")
                }
                try PosixPath.rename(temporary, destination.path)
            } catch {
                _ = try? PosixPath.remove(temporary)
                throw error
            }
        }
    }

    public func head(_ digest: ObjectDigest) async throws(StoreError) -> ObjectInfo? {
        try await blocking { () throws(StoreError) in
            try PosixPath.size(path(of: digest)).map { ObjectInfo(digest: digest, size: $0) }
        }
    }

    public func delete(_ digest: ObjectDigest) async throws(StoreError) {
        try await blocking { () throws(StoreError) in
            let target = path(of: digest)
            if try PosixPath.remove(target) { try PosixPath.syncDirectory((target as NSString).deletingLastPathComponent) }
        }
    }

    public func quarantine(_ digest: ObjectDigest) async throws(StoreError) -> String? {
        try await blocking { () throws(StoreError) -> String? in
            let source = path(of: digest)
            guard try PosixPath.size(source) != nil else { return nil }
            let folder = root.appendingPathComponent("quarantine").path
            try PosixPath.makeDirectories(folder)
            let target = "\(folder)/\(digest.hex).\(Int(Date().timeIntervalSince1970))"
            try PosixPath.rename(source, target)
            try PosixPath.syncDirectory(folder)
            try PosixPath.syncDirectory((source as NSString).deletingLastPathComponent)
            return target
        }
    }

    public func list(after: ObjectDigest?, limit: Int) async throws(StoreError) -> [ObjectInfo] {
        try await blocking { () throws(StoreError) in
            var found: [ObjectInfo] = []
            let start = after.map { Array($0.shardedPath.split(separator: "/").map(String.init)) } ?? []
            for first in PosixPath.sortedNames(objects) where start.isEmpty || first >= start[0] {
                for second in PosixPath.sortedNames("\(objects)/\(first)") where start.isEmpty || first > start[0] || second >= start[1] {
                    for name in PosixPath.sortedNames("\(objects)/\(first)/\(second)") {
                        guard let digest = ObjectDigest(hex: name), after.map({ digest > $0 }) ?? true else { continue }
                        guard let size = try PosixPath.size("\(objects)/\(first)/\(second)/\(name)") else { continue }
                        found.append(ObjectInfo(digest: digest, size: size))
                        if found.count >= limit { return found }
                    }
                }
            }
            return found
        }
    }

    public func verify(_ digest: ObjectDigest) async throws(StoreError) -> Bool? {
        try await blocking { () throws(StoreError) in
            let file: PosixFile
            do throws(StoreError) { file = try open(digest) } catch where error.code == .notFound { return nil }
            var hash = StreamingDigest()
            try file.chunks { (chunk) throws(StoreError) in hash.update(chunk) }
            return hash.finalize() == digest
        }
    }

    /// Removes files left in `incoming/` by writes that crashed more than
    /// `age` ago; returns how many. Run from the scheduler's housekeeping.
    public func sweepIncoming(olderThan age: Duration) async throws(StoreError) -> Int {
        try await blocking { () throws(StoreError) in
            let cutoff = Date().addingTimeInterval(-Double(age.components.seconds))
            var removed = 0
            for name in PosixPath.sortedNames(incoming) {
                let path = "\(incoming)/\(name)"
                let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? nil
                if let modified, modified < cutoff, try PosixPath.remove(path) { removed += 1 }
            }
            return removed
        }
    }

    private func open(_ digest: ObjectDigest) throws(StoreError) -> PosixFile {
        do throws(StoreError) {
            return try PosixFile.read(path(of: digest))
        } catch where error.code == .notFound {
            throw StoreError(.notFound, "object \(digest) is not in the \(name)")
        }
    }
}

/// The inclusive byte range to read of an object of `total` bytes: the end
/// clamped to the object, `.invalidRange` when the start is past it.
func clamp(_ range: ClosedRange<Int64>?, total: Int64, digest: ObjectDigest) throws(StoreError) -> ClosedRange<Int64>? {
    guard let range else { return nil }
    guard range.lowerBound >= 0, range.lowerBound < total else {
        throw StoreError(.invalidRange, "bytes \(range.lowerBound)- are past the end of object \(digest) (\(total) bytes)")
    }
    return range.lowerBound...min(range.upperBound, total - 1)
}
