public import Foundation
public import ReelManifests

/// A packaged video: its renditions on disk and their manifests.
public struct PackagedVideo: Sendable, Hashable, Codable {
    public let root: URL
    public let video: [RungOutput]
    public let audio: MediaTrack?

    public init(root: URL, video: [RungOutput], audio: MediaTrack?) {
        self.root = root
        self.video = video
        self.audio = audio
    }
}

/// Turns a source file into a playable folder: the audio rendition, every
/// rung of the ladder, media playlists kept current as segments land (EVENT
/// playlists until complete), then the final VOD playlists, the HLS master
/// (`master.m3u8`) and the DASH MPD (`manifest.mpd`) over the same segments.
///
/// Audio runs on a thread of its own beside the video: it encodes many times
/// faster than real time, so the lowest rung's first video segment finds its
/// audio already written, and the ladder does not wait for it.
/// Blocking: run it on a thread the transcode owns.
public enum MediaPackager {
    public static func package(
        _ path: String, info: MediaInfo, rungs: [Rung], to root: URL, segmentSeconds: Double = 2, threads: Int32 = 2, audio includeAudio: Bool = true,
        limits: MediaLimits = .standard, budget: MediaBudget = .unbounded, perTitle: PerTitleConfiguration? = nil,
        onSegment: @escaping (String, SegmentRecord) -> Void = { _, _ in },
        onPerTitle: @escaping (PerTitleRecord) -> Void = { _ in }
    ) throws(MediaError) -> PackagedVideo {
        let packaged = try renditions(path, info: info, rungs: rungs, to: root, segmentSeconds: segmentSeconds,
                                      threads: threads, audio: includeAudio, limits: limits, budget: budget, perTitle: perTitle,
                                      onSegment: onSegment, onPerTitle: onPerTitle)
        try writeManifests(packaged)
        return packaged
    }

    /// The renditions alone (audio, every rung, each rung's growing EVENT
    /// playlist), without the final playlists, the master playlist and MPD.
    /// `limits` and `budget` bound the work (``MediaLimits``, ``MediaBudget``);
    /// the source is opened as the container `info` says, never probed again.
    public static func renditions(
        _ path: String, info: MediaInfo, rungs: [Rung], to root: URL, segmentSeconds: Double = 2, threads: Int32 = 2, audio includeAudio: Bool = true,
        limits: MediaLimits = .standard, budget: MediaBudget = .unbounded, perTitle: PerTitleConfiguration? = nil,
        onSegment: @escaping (String, SegmentRecord) -> Void = { _, _ in },
        onPerTitle: @escaping (PerTitleRecord) -> Void = { _ in }
    ) throws(MediaError) -> PackagedVideo {
        let source = MediaSource(path: path, info: info, limits: limits, budget: budget)
        let audioFolder = root.appendingPathComponent("audio")
        // Segments are reported from the audio's thread and the rungs' threads: one at a time.
        let reports = NSLock()
        let audioTask = BlockingTask(name: "reel-audio") { () throws(MediaError) -> MediaTrack? in
            guard includeAudio else { return nil }
            let audio = try AudioTranscoder.transcode(source, to: audioFolder, segmentSeconds: segmentSeconds) { record in
                reports.withLock { onSegment("audio", record) }
            }
            if let audio { try save(HLSPlaylist.media(audio, complete: true), audioFolder.appendingPathComponent("index.m3u8")) }
            return audio
        }
        var written: [String: [SegmentRecord]] = [:]
        var failure: MediaError?
        let transcoded = Result { () throws(MediaError) in
            try LadderTranscoder.transcode(source, info: info, rungs: rungs, to: root, segmentSeconds: segmentSeconds,
                                           threads: threads, perTitle: perTitle, onSegment: { rung, record in
                reports.withLock {
                    written[rung.name, default: []].append(record)
                    onSegment(rung.name, record)
                    if failure == nil, let error = progress(rung, written[rung.name] ?? [], info: info, root: root) { failure = error }
                }
            }, onPerTitle: onPerTitle)
        }
        // The audio's error comes first: a broken source usually breaks both.
        let audio = try audioTask.value()
        let video = try transcoded.get()
        if let failure { throw failure }
        return PackagedVideo(root: root, video: video, audio: audio)
    }

    /// Every rung's final media playlist, the HLS master playlist and the DASH MPD over finished renditions, and
    /// with audio, each rung's HLS variant that carries it (`{rung}.av/`, see
    /// ``MuxedVariant``): the API splices those on request, a folder needs them as files.
    public static func writeManifests(_ packaged: PackagedVideo) throws(MediaError) {
        let tracks = packaged.video.map(\.track)
        for track in tracks {
            try save(HLSPlaylist.media(track, complete: true), packaged.root.appendingPathComponent(track.name).appendingPathComponent("index.m3u8"))
        }
        if let audio = packaged.audio {
            for track in tracks { try writeVariant(track, audio: audio, root: packaged.root) }
        }
        try save(HLSPlaylist.master(video: tracks, audio: packaged.audio), packaged.root.appendingPathComponent("master.m3u8"))
        try save(DASHManifest.mpd(video: tracks, audio: packaged.audio, complete: true), packaged.root.appendingPathComponent("manifest.mpd"))
    }

    static func writeVariant(_ track: MediaTrack, audio: MediaTrack, root: URL) throws(MediaError) {
        func bytes(_ folder: String, _ file: String) throws(MediaError) -> [UInt8] {
            let url = root.appendingPathComponent(folder).appendingPathComponent(file)
            do { return Array(try Data(contentsOf: url)) } catch { throw MediaError(.unreadable, "cannot read \(url.path): \(error)") }
        }
        let variant = MuxedVariant.track(video: track, audio: audio, audioComplete: true)
        let folder = root.appendingPathComponent(variant.name)
        func write(_ data: [UInt8], _ file: String) throws(MediaError) {
            do { try Data(data).write(to: folder.appendingPathComponent(file), options: .atomic) } catch {
                throw MediaError(.unsupported, "cannot write \(folder.path)/\(file): \(error)")
            }
        }
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw MediaError(.unsupported, "cannot create the output folder \(folder.path): \(error)")
        }
        try write(MuxedVariant.initSegment(video: bytes(track.name, "init.mp4"), audio: bytes(audio.name, "init.mp4")), "init.mp4")
        let audioNumbers = Set(audio.segments.map(\.number))
        for segment in variant.segments {
            let sound = audioNumbers.contains(segment.number) ? try bytes(audio.name, "\(segment.number).m4s") : nil
            try write(MuxedVariant.segment(number: segment.number, video: bytes(track.name, "\(segment.number).m4s"), audio: sound),
                      "\(segment.number).m4s")
        }
        try save(HLSPlaylist.media(variant, complete: true), folder.appendingPathComponent("index.m3u8"))
    }

    /// Rewrites a rung's EVENT playlist after each segment (the growing
    /// playlist a player can start on now); nil when it worked.
    static func progress(_ rung: Rung, _ segments: [SegmentRecord], info: MediaInfo, root: URL) -> MediaError? {
        let track = MediaTrack.video(name: rung.name, codecs: "", width: rung.width, height: rung.height,
                                     frameRate: info.video.frameRate, timescale: segments.first?.timescale ?? 1, segments: segments)
        do {
            try save(HLSPlaylist.media(track, complete: false), root.appendingPathComponent(rung.name).appendingPathComponent("index.m3u8"))
            return nil
        } catch {
            return error
        }
    }

    static func save(_ text: String, _ url: URL) throws(MediaError) {
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw MediaError(.unsupported, "cannot write \(url.path): \(error)")
        }
    }
}

extension MediaPackager {
    /// ``package(_:info:rungs:to:segmentSeconds:threads:audio:limits:budget:perTitle:onSegment:onPerTitle:)`` on a
    /// thread of its own: decoding and encoding block for seconds to minutes
    /// and must never hold a thread of the cooperative pool.
    public static func package(
        path: String, info: MediaInfo, rungs: [Rung], to root: URL, segmentSeconds: Double = 2, threads: Int32 = 2, audio includeAudio: Bool = true,
        limits: MediaLimits = .standard, budget: MediaBudget = .unbounded, perTitle: PerTitleConfiguration? = nil,
        onSegment: @escaping @Sendable (String, SegmentRecord) -> Void = { _, _ in },
        onPerTitle: @escaping @Sendable (PerTitleRecord) -> Void = { _ in }
    ) async throws -> PackagedVideo {
        try await onOwnThread {
            try package(path, info: info, rungs: rungs, to: root, segmentSeconds: segmentSeconds, threads: threads,
                        audio: includeAudio, limits: limits, budget: budget, perTitle: perTitle,
                        onSegment: onSegment, onPerTitle: onPerTitle)
        }
    }

    /// ``renditions(_:info:rungs:to:segmentSeconds:threads:audio:limits:budget:perTitle:onSegment:onPerTitle:)`` on a thread of its own.
    public static func renditions(
        path: String, info: MediaInfo, rungs: [Rung], to root: URL, segmentSeconds: Double = 2, threads: Int32 = 2, audio includeAudio: Bool = true,
        limits: MediaLimits = .standard, budget: MediaBudget = .unbounded, perTitle: PerTitleConfiguration? = nil,
        onSegment: @escaping @Sendable (String, SegmentRecord) -> Void = { _, _ in },
        onPerTitle: @escaping @Sendable (PerTitleRecord) -> Void = { _ in }
    ) async throws -> PackagedVideo {
        try await onOwnThread {
            try renditions(path, info: info, rungs: rungs, to: root, segmentSeconds: segmentSeconds, threads: threads,
                           audio: includeAudio, limits: limits, budget: budget, perTitle: perTitle,
                           onSegment: onSegment, onPerTitle: onPerTitle)
        }
    }
}

/// Runs blocking media work on a new thread and awaits its result.
func onOwnThread<T: Sendable>(name: String = "reel-transcode", _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }
}
