import Foundation
import ReelCatalog
import ReelMedia

/// HLS and DASH for a video, written from the catalog on each request, so
/// they grow while the video is being published: the master lists the
/// rungs that have segments (lowest first), media playlists are EVENT
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
        return video.isEmpty ? nil : HLSPlaylist.master(video: video, audio: audio)
    }

    static func media(_ playback: Playback, rendition name: String) -> String? {
        guard let rendition = playback.renditions.first(where: { $0.name == name }), !rendition.segments.isEmpty else { return nil }
        let (video, audio) = tracks(playback)
        guard let track = (video + [audio].compactMap { $0 }).first(where: { $0.name == name }) else { return nil }
        return HLSPlaylist.media(track, complete: rendition.complete)
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
