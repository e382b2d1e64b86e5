public import ReelCatalog

/// A video's way from upload to playback as one pure state machine: which
/// events move it from which statuses to which, and which jobs each move
/// starts and cancels. Nothing here touches a database; ``VideoTransitions``
/// applies a move in the caller's transaction, and the tests check every row
/// of the table without I/O (`VideoLifecycleTests`).
///
/// ```
/// uploaded ──planned──► processing ──firstSegments──► playable ──packaged──► ready
///    │                      │                            │
///    └──────────────────────┴──── failed ────────────────┘      any but deleted ──deleted──► deleted
/// ```
public enum VideoLifecycle {
    /// What happened to a video.
    public enum Event: String, Sendable, Hashable, CaseIterable {
        /// Its source is stored and its row created (the upload's transaction).
        case uploaded
        /// Ingest probed the source and planned the ladder.
        case planned
        /// The lowest rung and the audio each have a stored segment: it plays.
        case firstSegments
        /// Every rung is complete and the poster and sprite are stored.
        case packaged
        /// A media job found the upload unusable (the reason is the job's error).
        case failed
        /// Its owner or an operator deleted it.
        case deleted
    }

    /// A job a move starts or cancels, for the video it is about.
    public enum Job: Sendable, Hashable {
        /// The publishing chain: ingest → transcode → package.
        case publish
        /// Warm every enabled edge with the video, giving the reason.
        case warmEdges(reason: String)
        /// Remove the video from every enabled edge.
        case purgeEdges
        /// Copy the video's objects to every region but its home one.
        case replicate
    }

    /// One move: from which statuses an event applies, where it leads, and its jobs.
    public struct Transition: Sendable, Hashable {
        public let event: Event
        /// The statuses the event applies in; in any other, it changes nothing.
        public let from: Set<VideoStatus>
        public let to: VideoStatus
        public let starts: [Job]
        public let cancels: [Job]
    }

    static let live: Set<VideoStatus> = [.uploaded, .processing, .playable, .ready, .failed]

    /// The move an event makes.
    public static func transition(_ event: Event) -> Transition {
        switch event {
        case .uploaded:
            Transition(event: event, from: [], to: .uploaded, starts: [.publish], cancels: [])
        case .planned:
            Transition(event: event, from: [.uploaded], to: .processing, starts: [], cancels: [])
        case .firstSegments:
            Transition(event: event, from: [.uploaded, .processing], to: .playable, starts: [.warmEdges(reason: "playable")], cancels: [])
        case .packaged:
            Transition(event: event, from: [.uploaded, .processing, .playable], to: .ready,
                       starts: [.warmEdges(reason: "ready"), .replicate], cancels: [])
        case .failed:
            Transition(event: event, from: [.uploaded, .processing, .playable], to: .failed, starts: [], cancels: [])
        case .deleted:
            Transition(event: event, from: live, to: .deleted, starts: [.purgeEdges], cancels: [.publish])
        }
    }

    /// Where `event` takes a video in `status`; nil when it does not apply
    /// there (a late segment of a deleted video, a second `packaged`).
    public static func next(from status: VideoStatus, on event: Event) -> VideoStatus? {
        let move = transition(event)
        return move.from.contains(status) ? move.to : nil
    }
}
