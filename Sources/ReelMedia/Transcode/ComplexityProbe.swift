import CFFmpeg
import Foundation
public import ReelManifests
import ReelThreads

/// Measures a source's difficulty (``ComplexityMeasurement``) from a few
/// samples spread over it, each encoded at every rung's size with the ladder's
/// own encoder settings (H.264, the same preset, no B-frames, an IDR at each
/// sample's start), so the bit rates are what the ladder would need for that
/// quality. One decode serves every rung, and the rungs encode side by side
/// on their own threads, as in ``LadderTranscoder``.
///
/// Blocking: run it on a thread the caller owns.
public enum ComplexityProbe {
    /// Sample starts for a source of `duration` seconds: `count` samples of
    /// `length` seconds centred in equal parts of it, or one sample from the
    /// start when the source is too short to space them.
    public static func sampleStarts(duration: Double, count: Int, length: Double) -> [Double] {
        guard count > 1, duration >= Double(count) * length * 2 else { return [0] }
        return (0..<count).map { i in max(0, duration * (Double(i) + 0.5) / Double(count) - length / 2) }
    }

    public static func measure(
        _ path: String, info: MediaInfo, rungs: [Rung], crf: Double = PerTitleConfiguration.standard.crf, samples count: Int = 3, sampleSeconds: Double = 1,
        threads: Int32 = 2, limits: MediaLimits = .standard, budget: MediaBudget = .unbounded
    ) throws(MediaError) -> ComplexityMeasurement {
        try measure(MediaSource(path: path, info: info, limits: limits, budget: budget), info: info, rungs: rungs, crf: crf,
                    samples: count, sampleSeconds: sampleSeconds, threads: threads)
    }

    static func measure(
        _ source: MediaSource, info: MediaInfo, rungs: [Rung], crf: Double, samples count: Int, sampleSeconds: Double, threads: Int32
    ) throws(MediaError) -> ComplexityMeasurement {
        guard !rungs.isEmpty else { throw MediaError(.unsupported, "the ladder has no rungs") }
        let started = ContinuousClock.now
        let rate = info.video.frameRate > 0 ? info.video.frameRate : 30
        let frameRate = av_d2q(rate, 100_000)
        let frames = max(1, Int((sampleSeconds * rate).rounded()))
        let rotation = info.video.geometry.rotation
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("reel-probe-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }

        var lanes: [LadderTranscoder.Lane] = []
        for rung in rungs {
            lanes.append(try .init(rung: rung, frameRate: frameRate, segmentFrames: frames,
                                   threads: LadderTranscoder.encoderThreads(for: rung, among: rungs, threads: threads), rotation: rotation,
                                   folder: scratch.appendingPathComponent(rung.name), quality: crf) { _ in })
        }
        let workers = lanes.map { LadderTranscoder.LaneWorker(lane: $0, rotation: rotation) }
        defer { for worker in workers { _ = worker.finish() } }

        let starts = sampleStarts(duration: info.duration, count: count, length: sampleSeconds)
        let decoder = try VideoDecoder(source: source, threads: threads)
        var pts: Int64 = 0
        for start in starts {
            if start > 0 { decoder.seek(to: start) }
            var taken = 0
            // Frames before the sample's start (from the keyframe the seek
            // landed on) are decoded and dropped; each sample begins with an IDR.
            while taken < frames, let frame = try decoder.next() {
                guard decoder.seconds(of: frame) >= start - 0.5 / rate else { continue }
                guard let copy = av_frame_clone(frame) else { throw MediaError(.unsupported, "out of memory for a frame") }
                let first = taken == 0
                for (i, worker) in workers.enumerated() {
                    guard let shared = i == workers.count - 1 ? copy : av_frame_clone(copy) else {
                        throw MediaError(.unsupported, "out of memory for a frame")
                    }
                    worker.submit(shared, pts: pts, keyframe: first)
                }
                pts += 1
                taken += 1
            }
        }
        var failure: MediaError?
        for worker in workers {
            if let error = worker.finish(), failure == nil { failure = error }
        }
        if let failure { throw failure }
        guard pts > 0 else { throw MediaError(.unreadable, "no frame of the video could be decoded") }
        let seconds = Double(pts) / rate
        var bitrates: [String: Int] = [:]
        for lane in lanes {
            let bytes = lane.writer.segments.reduce(0) { $0 + $1.bytes }
            bitrates[lane.rung.name] = Int((Double(bytes) * 8 / seconds).rounded())
        }
        let took = ContinuousClock.now - started
        return ComplexityMeasurement(crf: crf, samples: starts, sampleSeconds: sampleSeconds, bitrates: bitrates,
                                     seconds: took.seconds)
    }
}

extension ComplexityProbe {
    /// ``measure(_:info:rungs:crf:samples:sampleSeconds:threads:limits:budget:)`` on a thread of
    /// its own: it decodes and encodes for about a second and must never hold
    /// a thread of the cooperative pool.
    public static func measure(
        path: String, info: MediaInfo, rungs: [Rung], crf: Double = PerTitleConfiguration.standard.crf, samples: Int = 3, sampleSeconds: Double = 1,
        threads: Int32 = 2, limits: MediaLimits = .standard, budget: MediaBudget = .unbounded
    ) async throws -> ComplexityMeasurement {
        try await onOwnThread(name: "reel-probe") {
            try measure(path, info: info, rungs: rungs, crf: crf, samples: samples, sampleSeconds: sampleSeconds,
                        threads: threads, limits: limits, budget: budget)
        }
    }
}
