import ReelManifests
/// A probed source and the bounds of the work on it: what every decoder of a
/// transcode opens, so each opens the container the probe accepted, through
/// ``ContainedInput``, and stops where the budget says.
struct MediaSource: Sendable {
    let path: String
    /// The demuxer the probe accepted (`MediaInfo.container`).
    let container: String
    let limits: MediaLimits
    let budget: MediaBudget

    init(path: String, info: MediaInfo, limits: MediaLimits, budget: MediaBudget) {
        self.path = path
        container = info.container
        self.limits = limits
        self.budget = budget
    }

    /// A file Reel wrote itself (the probe's renditions), with its known demuxer.
    init(path: String, container: String, limits: MediaLimits = .standard, budget: MediaBudget = .unbounded) {
        self.path = path
        self.container = container
        self.limits = limits
        self.budget = budget
    }

    func open() throws(MediaError) -> ContainedInput {
        try ContainedInput(path: path, limits: limits, demuxer: container)
    }
}
