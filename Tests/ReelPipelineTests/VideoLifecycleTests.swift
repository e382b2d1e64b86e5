import ReelCatalog
import ReelPipeline
import Testing

/// The lifecycle's table, row by row, without a database.
@Suite struct VideoLifecycleTests {
    typealias Event = VideoLifecycle.Event

    /// Where each event takes each status (nil: it does not apply), as docs/architecture.md draws it.
    static let expected: [Event: [VideoStatus: VideoStatus]] = [
        .uploaded: [:],
        .planned: [.uploaded: .processing],
        .firstSegments: [.uploaded: .playable, .processing: .playable],
        .packaged: [.uploaded: .ready, .processing: .ready, .playable: .ready],
        .failed: [.uploaded: .failed, .processing: .failed, .playable: .failed],
        .deleted: [.uploaded: .deleted, .processing: .deleted, .playable: .deleted, .ready: .deleted, .failed: .deleted],
    ]

    @Test(arguments: Event.allCases) func eachEventMovesOnlyFromItsStatuses(event: Event) {
        for status in VideoStatus.allCases {
            #expect(VideoLifecycle.next(from: status, on: event) == Self.expected[event]?[status], "\(event) from \(status)")
        }
    }

    @Test func anUploadStartsThePublishingChainAndNothingElse() {
        let move = VideoLifecycle.transition(.uploaded)
        #expect(move.to == .uploaded && move.from.isEmpty)
        #expect(move.starts == [.publish] && move.cancels.isEmpty)
    }

    @Test func playableAndReadyWarmTheEdgesAndReadyReplicates() {
        #expect(VideoLifecycle.transition(.firstSegments).starts == [.warmEdges(reason: "playable")])
        #expect(VideoLifecycle.transition(.packaged).starts == [.warmEdges(reason: "ready"), .replicate])
        #expect(VideoLifecycle.transition(.planned).starts.isEmpty)
        #expect(VideoLifecycle.transition(.failed).starts.isEmpty)
    }

    @Test func deletingCancelsThePublishingChainAndPurgesTheEdges() {
        let move = VideoLifecycle.transition(.deleted)
        #expect(move.cancels == [.publish])
        #expect(move.starts == [.purgeEdges])
        // Only deleting cancels anything.
        for event in Event.allCases where event != .deleted {
            #expect(VideoLifecycle.transition(event).cancels.isEmpty, "\(event)")
        }
    }

    @Test func deletedIsFinalAndEveryOtherStatusCanBeReachedFromAnUpload() {
        for event in Event.allCases {
            #expect(VideoLifecycle.next(from: .deleted, on: event) == nil, "\(event) revives a deleted video")
        }
        var reached: Set<VideoStatus> = [.uploaded]
        var frontier: [VideoStatus] = [.uploaded]
        while let status = frontier.popLast() {
            for event in Event.allCases {
                if let next = VideoLifecycle.next(from: status, on: event), reached.insert(next).inserted { frontier.append(next) }
            }
        }
        #expect(reached == Set(VideoStatus.allCases))
    }
}
