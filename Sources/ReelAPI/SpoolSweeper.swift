import Foundation
import Logging
import ReelCatalog
import ReelPostgres
import ReelStore
import ServiceLifecycle

/// Removes upload bytes nobody will finish from this API instance's spool,
/// every `interval` seconds: one-shot spool files no request has written to
/// for `staleAfter` seconds (a live upload writes at least once per body-stall
/// timeout), and resumable files whose upload expired, completed or is gone
/// (the scheduler deletes expired rows; the bytes are here).
struct SpoolSweeper: Service {
    let spool: URL
    let pool: PostgresPool
    let interval: Double
    let staleAfter: Double
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(interval))
                if Task.isCancelled { return }
                do { try await sweep() } catch { logger.warning("spool sweep failed", metadata: ["error": "\(error)"]) }
            }
        }
    }

    /// One pass; returns how many files it removed.
    @discardableResult
    func sweep() async throws -> Int {
        var removed = UploadSpool.sweep(in: spool, olderThan: staleAfter)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []
        let resumable = names.filter { $0.hasPrefix("resumable-") }.map { String($0.dropFirst("resumable-".count)) }
            .filter(VideoID.isValid)
        let live = try await Uploads.liveResumable(resumable, pool: pool)
        for id in resumable where !live.contains(id) {
            if (try? FileManager.default.removeItem(at: spool.appendingPathComponent("resumable-\(id)"))) != nil { removed += 1 }
        }
        if removed > 0 { logger.notice("removed \(removed) abandoned upload files from the spool") }
        return removed
    }
}
