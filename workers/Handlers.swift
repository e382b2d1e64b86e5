public import ReelQueue

/// Every handler Reel ships, by kind: what `reel worker` runs and what
/// `reel submit` accepts.
public enum ReelHandlers {
    public static var all: JobHandlers {
        var handlers = JobHandlers()
        DemoHandlers.register(into: &handlers)
        MediaHandlers.register(into: &handlers)
        return handlers
    }
}
