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
        _ path: String, info: MediaInfo, rungs: [Rung], crf: Double = PerTitleConfiguration.standard.crf,
        spread: Double = PerTitleConfiguration.standard.spread, samples count: Int = 3, sampleSeconds: Double = 1,
        threads: Int32 = 2, limits: MediaLimits = .standard, budget: MediaBudget = .unbounded
    ) throws(MediaError) -> ComplexityMeasurement {
        try measure(MediaSource(path: path, info: info, limits: limits, budget: budget), info: info, rungs: rungs, crf: crf,
                    spread: spread, samples: count, sampleSeconds: sampleSeconds, threads: threads)
    }

    /// Every rung is encoded at `crf` and at `crf + spread`; each encode is
    /// then decoded, scaled up to the largest rung's size and compared with
    /// the source at that size (``QualityPoint``), every third frame.
    static func measure(
        _ source: MediaSource, info: MediaInfo, rungs: [Rung], crf: Double, spread: Double, samples count: Int, sampleSeconds: Double,
        threads: Int32
    ) throws(MediaError) -> ComplexityMeasurement {
        guard !rungs.isEmpty else { throw MediaError(.unsupported, "the ladder has no rungs") }
        let started = ContinuousClock.now
        let rate = info.video.frameRate > 0 ? info.video.frameRate : 30
        let frameRate = av_d2q(rate, 100_000)
        let frames = max(1, Int((sampleSeconds * rate).rounded()))
        let rotation = info.video.geometry.rotation
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("reel-probe-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }

        let qualities = spread > 0 ? [crf, crf + spread] : [crf]
        var encodes: [(rung: Rung, crf: Double, lane: LadderTranscoder.Lane)] = []
        for rung in rungs {
            for quality in qualities {
                let folder = scratch.appendingPathComponent("\(rung.name)-crf\(quality)")
                // Capped at twice the fixed rate: no rung is given more than its ceiling, and noise at CRF 21
                // would otherwise cost 40 Mb/s of encoding for nothing.
                encodes.append((rung, quality, try .init(rung: rung.at(bitrate: rung.bitrate * 2), frameRate: frameRate, segmentFrames: frames,
                                                        threads: LadderTranscoder.encoderThreads(for: rung, among: rungs, threads: threads),
                                                        rotation: rotation, folder: folder, quality: quality, capped: true) { _ in }))
            }
        }
        let workers = encodes.map { LadderTranscoder.LaneWorker(lane: $0.lane, rotation: rotation) }
        defer { for worker in workers { _ = worker.finish() } }

        let starts = sampleStarts(duration: info.duration, count: count, length: sampleSeconds)
        let taken = try forEachSampleFrame(source, starts: starts, frames: frames, rate: rate, threads: threads) { (frame, index) throws(MediaError) in
            guard let copy = av_frame_clone(frame) else { throw MediaError(.unsupported, "out of memory for a frame") }
            for (i, worker) in workers.enumerated() {
                guard let shared = i == workers.count - 1 ? copy : av_frame_clone(copy) else {
                    throw MediaError(.unsupported, "out of memory for a frame")
                }
                // Each sample begins with an IDR.
                worker.submit(shared, pts: Int64(index), keyframe: index % frames == 0)
            }
        }
        var failure: MediaError?
        for worker in workers {
            if let error = worker.finish(), failure == nil { failure = error }
        }
        if let failure { throw failure }
        guard taken > 0 else { throw MediaError(.unreadable, "no frame of the video could be decoded") }
        let seconds = Double(taken) / rate
        func bitrate(_ lane: LadderTranscoder.Lane) -> Int {
            Int((Double(lane.writer.segments.reduce(0) { $0 + $1.bytes }) * 8 / seconds).rounded())
        }
        var bitrates: [String: Int] = [:]
        for encode in encodes where encode.crf == crf { bitrates[encode.rung.name] = bitrate(encode.lane) }
        var quality: [String: [QualityPoint]]?
        if spread > 0 {
            let display = rungs.max { $0.width * $0.height < $1.width * $1.height } ?? rungs[0]
            let psnr = try DisplayQuality.psnr(of: encodes.map(\.lane), against: source, starts: starts, frames: frames, rate: rate,
                                               threads: threads, rotation: rotation, display: (display.width, display.height))
            quality = [:]
            for (encode, dB) in zip(encodes, psnr) {
                quality?[encode.rung.name, default: []].append(QualityPoint(crf: encode.crf, bitrate: bitrate(encode.lane),
                                                                            psnr: (dB * 100).rounded() / 100))
            }
        }
        let took = ContinuousClock.now - started
        return ComplexityMeasurement(crf: crf, samples: starts, sampleSeconds: sampleSeconds, bitrates: bitrates,
                                     seconds: took.seconds, quality: quality)
    }

    /// Decodes the samples: `frames` frames from each start (frames before a
    /// start, from the keyframe the seek landed on, are decoded and dropped),
    /// handing each to `body` with its index over all samples (the frame is
    /// the decoder's, valid during the call). Returns how many were handed.
    static func forEachSampleFrame(
        _ source: MediaSource, starts: [Double], frames: Int, rate: Double, threads: Int32,
        _ body: (UnsafeMutablePointer<AVFrame>, Int) throws(MediaError) -> Void
    ) throws(MediaError) -> Int {
        let decoder = try VideoDecoder(source: source, threads: threads)
        var index = 0
        for start in starts {
            if start > 0 { decoder.seek(to: start) }
            var taken = 0
            while taken < frames, let frame = try decoder.next() {
                guard decoder.seconds(of: frame) >= start - 0.5 / rate else { continue }
                try body(frame, index)
                index += 1
                taken += 1
            }
        }
        return index
    }
}

extension ComplexityProbe {
    /// ``measure(_:info:rungs:crf:spread:samples:sampleSeconds:threads:limits:budget:)`` on a thread of
    /// its own: it decodes and encodes for about a second and must never hold
    /// a thread of the cooperative pool.
    public static func measure(
        path: String, info: MediaInfo, rungs: [Rung], crf: Double = PerTitleConfiguration.standard.crf,
        spread: Double = PerTitleConfiguration.standard.spread, samples: Int = 3, sampleSeconds: Double = 1,
        threads: Int32 = 2, limits: MediaLimits = .standard, budget: MediaBudget = .unbounded
    ) async throws -> ComplexityMeasurement {
        try await onOwnThread(name: "reel-probe") {
            try measure(path, info: info, rungs: rungs, crf: crf, spread: spread, samples: samples, sampleSeconds: sampleSeconds,
                        threads: threads, limits: limits, budget: budget)
        }
    }
}
