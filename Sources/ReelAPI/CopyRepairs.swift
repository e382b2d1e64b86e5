import Foundation
import Logging
import ReelCatalog
import ReelStore
import Synchronization

/// Repairs, in the background, copies the API found damaged while filling an
/// edge: quarantine, a finding in `object_findings` (found by `edge-fill`),
/// and the good bytes copied back from another region (``ObjectScrubber``).
/// One repair per copy at a time in this process.
final class CopyRepairs: Sendable {
    private let scrubber: ObjectScrubber
    private let logger: Logger
    private let running = Mutex(Set<Catalog.Copy>())

    init(scrubber: ObjectScrubber, logger: Logger) {
        self.scrubber = scrubber
        self.logger = logger
    }

    func start(_ copy: Catalog.Copy) {
        guard running.withLock({ $0.insert(copy).inserted }) else { return }
        Task { [self] in
            defer { _ = running.withLock { $0.remove(copy) } }
            // Read it again: another process may have repaired it meanwhile.
            let health = await scrubber.check(copy)
            guard health == .corrupt else { return }
            do {
                try await scrubber.repair(copy, health: health, by: .edgeFill, logger: logger)
            } catch {
                logger.error("repairing a corrupt copy failed", metadata: ["digest": "\(copy.digest)", "region": "\(copy.region)", "error": "\(error)"])
            }
        }
    }
}
