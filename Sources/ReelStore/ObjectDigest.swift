public import Foundation
import Crypto

/// The name of a stored object: the SHA-256 of its bytes, as 64 lowercase
/// hex digits. Content addressing makes every write idempotent (the same
/// bytes always land under the same name) and every copy verifiable.
public struct ObjectDigest: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let hex: String

    /// Nil unless `hex` is exactly 64 hex digits (either case; kept lowercase).
    public init?(hex: String) {
        let lower = hex.lowercased()
        guard lower.utf8.count == 64, lower.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        self.hex = lower
    }

    init(_ digest: SHA256.Digest) {
        hex = digest.map { String(format: "%02x", $0) }.joined()
    }

    /// The digest of `data`.
    public static func of(_ data: some DataProtocol) -> ObjectDigest {
        ObjectDigest(SHA256.hash(data: data))
    }

    /// The digest as the 32 bytes it stands for.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        var index = hex.utf8.startIndex
        while index != hex.utf8.endIndex {
            let next = hex.utf8.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return out
    }

    /// Where the object lives under a store's root: two levels of 256
    /// folders, so no folder or listing page grows past a few thousand names.
    public var shardedPath: String {
        let utf8 = Array(hex.utf8)
        return "\(String(decoding: utf8[0..<2], as: UTF8.self))/\(String(decoding: utf8[2..<4], as: UTF8.self))/\(hex)"
    }

    public var description: String { hex }

    public static func < (lhs: ObjectDigest, rhs: ObjectDigest) -> Bool { lhs.hex < rhs.hex }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let digest = ObjectDigest(hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a SHA-256 hex digest: \(text)"))
        }
        self = digest
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

/// Hashes bytes as they stream past, for objects too large to hold at once.
package struct StreamingDigest {
    private var hasher = SHA256()
    package private(set) var count: Int64 = 0

    package init() {}

    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
        count += Int64(bytes.count)
    }

    package mutating func update(_ data: some DataProtocol) {
        hasher.update(data: data)
        count += Int64(data.count)
    }

    package func finalize() -> ObjectDigest { ObjectDigest(hasher.finalize()) }
}

extension ObjectDigest {
    /// The digest and size of a file, read in chunks off the cooperative pool.
    public static func ofFile(_ file: URL) async throws(StoreError) -> ObjectInfo {
        try await blocking { () throws(StoreError) in
            let input = try PosixFile.read(file.path)
            var hash = StreamingDigest()
            try input.chunks { (chunk) throws(StoreError) in hash.update(chunk) }
            return ObjectInfo(digest: hash.finalize(), size: hash.count)
        }
    }
}
