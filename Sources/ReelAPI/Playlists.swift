import Foundation
import ReelCatalog
import ReelManifests

/// HLS and DASH for a video, written from the catalog on each request, so
/// they grow while the video is being published: the master lists the
/// rungs that have segments (lowest first; with sound, as the variants that
/// carry it, ``MuxedVariant``), media playlists are EVENT
/// playlists until their rendition is complete and VOD after, and the MPD
/// is dynamic until every rendition is complete.
enum Playlists {
    static func tracks(_ playback: Playback) -> (video: [MediaTrack], audio: MediaTrack?) {
        let channels = audioChannels(playback.probe)
        var video: [MediaTrack] = []
        var audio: MediaTrack?
        for rendition in playback.renditions where !rendition.segments.isEmpty {
            let segments = rendition.segments.map {
                SegmentRecord(number: $0.number, startTime: $0.startTime, duration: $0.duration, bytes: Int($0.bytes), timescale: rendition.timescale)
            }
            if rendition.kind == "audio" {
                audio = .audio(name: rendition.name, codecs: rendition.codecs, sampleRate: 48_000, channels: channels,
                               timescale: rendition.timescale, segments: segments)
            } else {
                video.append(.video(name: rendition.name, codecs: rendition.codecs, width: rendition.width ?? 0, height: rendition.height ?? 0,
                                    frameRate: rendition.frameRate ?? 30, timescale: rendition.timescale, segments: segments))
            }
        }
        return (video, audio)
    }

    static func master(_ playback: Playback) -> String? {
        let (video, audio) = tracks(playback)
        let text = HLSPlaylist.master(video: video, audio: audio, audioComplete: audioComplete(playback))
        return text.contains("#EXT-X-STREAM-INF") ? text : nil
    }

    /// A rendition's media playlist, or a rung's variant with audio (`{rung}.av`).
    static func media(_ playback: Playback, rendition name: String) -> String? {
        let (video, audio) = tracks(playback)
        if let rung = MuxedVariant.rung(of: name) {
            guard let audio, let track = video.first(where: { $0.name == rung }),
                  let rendition = playback.renditions.first(where: { $0.name == rung }) else { return nil }
            let variant = MuxedVariant.track(video: track, audio: audio, audioComplete: audioComplete(playback))
            return variant.segments.isEmpty ? nil : HLSPlaylist.media(variant, complete: rendition.complete && audioComplete(playback))
        }
        guard let rendition = playback.renditions.first(where: { $0.name == name }), !rendition.segments.isEmpty else { return nil }
        guard let track = (video + [audio].compactMap { $0 }).first(where: { $0.name == name }) else { return nil }
        return HLSPlaylist.media(track, complete: rendition.complete)
    }

    static func audioComplete(_ playback: Playback) -> Bool {
        playback.renditions.first { $0.kind == "audio" }?.complete ?? true
    }

    static func mpd(_ playback: Playback) -> String? {
        let (video, audio) = tracks(playback)
        guard !video.isEmpty else { return nil }
        return DASHManifest.mpd(video: video, audio: audio, complete: isComplete(playback))
    }

    static func isComplete(_ playback: Playback) -> Bool {
        !playback.renditions.isEmpty && playback.renditions.allSatisfy(\.complete)
    }

    /// The AAC rendition's channels: mono stays mono, more than two become stereo.
    static func audioChannels(_ probe: String?) -> Int {
        guard let probe, let info = try? JSONDecoder().decode(MediaInfo.self, from: Data(probe.utf8)) else { return 2 }
        return min(2, max(1, info.audio?.channels ?? 2))
    }
}
