import CFFmpeg
public import Foundation

/// What transcoding one rung produced.
public struct RungOutput: Sendable, Hashable, Codable {
    public let rung: Rung
    /// RFC 6381 codec string, e.g. "avc1.64001f".
    public let codecs: String
    public let frameRate: Double
    public let timescale: Int
    public let segments: [SegmentRecord]

    /// The track as the manifests need it.
    public var track: MediaTrack {
        .video(name: rung.name, codecs: codecs, width: rung.width, height: rung.height, frameRate: frameRate,
               timescale: timescale, segments: segments)
    }
}

/// Decodes a source once and encodes every rung of its ladder into CMAF
/// segments, one folder per rung (`720p/init.mp4`, `720p/0.m4s`, …), each file
/// written the moment it is complete.
///
/// Every rung has a constant frame rate (the source's average), is turned
/// upright by the display rotation, and has an IDR frame exactly every
/// `segmentSeconds`, at the same timestamps in every rung, so players can
/// switch rungs at any segment. Each rung scales, encodes and muxes on a
/// thread of its own, fed the decoded frames, so the rungs advance together and
/// the first segments of the lowest rung exist long before the ladder is done.
/// Blocking: run it on a thread the transcode owns.
public enum LadderTranscoder {
    public static func transcode(
        _ path: String, info: MediaInfo, rungs: [Rung], to root: URL, segmentSeconds: Double = 2, threads: Int32 = 2,
        onSegment: @escaping (Rung, SegmentRecord) -> Void = { _, _ in }
    ) throws(MediaError) -> [RungOutput] {
        guard !rungs.isEmpty else { throw MediaError(.unsupported, "the ladder has no rungs") }
        let rate = info.video.frameRate > 0 ? info.video.frameRate : 30
        let frameRate = av_d2q(rate, 100_000)
        let segmentFrames = max(1, Int((segmentSeconds * rate).rounded()))
        let decoder = try VideoDecoder(path: path, threads: threads)
        let rotation = info.video.geometry.rotation
        let quarter = rotation == 90 || rotation == 270
        let reporter = Reporter()
        var lanes: [Lane] = []
        for rung in rungs {
            let encoderThreads = encoderThreads(for: rung, among: rungs, threads: threads)
            let encoder = try VideoEncoder(rung: rung, frameRate: frameRate, segmentFrames: segmentFrames, threads: encoderThreads)
            guard let context = encoder.context else { throw MediaError(.unsupported, "the H.264 encoder is not open") }
            let writer = try FragmentedWriter(folder: root.appendingPathComponent(rung.name), encoder: context) { record in
                // Lanes run on their own threads: report one segment at a time.
                reporter.lock.withLock { onSegment(rung, record) }
            }
            lanes.append(Lane(rung: rung, encoder: encoder, writer: writer,
                              coded: quarter ? (rung.height, rung.width) : (rung.width, rung.height)))
        }
        // Each rung scales, encodes and muxes on a thread of its own, fed
        // reference-counted copies of the decoded frames through a short queue.
        let workers = lanes.map { LaneWorker(lane: $0, rotation: rotation) }
        var nextPTS: Int64 = 0
        var firstSeconds: Double?
        defer { for worker in workers { _ = worker.finish() } }
        while let frame = try decoder.next() {
            // Constant frame rate: place each source frame on the output grid,
            // dropping frames that land on a slot already filled.
            let seconds = decoder.seconds(of: frame)
            let start = firstSeconds ?? seconds
            firstSeconds = start
            if Int64(((seconds - start) * rate).rounded()) < nextPTS { continue }
            for worker in workers {
                guard let copy = av_frame_clone(frame) else { throw MediaError(.unsupported, "out of memory for a frame") }
                worker.submit(copy, pts: nextPTS, keyframe: nextPTS % Int64(segmentFrames) == 0)
            }
            nextPTS += 1
        }
        var failure: MediaError?
        for worker in workers {
            if let error = worker.finish(), failure == nil { failure = error }
        }
        if let failure { throw failure }
        guard nextPTS > 0 else { throw MediaError(.unreadable, "no frame of the video could be decoded") }
        return lanes.map { lane in
            RungOutput(rung: lane.rung, codecs: lane.encoder.codecString, frameRate: rate,
                       timescale: Int(lane.writer.timeBase.den / max(1, lane.writer.timeBase.num)), segments: lane.writer.segments)
        }
    }

    /// libx264 threads for one rung's encoder. The rungs already run side by
    /// side, so most get one thread; the largest rung is most of the work
    /// (as much as all the others together for the standard ladder), and with
    /// one thread it alone would set the ladder's pace: it gets `threads`.
    /// Measured on 2 cores: 9 % faster than one thread per rung.
    static func encoderThreads(for rung: Rung, among rungs: [Rung], threads: Int32) -> Int32 {
        let largest = rungs.max { $0.width * $0.height < $1.width * $1.height }
        return rung == largest ? max(1, threads) : 1
    }

    /// Serialises segment reports from the lanes' threads.
    final class Reporter: @unchecked Sendable {
        let lock = NSLock()
    }

    /// Runs one lane on its own thread. Frames arrive through a bounded queue
    /// (a few frames of memory per rung); the first error stops the lane's
    /// work, and the rest of its frames are only freed.
    final class LaneWorker: @unchecked Sendable {
        // Unchecked: frames and the lane are handed from the decoding thread
        // to this worker's thread through `items`, guarded by `lock`; only the
        // worker's thread touches the lane after `init`.
        private struct Item { let frame: UnsafeMutablePointer<AVFrame>?; let pts: Int64; let keyframe: Bool }
        private let lane: Lane
        private let rotation: Int
        private let lock = NSLock()
        private var items: [Item] = []
        private let available = DispatchSemaphore(value: 0)
        private let space = DispatchSemaphore(value: 8)
        private let done = DispatchSemaphore(value: 0)
        private var error: MediaError?
        private var finished = false

        init(lane: Lane, rotation: Int) {
            self.lane = lane
            self.rotation = rotation
            let thread = Thread { [self] in self.run() }
            thread.name = "reel-\(lane.rung.name)"
            thread.stackSize = 8 << 20
            thread.start()
        }

        func submit(_ frame: UnsafeMutablePointer<AVFrame>?, pts: Int64, keyframe: Bool) {
            space.wait()
            lock.withLock { items.append(Item(frame: frame, pts: pts, keyframe: keyframe)) }
            available.signal()
        }

        /// Flushes the encoder, closes the last segment, and returns the lane's error, if any. Idempotent.
        func finish() -> MediaError? {
            let first = lock.withLock { () -> Bool in
                defer { finished = true }
                return !finished
            }
            if first {
                submit(nil, pts: 0, keyframe: false)
                done.wait()
            }
            return lock.withLock { error }
        }

        private func run() {
            while true {
                available.wait()
                guard let item = lock.withLock({ items.isEmpty ? nil : items.removeFirst() }) else { continue }
                space.signal()
                var frame = item.frame
                let failed = lock.withLock { error != nil }
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
                    lock.withLock { if self.error == nil { self.error = error } }
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

    /// One rung's encoder, muxer, scaler and frame buffer.
    final class Lane {
        let rung: Rung
        let encoder: VideoEncoder
        let writer: FragmentedWriter
        let coded: (Int, Int)
        private var scaler: OpaquePointer?
        private var buffer: Picture?
        private var upright: Picture?

        deinit { sws_freeContext(scaler) }

        /// The source frame at this rung's size, upright, ready to encode.
        /// A source already at this size and format goes to the encoder as it
        /// is; otherwise one scaler, one scaled frame and one turned frame are
        /// reused (made writable again if the encoder still holds them).
        func scale(_ source: UnsafeMutablePointer<AVFrame>, rotation: Int) throws(MediaError) -> UnsafeMutablePointer<AVFrame> {
            if rotation == 0, Int(source.pointee.width) == coded.0, Int(source.pointee.height) == coded.1,
                source.pointee.format == AV_PIX_FMT_YUV420P.rawValue
            {
                return source
            }
            scaler = sws_getCachedContext(
                scaler, source.pointee.width, source.pointee.height, AVPixelFormat(rawValue: source.pointee.format),
                Int32(coded.0), Int32(coded.1), AV_PIX_FMT_YUV420P, SWS_BICUBIC, nil, nil, nil)
            guard let scaler else { throw MediaError(.unsupported, "cannot scale this video to \(rung)") }
            let scaled = try reusable(&buffer, width: coded.0, height: coded.1)
            guard cff_scale_frame(scaler, source, scaled.frame) > 0 else {
                throw MediaError(.unreadable, "a frame could not be scaled to \(rung)")
            }
            guard rotation != 0 else { return scaled.frame }
            let quarter = rotation == 90 || rotation == 270
            let turned = try reusable(&upright, width: quarter ? coded.1 : coded.0, height: quarter ? coded.0 : coded.1)
            scaled.rotate(clockwise: rotation, into: turned)
            return turned.frame
        }

        private func reusable(_ picture: inout Picture?, width: Int, height: Int) throws(MediaError) -> Picture {
            let target: Picture
            if let picture {
                target = picture
            } else {
                target = try Picture(width: width, height: height, format: AV_PIX_FMT_YUV420P, blank: false)
            }
            picture = target
            guard av_frame_make_writable(target.frame) >= 0 else { throw MediaError(.unsupported, "out of memory for a frame of \(rung)") }
            return target
        }

        init(rung: Rung, encoder: VideoEncoder, writer: FragmentedWriter, coded: (Int, Int)) {
            self.rung = rung
            self.encoder = encoder
            self.writer = writer
            self.coded = coded
        }

        func encode(_ frame: UnsafeMutablePointer<AVFrame>?) throws(MediaError) {
            try encoder.encode(frame) { (packet) throws(MediaError) in
                // One frame at the constant output rate (libx264 leaves it 0).
                if packet.pointee.duration == 0 { packet.pointee.duration = 1 }
                try writer.write(packet, encoderTimeBase: encoder.timeBase, startsSegment: packet.pointee.flags & AV_PKT_FLAG_KEY != 0)
            }
        }
    }
}
