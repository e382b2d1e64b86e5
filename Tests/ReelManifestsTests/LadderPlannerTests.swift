import Testing
import ReelManifests

@Suite struct LadderPlannerTests {
    func sizes(_ rungs: [Rung]) -> [String] { rungs.map { "\($0.width)x\($0.height)" } }

    @Test func verticalFullHDGetsTheWholeVerticalLadder() throws {
        let rungs = try LadderPlanner.plan(DisplayGeometry(codedWidth: 1080, codedHeight: 1920))
        #expect(sizes(rungs) == ["1080x1920", "720x1280", "480x854", "360x640"])
        #expect(rungs.map(\.name) == ["1080p", "720p", "480p", "360p"])
        // 480x854 has a few more pixels than an exact 16:9 480p, so a few more bits.
        #expect(rungs.map(\.bitrate) == [5_000_000, 2_800_000, 1_401_000, 800_000])
        #expect(rungs.allSatisfy { $0.maxBitrate == Int(Double($0.bitrate) * 1.5) })
    }

    @Test func landscapeAndSquareGetTheirEquivalents() throws {
        #expect(sizes(try LadderPlanner.plan(DisplayGeometry(codedWidth: 1920, codedHeight: 1080)))
            == ["1920x1080", "1280x720", "854x480", "640x360"])
        let square = try LadderPlanner.plan(DisplayGeometry(codedWidth: 1080, codedHeight: 1080))
        #expect(sizes(square) == ["1080x1080", "720x720", "480x480", "360x360"])
        // A square picture has 9/16 of the pixels of 16:9 at the same short side.
        #expect(square[0].bitrate == 2_813_000)
    }

    @Test func neverUpscales() throws {
        #expect(sizes(try LadderPlanner.plan(DisplayGeometry(codedWidth: 720, codedHeight: 1280))) == ["720x1280", "480x854", "360x640"])
        #expect(sizes(try LadderPlanner.plan(DisplayGeometry(codedWidth: 400, codedHeight: 700))) == ["360x630"])
        // Smaller than the smallest rung: one rung at the source's own even size.
        #expect(sizes(try LadderPlanner.plan(DisplayGeometry(codedWidth: 175, codedHeight: 313))) == ["174x312"])
    }

    @Test func rotationIsHonoured() throws {
        // A phone video coded landscape with a 90° display matrix is vertical.
        let rotated = DisplayGeometry(codedWidth: 1920, codedHeight: 1080, rotation: 90)
        #expect(rotated.width == 1080 && rotated.height == 1920)
        #expect(sizes(try LadderPlanner.plan(rotated)).first == "1080x1920")
        #expect(DisplayGeometry(codedWidth: 1920, codedHeight: 1080, rotation: -90).rotation == 270)
        #expect(sizes(try LadderPlanner.plan(DisplayGeometry(codedWidth: 1920, codedHeight: 1080, rotation: 180))).first == "1920x1080")
    }

    @Test func oddAndUnusualShapesKeepTheirAspectWithEvenSides() throws {
        let odd = try LadderPlanner.plan(DisplayGeometry(codedWidth: 641, codedHeight: 1139))
        #expect(odd.allSatisfy { $0.width % 2 == 0 && $0.height % 2 == 0 })
        #expect(odd.allSatisfy { $0.width <= 641 && $0.height <= 1139 })
        let fourThree = try LadderPlanner.plan(DisplayGeometry(codedWidth: 1440, codedHeight: 1080))
        #expect(sizes(fourThree) == ["1440x1080", "960x720", "640x480", "480x360"])
        let huge = try LadderPlanner.plan(DisplayGeometry(codedWidth: 16000, codedHeight: 16000))
        #expect(sizes(huge).first == "1080x1080")
        for rung in fourThree {
            #expect(abs(Double(rung.width) / Double(rung.height) - 4.0 / 3.0) < 0.01)
        }
    }

    @Test func highFrameRatesGetMoreBits() throws {
        let normal = try LadderPlanner.plan(DisplayGeometry(codedWidth: 1080, codedHeight: 1920, frameRate: 30))
        let fast = try LadderPlanner.plan(DisplayGeometry(codedWidth: 1080, codedHeight: 1920, frameRate: 60))
        #expect(fast[0].bitrate == normal[0].bitrate * 3 / 2)
    }

    @Test func theLadderIsConfiguration() throws {
        let config = LadderConfiguration(steps: [.init(shortSide: 240, bitrate: 400_000), .init(shortSide: 540, bitrate: 2_000_000)])
        #expect(sizes(try LadderPlanner.plan(DisplayGeometry(codedWidth: 1080, codedHeight: 1920), configuration: config))
            == ["540x960", "240x426"])
    }

    @Test func degeneratePicturesAreRejectedClearly() {
        #expect(throws: LadderError.self) { try LadderPlanner.plan(DisplayGeometry(codedWidth: 0, codedHeight: 1080)) }
        #expect(throws: LadderError.self) { try LadderPlanner.plan(DisplayGeometry(codedWidth: 1, codedHeight: 1)) }
    }
}
