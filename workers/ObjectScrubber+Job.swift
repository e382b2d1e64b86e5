public import ReelCatalog
import Logging
import ReelPipeline
public import ReelQueue

extension ObjectScrubber {
    /// `objects.scrub` (periodic, every minute: `{"seconds": 50}`), at `rate` copies a second.
    public func register(into handlers: inout JobHandlers, rate: Double) {
        let scrubber = self
        handlers.register(ReelJobs.scrub) { args, context in
            let summary = try await scrubber.scrub(rate: rate, seconds: max(1, args.seconds ?? 50), logger: context.logger)
            context.logger.info("scrubbed", metadata: ["checked": "\(summary.checked)", "corrupt": "\(summary.corrupt)",
                                                       "missing": "\(summary.missing)", "repaired": "\(summary.repaired)"])
            return .completed
        }
    }
}
