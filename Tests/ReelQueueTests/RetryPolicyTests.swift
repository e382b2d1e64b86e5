import Testing
import ReelQueue

@Suite struct RetryPolicyTests {
    @Test func delaysDoubleFromTheBaseUpToTheCap() {
        let policy = RetryPolicy(base: 1, maximum: 60, jitter: 0)
        #expect(policy.delay(afterAttempt: 1, random: 0.5) == 1)
        #expect(policy.delay(afterAttempt: 2, random: 0.5) == 2)
        #expect(policy.delay(afterAttempt: 5, random: 0.5) == 16)
        #expect(policy.delay(afterAttempt: 10, random: 0.5) == 60)
        #expect(policy.delay(afterAttempt: 10_000, random: 0.5) == 60)
    }

    @Test func jitterSpreadsDelaysAroundTheBackoff() {
        let policy = RetryPolicy(base: 10, maximum: 1000, jitter: 0.2)
        #expect(policy.delay(afterAttempt: 1, random: 0) == 8)
        #expect(policy.delay(afterAttempt: 1, random: 0.999_999) > 11.99)
        let spread = Set((0..<50).map { _ in policy.delay(afterAttempt: 3) })
        #expect(spread.count > 1)
        #expect(spread.allSatisfy { $0 >= 32 && $0 <= 48 })
    }
}

@Suite struct WorkerConfigurationTests {
    @Test func parsesQueuesWithPerProcessLimits() throws {
        #expect(try WorkerConfiguration.parseQueues("transcode=2,package=4") == ["transcode": 2, "package": 4])
        #expect(try WorkerConfiguration.parseQueues("default") == ["default": 1])
    }

    @Test func rejectsBadQueueSpecsWithAnExample() {
        #expect(throws: QueueError.self) { try WorkerConfiguration.parseQueues("transcode=0") }
        #expect(throws: QueueError.self) { try WorkerConfiguration.parseQueues(",") }
        do {
            _ = try WorkerConfiguration.parseQueues("a=x")
        } catch {
            #expect(error.description.contains("transcode=2"))
        }
    }
}

@Suite struct JobRequestValidationTests {
    @Test func malformedArgsSayWhatIsWrong() {
        do {
            try JobRequest(kind: "noop", args: "{bad").validate()
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidRequest)
            #expect(error.description.contains("not valid JSON"))
        }
    }

    @Test func argsMustBeAnObject() {
        #expect(throws: QueueError.self) { try JobRequest(kind: "noop", args: "[1,2]").validate() }
        #expect(throws: QueueError.self) { try JobRequest(kind: "", args: "{}").validate() }
        #expect(throws: QueueError.self) { try JobRequest(kind: "noop", maxAttempts: 0).validate() }
        #expect(throws: Never.self) { try JobRequest(kind: "noop", args: #"{"a": [1, {"b": null}]}"#).validate() }
    }

    @Test func finalStates() {
        #expect(JobState.allCases.filter(\.isFinal) == [.completed, .discarded, .cancelled])
    }
}
