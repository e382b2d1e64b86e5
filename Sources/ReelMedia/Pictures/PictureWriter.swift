import CFFmpeg
public import Foundation
public import ReelManifests

/// Where each thumbnail sits in the sprite, for a player's seek preview.
public struct SpriteSheet: Sendable, Hashable, Codable {
    public let columns: Int
    public let rows: Int
    public let tileWidth: Int
    public let tileHeight: Int
    /// The time (seconds) each tile shows, row by row.
    public let times: [Double]
}

/// A poster and a thumbnail sprite, as JPEG bytes.
public struct VideoPictures: Sendable, Hashable {
    public let poster: Data
    public let posterWidth: Int
    public let posterHeight: Int
    public let sprite: Data
    public let sheet: SpriteSheet
}

/// Makes the poster and the sprite of a video, upright (display rotation
/// applied) and in its aspect ratio, decoding only the frames it needs.
public enum PictureWriter {
    /// Runs on a thread of its own (decoding blocks).
    public static func make(
        path: String, info: MediaInfo, posterShortSide: Int = 720, tileLongSide: Int = 160, tiles: Int = 10, columns: Int = 5,
        limits: MediaLimits = .standard, budget: MediaBudget = .unbounded
    ) async throws -> VideoPictures {
        try await onOwnThread(name: "reel-pictures") {
            try make(path, info: info, posterShortSide: posterShortSide, tileLongSide: tileLongSide, tiles: tiles, columns: columns,
                     limits: limits, budget: budget)
        }
    }

    public static func make(
        _ path: String, info: MediaInfo, posterShortSide: Int = 720, tileLongSide: Int = 160, tiles: Int = 10, columns: Int = 5,
        limits: MediaLimits = .standard, budget: MediaBudget = .unbounded
    ) throws(MediaError) -> VideoPictures {
        let geometry = info.video.geometry
        let decoder = try VideoDecoder(source: MediaSource(path: path, info: info, limits: limits, budget: budget))
        let aspect = Double(geometry.width) / Double(geometry.height)

        // Poster: a second in (or a tenth of a short clip), as large as the source allows up to posterShortSide.
        let short = min(posterShortSide, min(geometry.width, geometry.height))
        let (posterW, posterH) = geometry.width <= geometry.height
            ? (even(short), even(Int((Double(short) / aspect).rounded())))
            : (even(Int((Double(short) * aspect).rounded())), even(short))
        let posterTime = min(1.0, info.duration * 0.1)
        guard let posterFrame = try frame(at: posterTime, from: decoder, width: posterW, height: posterH, rotation: geometry.rotation) else {
            throw MediaError(.unreadable, "no frame of the video could be decoded")
        }

        // Sprite: evenly spaced tiles, at most one a second.
        let count = max(1, min(tiles, Int(info.duration.rounded(.down))))
        let (tileW, tileH) = aspect >= 1
            ? (even(tileLongSide), even(Int((Double(tileLongSide) / aspect).rounded())))
            : (even(Int((Double(tileLongSide) * aspect).rounded())), even(tileLongSide))
        let cols = min(columns, count), rows = (count + cols - 1) / cols
        let sprite = try Picture(width: cols * tileW, height: rows * tileH)
        var times: [Double] = []
        var last: Picture?
        for i in 0..<count {
            let t = info.duration * (Double(i) + 0.5) / Double(count)
            guard let tile = try frame(at: t, from: decoder, width: tileW, height: tileH, rotation: geometry.rotation) ?? last else { break }
            sprite.paste(tile, x: (i % cols) * tileW, y: (i / cols) * tileH)
            times.append(t)
            last = tile
        }
        return VideoPictures(
            poster: try posterFrame.jpeg(), posterWidth: posterFrame.width, posterHeight: posterFrame.height,
            sprite: try sprite.jpeg(quality: 5),
            sheet: SpriteSheet(columns: cols, rows: rows, tileWidth: tileW, tileHeight: tileH, times: times))
    }

    /// The first frame at or after `seconds` (or the first decoded one when none reaches it),
    /// scaled and turned upright to `width`x`height` (display size).
    static func frame(at seconds: Double, from decoder: VideoDecoder, width: Int, height: Int, rotation: Int) throws(MediaError) -> Picture? {
        decoder.seek(to: seconds)
        let quarter = rotation == 90 || rotation == 270
        let (codedW, codedH) = quarter ? (height, width) : (width, height)
        var chosen: Picture?
        while let frame = try decoder.next() {
            let isLate = decoder.seconds(of: frame) >= seconds - 0.001
            if isLate || chosen == nil {
                chosen = try Picture.from(frame, width: codedW, height: codedH, rotation: rotation)
            }
            if isLate { break }
        }
        return chosen
    }

    static func even(_ n: Int) -> Int { max(2, n - n % 2) }
}
