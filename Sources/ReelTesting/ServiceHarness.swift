public import Logging
public import ServiceLifecycle

/// Runs services (a worker, a scheduler) in the test process and shuts them
/// down gracefully, the way SIGTERM would.
public final class ServiceHarness: Sendable {
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    public init(_ services: [any Service], label: String = "reel.test") {
        var logger = Logger(label: label)
        logger.logLevel = .warning
        group = ServiceGroup(services: services, logger: logger)
        let group = self.group
        task = Task { try await group.run() }
    }

    /// Triggers graceful shutdown and waits until every service returned.
    public func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}

extension Logger {
    /// A quiet logger for tests (warnings and worse).
    public static var test: Logger {
        var logger = Logger(label: "reel.test")
        logger.logLevel = .warning
        return logger
    }
}
