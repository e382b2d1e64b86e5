import Foundation
import Testing
import ReelMedia
import ReelManifests
import ReelTesting

/// Uploads that name other files (playlists, manifests, lists) are refused
/// from their own bytes, before FFmpeg parses them, and nothing they name is
/// ever opened: the trap's file sees no open and its port no connection.
@Suite struct InputContainmentTests {
    static let inputs: [(String, String)] = [("hls", "HLS playlist"), ("concat", "concat list"), ("dash", "DASH"), ("sdp", "SDP")]

    @Test(arguments: inputs)
    func listsOfOtherFilesAreRefusedWithoutReadingThem(kind: String, words: String) async throws {
        let trap = try ReadTrap(copying: try await TestClips.path("vertical.mp4"))
        let text = switch kind {
        case "hls": trap.hlsPlaylist
        case "concat": trap.concatList
        case "dash": trap.dashManifest
        default: trap.sdp
        }
        // An extension that says "video": the bytes decide, not the name.
        let upload = try write(Data(text.utf8), "\(kind)-\(UUID().uuidString).mp4")
        do {
            let info = try MediaProbe.probe(upload)
            Issue.record("\(kind) was opened as \(info.container) \(info.video.geometry.width)x\(info.video.geometry.height)")
        } catch {
            // Debian's FFmpeg may lack a demuxer (DASH needs libxml2): then
            // nothing recognises the bytes and they are unreadable; either
            // way the uploader is told which containers are accepted.
            #expect(error.code == .refusedContainer || error.code == .unreadable, "\(kind): \(error.message)")
            if error.code == .refusedContainer { #expect(error.message.contains(words), "\(kind): \(error.message)") }
            #expect(error.message.contains("MP4/MOV, Matroska/WebM, MPEG-TS"), "\(kind): \(error.message)")
        }
        let touched = trap.touches()
        #expect(touched.fileEvents == 0 && touched.connections == 0, "\(kind): \(touched)")
    }

    /// The decoders open the container the probe accepted and nothing else:
    /// a plan that says "hls" (a forged or stale catalog row) does not make
    /// the transcoder open a playlist.
    @Test func theTranscoderOpensOnlyAnAcceptedContainer() async throws {
        let trap = try ReadTrap(copying: try await TestClips.path("vertical.mp4"))
        let playlist = try write(Data(trap.hlsPlaylist.utf8), "forged-\(UUID().uuidString).m3u8")
        let real = try MediaProbe.probe(trap.file)
        _ = trap.touches()
        var json = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(real)) as? [String: Any] ?? [:]
        json["container"] = "hls,applehttp"
        let forged = try JSONDecoder().decode(MediaInfo.self, from: try JSONSerialization.data(withJSONObject: json))
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("reel-\(getpid())-forged-\(UUID().uuidString)")
        await #expect(throws: MediaError.self) {
            _ = try await MediaPackager.package(path: playlist, info: forged, rungs: Array(try LadderPlanner.plan(real.video.geometry).suffix(1)), to: root)
        }
        let touched = trap.touches()
        #expect(touched.fileEvents == 0 && touched.connections == 0, "\(touched)")
        try? FileManager.default.removeItem(at: root)
    }

    @Test func acceptedContainersMatchAnyOfADemuxersNames() {
        let limits = MediaLimits()
        #expect(limits.accepts(demuxer: "mov,mp4,m4a,3gp,3g2,mj2"))
        #expect(limits.accepts(demuxer: "matroska,webm"))
        #expect(limits.accepts(demuxer: "mpegts"))
        #expect(!limits.accepts(demuxer: "hls"))
        #expect(!limits.accepts(demuxer: "concat"))
        #expect(!limits.accepts(demuxer: "image2"))
        #expect(!limits.accepts(demuxer: "mpegtsraw"))
    }
}

/// Inputs beyond `MediaLimits` are refused before any frame is transcoded,
/// with the bound they broke; work that runs past its budget stops.
@Suite struct MediaLimitsTests {
    static func limits(_ change: (inout MediaLimits) -> Void) -> MediaLimits {
        var limits = MediaLimits()
        change(&limits)
        return limits
    }

    @Test(arguments: [
        ("many-streams.mkv", MediaLimits(), "201 streams"),
        ("huge.mkv", MediaLimits(), "16000x16000"),
        ("vertical.mp4", limits { $0.maxDuration = 1 }, "longer than the 1 s"),
        ("vertical.mp4", limits { $0.maxFrameRate = 25 }, "30 frames a second"),
        ("vertical.mp4", limits { $0.maxPixels = 640 * 360 }, "1080x1920"),
        ("vertical.mp4", limits { $0.maxHeight = 1280 }, "1080x1920"),
        ("vertical.mp4", limits { $0.maxSourceBytes = 1000 }, "more than the 1000 bytes"),
    ])
    func beyondALimitIsARefusal(file: String, limits: MediaLimits, text: String) async throws {
        do {
            let info = try MediaProbe.probe(try await TestClips.path(file), limits: limits)
            Issue.record("\(file) was accepted: \(info.video.geometry.width)x\(info.video.geometry.height)")
        } catch let error as MediaError {
            #expect(error.code == .tooLarge, "\(file): \(error.message)")
            #expect(error.message.contains(text), "\(file): \(error.message)")
        }
    }

    @Test func aContainerOffTheListIsRefused() async throws {
        do {
            _ = try MediaProbe.probe(try await TestClips.path("vertical.mp4"), limits: Self.limits { $0.formats = ["matroska"] })
            Issue.record("an MP4 was accepted with only matroska allowed")
        } catch let error as MediaError {
            #expect(error.code == .refusedContainer && error.message.contains("Matroska/WebM"), "\(error.message)")
        }
    }

    /// The wall-clock budget stops a transcode on the threads doing it.
    @Test func aTranscodePastItsBudgetStops() async throws {
        let path = try await TestClips.path("vertical.mp4")
        let info = try MediaProbe.probe(path)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("reel-\(getpid())-budget-\(UUID().uuidString)")
        do {
            _ = try await MediaPackager.package(path: path, info: info, rungs: try LadderPlanner.plan(info.video.geometry), to: root,
                                                budget: MediaBudget(seconds: 0.05, mediaSeconds: .infinity))
            Issue.record("a full ladder finished within 50 ms")
        } catch let error as MediaError {
            #expect(error.code == .overBudget && error.message.contains("time budget"), "\(error.message)")
        }
        try? FileManager.default.removeItem(at: root)
    }

    /// A stream that decodes past what its container declares (the shape of
    /// a decompression bomb) stops at the media limit, video and audio alike.
    @Test func decodingPastTheDeclaredLengthStops() async throws {
        let path = try await TestClips.path("vertical.mp4")
        let info = try MediaProbe.probe(path)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("reel-\(getpid())-long-\(UUID().uuidString)")
        for audio in [true, false] {
            do {
                _ = try await MediaPackager.package(path: path, info: info, rungs: Array(try LadderPlanner.plan(info.video.geometry).suffix(1)),
                                                    to: root, audio: audio, budget: MediaBudget(seconds: nil, mediaSeconds: 0.5))
                Issue.record("decoding went past 0.5 s")
            } catch let error as MediaError {
                #expect(error.code == .tooLarge && error.message.contains("goes on past"), "\(error.message)")
            }
        }
        try? FileManager.default.removeItem(at: root)
    }

    @Test func theBudgetGrowsWithTheSourceAboveAFloor() {
        let limits = MediaLimits()
        #expect(limits.budgetSeconds(forDuration: 2) == 300)
        #expect(limits.budgetSeconds(forDuration: 60) == 1200)
        #expect(limits.mediaSeconds(forDuration: 2) == 12)
        #expect(limits.mediaSeconds(forDuration: 100) == 150)
        #expect(limits.mediaSeconds(forDuration: 0) == 600)
        #expect(limits.mediaSeconds(forDuration: 590) == 600)
    }
}
