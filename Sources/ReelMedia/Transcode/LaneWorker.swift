import CFFmpeg
import Foundation
import ReelManifests

extension LadderTranscoder {
    /// Lets the lowest rung run alone until its first segment is written,
    /// because that segment is what makes a video playable.
    ///
    /// With every rung in step, the lowest rung's first segment waits for the
    /// largest rung to encode a whole segment too (2 s of 1080x1920 on two
    /// cores). So the transcode first decodes for the lowest rung alone, which
    /// leaves both cores to the decoder and that rung, until its first segment
    /// is written (a few hundred milliseconds); then it decodes again from the
    /// start for every rung, and the lowest rung takes only the frames it does
    /// not have yet. Decoding the first two seconds twice costs far less than
    /// queueing them for the other rungs: a segment of 1080x1920 frames is
    /// 250 MB, and frames that old come back from memory, not from cache
    /// (measured: 10 % more CPU time for the whole ladder).
    final class HeadStart: @unchecked Sendable {
        // Unchecked: `over` is guarded by `lock`.
        private let lock = NSLock()
        private var over = false

        var isOver: Bool { lock.withLock { over } }

        /// The lowest rung's first segment is written. Idempotent.
        func end() { lock.withLock { over = true } }
    }

    /// Places decoded frames on the constant-rate output grid, as the frame
    /// rate conversion of a player or of ffmpeg's `fps` filter does: a frame
    /// takes the slot nearest its time; one whose slot is already filled (a
    /// fast stretch of a variable-rate source) is dropped; before one whose
    /// slot lies ahead (a slow stretch), the previous frame fills the slots
    /// between. So every rung has the source's average rate exactly, and its
    /// frames stay at their times: the video lasts as long as the source and
    /// stays in step with the audio.
    struct FrameGrid {
        let rate: Double
        private var first: Double?
        /// The next free slot: the number of frames placed so far.
        private(set) var next: Int64 = 0

        init(rate: Double) { self.rate = rate }

        /// For a frame shown at `seconds`: the slots the previous frame must
        /// fill first and the frame's own slot; nil to drop it.
        mutating func place(_ seconds: Double) -> (repeats: Range<Int64>, slot: Int64)? {
            let start = first ?? seconds
            first = start
            let target = Int64(((seconds - start) * rate).rounded())
            guard target >= next else { return nil }
            // The first frame has nothing before it to repeat: it starts the grid.
            let repeats = next == 0 ? next..<next : next..<target
            let slot = next == 0 ? 0 : target
            next = slot + 1
            return (repeats, slot)
        }

        /// The slots the last frame fills until the video ends at `seconds`
        /// (its time plus its own duration), so the last frame of a slow
        /// stretch lasts as long as it does in the source.
        mutating func fill(until seconds: Double) -> Range<Int64> {
            guard let first else { return next..<next }
            let end = Int64(((seconds - first) * rate).rounded())
            defer { next = max(next, end) }
            return next..<max(next, end)
        }
    }

    /// Runs one lane on its own thread. Frames arrive through a bounded queue
    /// (a few frames of memory per rung); the first error stops the lane's
    /// work, and the rest of its frames are only freed.
    final class LaneWorker: @unchecked Sendable {
        // Unchecked: frames and the lane are handed from the decoding thread
        // to this worker's thread through `items`, guarded by `condition`;
        // only the worker's thread touches the lane after `init`.
        private struct Item { let frame: UnsafeMutablePointer<AVFrame>?; let pts: Int64; let keyframe: Bool }
        /// Frames queued per lane: enough to keep the lanes busy while the
        /// decoder works, few enough to stay in cache.
        static let depth = 8
        private let lane: Lane
        private let rotation: Int
        private let condition = NSCondition()
        private var items: [Item] = []
        private let done = DispatchSemaphore(value: 0)
        private var error: MediaError?
        private var finished = false

        var rung: Rung { lane.rung }

        init(lane: Lane, rotation: Int) {
            self.lane = lane
            self.rotation = rotation
            let thread = Thread { [self] in self.run() }
            thread.name = "reel-\(lane.rung.name)"
            thread.stackSize = 8 << 20
            thread.start()
        }

        func submit(_ frame: UnsafeMutablePointer<AVFrame>?, pts: Int64, keyframe: Bool) {
            condition.withLock {
                while items.count >= Self.depth { condition.wait() }
                items.append(Item(frame: frame, pts: pts, keyframe: keyframe))
                condition.broadcast()
            }
        }

        /// Flushes the encoder, closes the last segment, and returns the lane's error, if any. Idempotent.
        func finish() -> MediaError? {
            let first = condition.withLock { () -> Bool in
                defer { finished = true }
                return !finished
            }
            if first {
                submit(nil, pts: 0, keyframe: false)
                done.wait()
            }
            return condition.withLock { error }
        }

        private func next() -> Item {
            condition.withLock {
                while items.isEmpty { condition.wait() }
                condition.broadcast()
                return items.removeFirst()
            }
        }

        private func run() {
            while true {
                let item = next()
                var frame = item.frame
                let failed = condition.withLock { error != nil }
                do throws(MediaError) {
                    if let source = frame {
                        if !failed {
                            let picture = try lane.scale(source, rotation: rotation)
                            picture.pointee.pts = item.pts
                            picture.pointee.pict_type = item.keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE
                            try lane.encode(picture)
                        }
                        av_frame_free(&frame)
                        continue
                    }
                    if !failed {
                        try lane.encode(nil)
                        try lane.writer.finish()
                    }
                } catch {
                    condition.withLock { if self.error == nil { self.error = error } }
                    if frame != nil {
                        av_frame_free(&frame)
                        continue
                    }
                }
                done.signal()
                return
            }
        }
    }
}
