import Foundation
import ReelQueue
import Testing

/// A declared kind makes the request a producer would have spelled by hand.
@Suite struct JobKindTests {
    struct Clip: Codable, Sendable, Equatable {
        var video: String
        var segmentSeconds: Double?
    }

    static let kind = JobKind<Clip>("clip.cut", queue: "media", maxAttempts: 5, timeout: .seconds(30), uniqueKey: \.video)

    @Test func aRequestCarriesTheKindsNameQueueAttemptsAndKey() throws {
        let request = try Self.kind.request(Clip(video: "abc", segmentSeconds: 1), tenant: "t1", parents: [7])
        #expect(request.kind == "clip.cut" && request.queue == "media" && request.maxAttempts == 5)
        #expect(request.uniqueKey == "clip.cut:abc")
        #expect(request.tenant == "t1" && request.parents == [7])
        #expect(request.args == #"{"segmentSeconds":1,"video":"abc"}"#)
        try request.validate()
    }

    @Test func aKindWithoutAKeyAddsAJobEachTime() throws {
        let plain = JobKind<NoArguments>("plain")
        #expect(plain.uniqueKey(NoArguments()) == nil)
        let request = try plain.request(NoArguments())
        #expect(request.queue == "default" && request.args == "{}" && request.uniqueKey == nil)
    }

    @Test func handlersRegisteredByKindKnowItsLimits() {
        var handlers = JobHandlers()
        handlers.register(Self.kind) { _, _ in .completed }
        handlers.register("ad-hoc") { _ in .completed }
        #expect(handlers.kinds == ["ad-hoc", "clip.cut"])
        #expect(handlers.timeout(for: "clip.cut") == .seconds(30))
        #expect(handlers.timeout(for: "ad-hoc") == nil)
        #expect(handlers.retry(for: "clip.cut") == nil)
    }
}
