import Testing
import ReelMedia
import ReelManifests
import ReelTesting

@Suite struct MediaProbeTests {
    @Test func aVerticalPhoneClip() async throws {
        let info = try await MediaProbe.probe(path: try await TestClips.path("vertical.mp4"))
        #expect(info.container.contains("mp4"))
        #expect(info.video.codec == "h264")
        #expect(info.video.geometry.width == 1080 && info.video.geometry.height == 1920)
        #expect(info.video.geometry.rotation == 0)
        #expect(abs(info.video.frameRate - 30) < 0.01)
        #expect(!info.video.variableFrameRate)
        #expect(info.video.pixelFormat == "yuv420p")
        #expect(info.audio?.codec == "aac")
        #expect(info.audio?.sampleRate == 48000)
        #expect(info.audio?.channels == 1)
        #expect(abs(info.duration - 2) < 0.1)
        #expect(info.streamCount == 2)
    }

    @Test func rotationComesFromTheDisplayMatrix() async throws {
        let info = try MediaProbe.probe(try await TestClips.path("rotated.mp4"))
        // ffprobe reports rotation=90 for this file; displayed, it is vertical.
        #expect(info.video.matrixRotation == 90)
        #expect(info.video.geometry.codedWidth == 640 && info.video.geometry.codedHeight == 360)
        #expect(info.video.geometry.width == 360 && info.video.geometry.height == 640)
        #expect(try LadderPlanner.plan(info.video.geometry).first.map { "\($0.width)x\($0.height)" } == "360x640")
    }

    @Test func vp9InWebMWithoutAudioAndOddSize() async throws {
        let info = try MediaProbe.probe(try await TestClips.path("vp9.webm"))
        #expect(info.video.codec == "vp9")
        #expect(info.container.contains("webm"))
        #expect(info.audio == nil)
        #expect(info.video.geometry.width == 641 && info.video.geometry.height == 359)
    }

    @Test(arguments: [
        ("empty.mp4", MediaError.Code.empty, "empty"),
        ("not-a-video.mp4", MediaError.Code.unreadable, "not a readable media file"),
        ("truncated.mp4", MediaError.Code.unreadable, "not a readable media file"),
        ("audio-only.m4a", MediaError.Code.notVideo, "no video, only aac audio"),
        ("image.mp4", MediaError.Code.notVideo, "image"),
        ("does-not-exist.mp4", MediaError.Code.unreadable, "no such file"),
    ])
    func badInputsFailWithAReadableMessage(file: String, code: MediaError.Code, text: String) async throws {
        do {
            let info = try MediaProbe.probe(try await TestClips.path(file))
            Issue.record("\(file) probed as \(info.video.codec) \(info.video.geometry.width)x\(info.video.geometry.height)")
        } catch let error as MediaError {
            #expect(error.code == code, "\(file): \(error.message)")
            #expect(error.message.contains(text), "\(file): \(error.message)")
        }
    }
}
