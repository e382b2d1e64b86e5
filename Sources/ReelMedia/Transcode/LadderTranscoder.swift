import CFFmpeg
public import Foundation
public import ReelManifests

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
/// thread of its own, fed the decoded frames. The lowest rung gets a head
/// start (``HeadStart``), so its first segment, the one that makes a video
/// playable, exists a fraction of a second after the transcode begins.
/// Blocking: run it on a thread the transcode owns.
public enum LadderTranscoder {
    public static func transcode(
        _ path: String, info: MediaInfo, rungs: [Rung], to root: URL, segmentSeconds: Double = 2, threads: Int32 = 2,
        limits: MediaLimits = .standard, budget: MediaBudget = .unbounded, perTitle: PerTitleConfiguration? = nil,
        codec: VideoCodec = .h264,
        onSegment: @escaping (Rung, SegmentRecord) -> Void = { _, _ in },
        onPerTitle: @escaping (PerTitleRecord) -> Void = { _ in }
    ) throws(MediaError) -> [RungOutput] {
        try transcode(MediaSource(path: path, info: info, limits: limits, budget: budget), info: info, rungs: rungs, to: root,
                      segmentSeconds: segmentSeconds, threads: threads, perTitle: perTitle, codec: codec, onSegment: onSegment,
                      onPerTitle: onPerTitle)
    }

    /// With `perTitle`, the ladder's bit rates are the source's own
    /// (``PerTitlePlanner``): the lowest rung, which makes the video playable
    /// and so cannot wait for a measurement, is encoded at the target quality
    /// capped at its fixed bit rate; once its first segment is written the source
    /// is measured (``ComplexityProbe``), `onPerTitle` gets the outcome, and
    /// the other rungs start with their planned bit rates, or the fixed ones
    /// if the measurement failed. A ladder of one rung keeps its fixed rate.
    static func transcode(
        _ source: MediaSource, info: MediaInfo, rungs: [Rung], to root: URL, segmentSeconds: Double = 2, threads: Int32 = 2,
        perTitle requested: PerTitleConfiguration? = nil, codec: VideoCodec = .h264,
        onSegment: @escaping (Rung, SegmentRecord) -> Void = { _, _ in }, onPerTitle: (PerTitleRecord) -> Void = { _ in }
    ) throws(MediaError) -> [RungOutput] {
        guard !rungs.isEmpty else { throw MediaError(.unsupported, "the ladder has no rungs") }
        let rate = info.video.frameRate > 0 ? info.video.frameRate : 30
        let frameRate = av_d2q(rate, 100_000)
        let segmentFrames = max(1, Int((segmentSeconds * rate).rounded()))
        let rotation = info.video.geometry.rotation
        let reports = NSLock()
        let lowest = rungs.count > 1 ? rungs.min { $0.width * $0.height < $1.width * $1.height } : nil
        let headStart = HeadStart()
        // Per-title bit rates are measured with x264: an AV1 ladder keeps its planned rates.
        let perTitle = lowest == nil || codec != .h264 ? nil : requested
        var lanes: [Lane] = []
        // Each rung scales, encodes and muxes on a thread of its own, fed
        // reference-counted copies of the decoded frames through a short queue.
        var workers: [LaneWorker] = []
        defer { for worker in workers { _ = worker.finish() } }
        func start(_ rung: Rung, quality: Double? = nil) throws(MediaError) {
            let lane = try Lane(rung: rung, frameRate: frameRate, segmentFrames: segmentFrames,
                                threads: encoderThreads(for: rung, among: rungs, threads: threads), rotation: rotation,
                                folder: root.appendingPathComponent(rung.name), quality: quality, capped: true, codec: codec) { record in
                // Lanes run on their own threads: report one segment at a time.
                reports.withLock { onSegment(rung, record) }
                if rung == lowest { headStart.end() }
            }
            lanes.append(lane)
            workers.append(LaneWorker(lane: lane, rotation: rotation))
        }
        if let perTitle, let lowest {
            try start(lowest, quality: perTitle.crf)
        } else {
            for rung in rungs { try start(rung) }
        }
        func feed(_ frame: UnsafeMutablePointer<AVFrame>, pts: Int64, to worker: LaneWorker) throws(MediaError) {
            guard let copy = av_frame_clone(frame) else { throw MediaError(.unsupported, "out of memory for a frame") }
            worker.submit(copy, pts: pts, keyframe: pts % Int64(segmentFrames) == 0)
        }
        // The head start: the lowest rung alone, until its first segment is written.
        var ahead: Int64 = 0
        if let lead = workers.first(where: { $0.rung == lowest }) {
            let decoder = try VideoDecoder(source: source, threads: threads)
            var grid = FrameGrid(rate: rate)
            var previous: UnsafeMutablePointer<AVFrame>?
            defer { av_frame_free(&previous) }
            while !headStart.isOver, let frame = try decoder.next() {
                guard let placed = grid.place(decoder.seconds(of: frame)) else { continue }
                if let previous { for pts in placed.repeats { try feed(previous, pts: pts, to: lead) } }
                try feed(frame, pts: placed.slot, to: lead)
                av_frame_free(&previous)
                previous = av_frame_clone(frame)
            }
            ahead = grid.next
        }
        if let perTitle, let lowest {
            let record = plan(source, info: info, rungs: rungs, configuration: perTitle, threads: threads)
            onPerTitle(record)
            for rung in record.plan?.rungs ?? rungs where rung.name != lowest.name { try start(rung) }
        }
        // Then every rung from the start, the lowest only where it is not yet.
        let decoder = try VideoDecoder(source: source, threads: threads)
        var grid = FrameGrid(rate: rate)
        var previous: UnsafeMutablePointer<AVFrame>?
        defer { av_frame_free(&previous) }
        var lastEnd = 0.0
        while let frame = try decoder.next() {
            guard let placed = grid.place(decoder.seconds(of: frame)) else { continue }
            if let previous {
                for pts in placed.repeats {
                    for worker in workers where !(worker.rung == lowest && pts < ahead) { try feed(previous, pts: pts, to: worker) }
                }
            }
            for worker in workers where !(worker.rung == lowest && placed.slot < ahead) { try feed(frame, pts: placed.slot, to: worker) }
            av_frame_free(&previous)
            previous = av_frame_clone(frame)
            lastEnd = decoder.end(of: frame)
        }
        if let previous {
            for pts in grid.fill(until: lastEnd) {
                for worker in workers where !(worker.rung == lowest && pts < ahead) { try feed(previous, pts: pts, to: worker) }
            }
        }
        var failure: MediaError?
        for worker in workers {
            if let error = worker.finish(), failure == nil { failure = error }
        }
        if let failure { throw failure }
        guard grid.next > 0 else { throw MediaError(.unreadable, "no frame of the video could be decoded") }
        // In the ladder's order (largest first, then the dearer of one size), whatever order the lanes started in.
        return lanes.sorted {
            ($0.rung.width * $0.rung.height, $0.rung.bitrate) > ($1.rung.width * $1.rung.height, $1.rung.bitrate)
        }.map { lane in
            // libsvtav1's extradata is a sequence header, not the av1C record: read the CODECS string from what was written.
            let codecs = lane.encoder.codec == .h264 ? lane.encoder.codecString
                : (try? Data(contentsOf: root.appendingPathComponent(lane.rung.name).appendingPathComponent("init.mp4")))
                    .flatMap(CodecStrings.fromInitSegment) ?? "av01.0.08M.08"
            return RungOutput(rung: lane.rung, codecs: codecs, frameRate: rate,
                              timescale: Int(lane.writer.timeBase.den / max(1, lane.writer.timeBase.num)), segments: lane.writer.segments)
        }
    }

    /// The per-title plan for `rungs`, or why the fixed ladder stays: a
    /// measurement or plan that fails must never leave a video without a ladder.
    static func plan(
        _ source: MediaSource, info: MediaInfo, rungs: [Rung], configuration: PerTitleConfiguration, threads: Int32
    ) -> PerTitleRecord {
        let measured: ComplexityMeasurement
        do {
            measured = try ComplexityProbe.measure(source, info: info, rungs: rungs, crf: configuration.crf, spread: configuration.spread,
                                                   samples: 3, sampleSeconds: 1, threads: threads)
        } catch {
            return PerTitleRecord(measurement: nil, plan: nil, fallback: "the complexity measurement failed: \(error.message)")
        }
        do {
            return PerTitleRecord(measurement: measured, plan: try PerTitlePlanner.plan(fixed: rungs, measured: measured.bitrates,
                                                                                      curves: measured.curves, configuration: configuration), fallback: nil)
        } catch {
            return PerTitleRecord(measurement: measured, plan: nil, fallback: "no per-title plan: \(error.description)")
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
}
