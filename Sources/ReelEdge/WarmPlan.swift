public import ReelCatalog
import ReelManifests

/// Which URLs of a video an edge is warmed with: what a first viewer asks
/// for before the player has had time to choose (the media playlists, every
/// init segment, the first few segments of every rendition, for DASH and for
/// HLS, whose variants carry the audio: ``MuxedVariant``), and the poster.
/// The master playlist and the MPD are not warmed: the edge's agent counts
/// every one the edge serves as a play (``EdgePlayLog``), and they live only
/// seconds. Nor is the metadata warmed: it lives a second, and differs with
/// the viewer's region hint.
public enum WarmPlan {
    /// The paths, origin-relative. `firstSegments` nil means every segment
    /// (popularity warming). Without `playlists` (signed playback, where an
    /// edge passes playlists to the origin) only objects are warmed. With
    /// `renditions`, only those renditions' (the AV1 ones added to a video
    /// already warm) and no poster.
    public static func paths(
        _ playback: Playback, firstSegments: Int?, playlists: Bool = true, renditions: ((PlaybackRendition) -> Bool)? = nil
    ) -> [String] {
        let base = "/v1/videos/\(playback.video.id)"
        var paths: [String] = []
        if playback.video.posterDigest != nil, renditions == nil { paths.append("\(base)/poster.jpg") }
        let hasAudio = playback.renditions.contains { $0.kind == "audio" }
        for rendition in playback.renditions where renditions?(rendition) ?? true {
            let segments = firstSegments.map { Array(rendition.segments.prefix($0)) } ?? rendition.segments
            let folders = [rendition.name] + (hasAudio && rendition.kind == "video" ? [MuxedVariant.folder(of: rendition.name)] : [])
            for folder in folders {
                if playlists { paths.append("\(base)/\(folder)/index.m3u8") }
                paths.append("\(base)/\(folder)/init.mp4")
                paths += segments.map { "\(base)/\(folder)/\($0.number).m4s" }
            }
        }
        return paths
    }
}
