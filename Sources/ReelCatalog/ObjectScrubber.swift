public import Foundation
public import Logging
public import ReelStore

/// Finds copies whose bytes went bad or missing, and repairs them.
///
/// Content addressing makes a check exact: a copy is sound when its bytes
/// hash to its name. A damaged copy is quarantined first (moved out of the
/// serving path, its bytes kept aside), so no reader, edge fill or
/// replication serves or spreads it; then the good bytes are copied back from
/// another region whose copy verifies. Every finding is a row of
/// `object_findings` (`reel report object_findings`). Used by the periodic
/// `objects.scrub` job (a few copies a second, the oldest scrubbed first) and
/// by `reel verify --repair` (everything, at once).
public struct ObjectScrubber: Sendable {
    public let catalog: Catalog
    public let regions: Regions
    public let scratch: URL

    public init(catalog: Catalog, regions: Regions, scratch: URL) {
        self.catalog = catalog
        self.regions = regions
        self.scratch = scratch
    }

    /// What reading a copy back found.
    public enum Health: Sendable, Hashable {
        case sound
        case missing
        case corrupt
        /// The store could not be read now (not a finding: tried again later).
        case unreadable(String)
    }

    /// Reads the copy back and hashes it.
    public func check(_ copy: Catalog.Copy) async -> Health {
        guard let region = regions[copy.region] else { return .unreadable("region \(copy.region) is not configured here (REEL_REGIONS)") }
        do {
            switch try await region.store.verify(copy.digest) {
            case nil: return .missing
            case false?: return .corrupt
            case true?: return .sound
            }
        } catch where error.code == .digestMismatch {
            return .corrupt
        } catch where error.code == .notFound {
            return .missing
        } catch {
            return .unreadable(error.message)
        }
    }

    /// A copy found missing or corrupt: quarantines a corrupt one, records the
    /// finding, and copies the good bytes back from another region. Returns
    /// the region it was repaired from, or nil when no sound copy is left.
    @discardableResult
    public func repair(_ copy: Catalog.Copy, health: Health, by finder: Catalog.Finder, logger: Logger) async throws -> String? {
        guard health == .missing || health == .corrupt, let destination = regions[copy.region] else { return nil }
        var quarantined: String?
        if health == .corrupt { quarantined = try await destination.store.quarantine(copy.digest) }
        let detail = health == .corrupt ? "its bytes no longer hash to its name" : "the store does not have it"
        let finding = try await catalog.recordFinding(copy, corrupt: health == .corrupt, detail: detail, by: finder, quarantined: quarantined)
        logger.error("object copy \(health == .corrupt ? "corrupt" : "missing")",
                     metadata: ["digest": "\(copy.digest)", "region": "\(copy.region)", "quarantined": "\(quarantined ?? "-")"])
        for source in regions.readOrder(nearest: copy.region) where source.name != copy.region {
            let copied: ObjectCopier.Copy
            do throws(StoreError) {
                copied = try await ObjectCopier.copy(copy.digest, from: source.store, to: destination.store, scratch: scratch)
            } catch {
                // That source has no sound copy either (or cannot be read now): try the next.
                continue
            }
            try await catalog.findingRepaired(finding, from: source.name)
            if copy.region != regions.home.name { try await catalog.replicaVerified(copy.digest, in: copy.region, bytes: copied.bytes) }
            logger.notice("object copy repaired", metadata: ["digest": "\(copy.digest)", "region": "\(copy.region)", "from": "\(source.name)"])
            return source.name
        }
        logger.critical("no sound copy of an object is left to repair from", metadata: ["digest": "\(copy.digest)"])
        return nil
    }

    /// What one scrub run did.
    public struct Summary: Sendable, Hashable, Codable {
        public var checked = 0
        public var missing = 0
        public var corrupt = 0
        public var repaired = 0
        public var unreadable = 0
    }

    /// Scrubs the copies scrubbed longest ago at `rate` copies a second for
    /// at most `seconds`, so a scrub's reads never crowd out viewers'.
    public func scrub(rate: Double, seconds: Double, logger: Logger) async throws -> Summary {
        let rate = max(0.01, rate)
        let batch = try await catalog.copiesToScrub(limit: max(1, Int(rate * seconds)), seconds: seconds + 60)
        var summary = Summary()
        let start = ContinuousClock.now
        for (index, copy) in batch.enumerated() {
            try Task.checkCancellation()
            // Paced: copy n starts no earlier than n / rate seconds in.
            let due = start + .milliseconds(Int64(Double(index) / rate * 1000))
            if due > ContinuousClock.now { try await Task.sleep(until: due, clock: .continuous) }
            let health = await check(copy)
            summary.checked += 1
            switch health {
            case .sound: break
            case .unreadable: summary.unreadable += 1; continue
            case .missing, .corrupt:
                // Garbage collection or a delete may have removed it meanwhile: not a finding.
                guard try await catalog.stillExpected(copy) else { break }
                if health == .corrupt { summary.corrupt += 1 } else { summary.missing += 1 }
                if try await repair(copy, health: health, by: .scrub, logger: logger) != nil { summary.repaired += 1 }
            }
            try await catalog.scrubbed(copy)
        }
        return summary
    }
}
