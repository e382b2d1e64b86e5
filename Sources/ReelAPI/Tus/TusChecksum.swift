import Crypto
import Foundation
import NIOCore

/// A chunk's `Upload-Checksum` (tus checksum extension): an algorithm and the
/// digest the client computed over the chunk's bytes. The server hashes the
/// bytes as they arrive and keeps the chunk only when the two agree.
struct TusChecksum: Sendable, Equatable {
    enum Algorithm: String, Sendable, CaseIterable {
        case sha1, sha256

        var digestBytes: Int { self == .sha1 ? Insecure.SHA1.byteCount : SHA256.byteCount }
    }

    let algorithm: Algorithm
    let expected: Data

    /// Parses `sha1 <base64>` or `sha256 <base64>`; throws a message for a 400.
    static func parse(_ header: String) throws(TusMetadataError) -> TusChecksum {
        let parts = header.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: true)
        let names = Algorithm.allCases.map(\.rawValue).joined(separator: " or ")
        guard parts.count == 2 else {
            throw TusMetadataError("Upload-Checksum must be an algorithm and a base64 digest, e.g. 'sha256 <base64>' (\(names))")
        }
        guard let algorithm = Algorithm(rawValue: parts[0].lowercased()) else {
            throw TusMetadataError("Upload-Checksum algorithm '\(parts[0])' is not supported; use \(names)")
        }
        guard let expected = Data(base64Encoded: String(parts[1])), expected.count == algorithm.digestBytes else {
            throw TusMetadataError("the Upload-Checksum digest is not the base64 of a \(algorithm.digestBytes)-byte \(algorithm.rawValue) digest")
        }
        return TusChecksum(algorithm: algorithm, expected: expected)
    }

    /// A hasher for one chunk's bytes.
    func hasher() -> ChunkHasher { ChunkHasher(algorithm) }
}

/// Hashes one chunk as it streams in.
final class ChunkHasher: @unchecked Sendable {
    // Unchecked: one request feeds it, one buffer after another, then reads it once.
    private var sha1: Insecure.SHA1?
    private var sha256: SHA256?

    init(_ algorithm: TusChecksum.Algorithm) {
        switch algorithm {
        case .sha1: sha1 = Insecure.SHA1()
        case .sha256: sha256 = SHA256()
        }
    }

    func update(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { bytes in
            sha1?.update(bufferPointer: bytes)
            sha256?.update(bufferPointer: bytes)
        }
    }

    /// The digest of everything fed so far.
    func digest() -> Data {
        if let sha1 { return Data(sha1.finalize()) }
        if let sha256 { return Data(sha256.finalize()) }
        return Data()
    }
}
