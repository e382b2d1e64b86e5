import Foundation
import NIOCore
import ReelStore

/// Reads objects from the nearest region that has them, falling back to the
/// others when a region fails or lacks the object: a viewer never sees one
/// region's outage.
struct ObjectReader: Sendable {
    let regions: Regions
    let nearest: String?

    /// With `verifying` (an edge filling its cache), a whole object is hashed
    /// before it is sent: a copy whose bytes do not match is reported to
    /// `corrupt` with its region and skipped, so an edge never keeps, and for
    /// a year serves, a damaged copy.
    func read(
        _ digest: ObjectDigest, range: ClosedRange<Int64>?, verifying: Bool = false,
        corrupt: @Sendable (String) -> Void = { _ in }
    ) async throws(StoreError) -> ObjectBytes {
        var failures: [StoreError] = []
        for region in regions.readOrder(nearest: nearest) {
            do throws(StoreError) {
                let bytes = try await region.store.get(digest, range: range)
                if verifying, range == nil, ObjectDigest.of(bytes.bytes.readableBytesView) != digest {
                    corrupt(region.name)
                    failures.append(StoreError(.digestMismatch, "the copy in region \(region.name) does not hash to its name"))
                    continue
                }
                return bytes
            } catch where error.code == .invalidRange {
                throw error
            } catch {
                failures.append(error)
            }
        }
        if failures.allSatisfy({ $0.code == .notFound }) {
            throw StoreError(.notFound, "object \(digest) is in no region")
        }
        throw StoreError(.unavailable, failures.map(\.message).joined(separator: "; "))
    }
}

/// An HTTP `Range` header's single byte range (RFC 9110 §14.1.2).
enum ByteRangeRequest: Equatable {
    case from(Int64, through: Int64?)
    case suffix(Int64)

    /// Nil for no header or one Reel does not serve (several ranges, other
    /// units): those get the whole object, as RFC 9110 allows.
    init?(header: String?) {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst(6).trimmingCharacters(in: .whitespaces)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { return nil }
        if parts[0].isEmpty {
            guard let count = Int64(parts[1]), count > 0 else { return nil }
            self = .suffix(count)
        } else {
            guard let start = Int64(parts[0]), start >= 0 else { return nil }
            if parts[1].isEmpty {
                self = .from(start, through: nil)
            } else {
                guard let end = Int64(parts[1]), end >= start else { return nil }
                self = .from(start, through: end)
            }
        }
    }

    /// As inclusive offsets into an object of `total` bytes, when it is known.
    func resolve(total: Int64?) -> ClosedRange<Int64>? {
        switch self {
        case .from(let start, let end): return start...(end ?? Int64.max - 1)
        case .suffix(let count):
            guard let total else { return nil }
            return max(0, total - count)...max(0, total - 1)
        }
    }
}
