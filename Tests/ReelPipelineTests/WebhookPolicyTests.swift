import ReelPipeline
import ReelQueue
import Testing

/// Where webhook deliveries may go, and how long they are retried; pure, no I/O.
@Suite struct WebhookPolicyTests {
    @Test func specialAddressesAreRefusedAndPublicOnesAccepted() async throws {
        let policy = WebhookAddressPolicy()
        for url in ["https://127.0.0.1/", "https://10.2.3.4/", "https://172.20.0.1/", "https://192.168.0.9/", "https://169.254.169.254/",
                    "https://100.64.1.1/", "https://0.0.0.0/", "https://224.0.0.1/", "https://255.255.255.255/", "https://[::1]/",
                    "https://[fe80::1]/", "https://[fd00::1]/", "https://[::ffff:10.0.0.1]/", "https://[64:ff9b::7f00:1]/",
                    "https://[::]/", "https://192.0.2.5/"] {
            await #expect(throws: WebhookAddressError.self, "\(url)") { try await policy.vet(url) }
        }
        for url in ["https://93.184.216.34/hook", "https://[2606:4700:4700::1111]/hook", "https://8.8.8.8:8443/x"] {
            let target = try await policy.vet(url)
            #expect(!target.address.isEmpty, "\(url)")
        }
        // Plain http only to an allowed network; an allowed network takes private addresses.
        await #expect(throws: WebhookAddressError.self) { try await policy.vet("http://93.184.216.34/hook") }
        let lab = try WebhookAddressPolicy(list: "10.0.0.0/8, ::1/128")
        #expect(try await lab.vet("http://10.9.8.7:9000/hook").address == "10.9.8.7")
        #expect(try await lab.vet("http://[::1]:9000/hook").address == "::1")
        await #expect(throws: WebhookAddressError.self) { try await lab.vet("http://192.168.1.1/hook") }
        #expect(throws: WebhookAddressError.self) { try WebhookAddressPolicy(list: "10.0.0.0") }
        #expect(throws: WebhookAddressError.self) { try WebhookAddressPolicy(list: "10.0.0.0/33") }
    }

    @Test func networksMatchByPrefix() throws {
        let net = try #require(IPNetwork("172.16.0.0/12"))
        #expect(net.contains(try #require(IPAddress("172.31.255.255"))))
        #expect(!net.contains(try #require(IPAddress("172.32.0.0"))))
        #expect(try #require(IPNetwork("::ffff:0:0/96")).contains(try #require(IPAddress("::ffff:1.2.3.4"))))
        #expect(try #require(IPNetwork("0.0.0.0/0")).contains(try #require(IPAddress("8.8.8.8"))))
    }

    @Test func aDeliveryIsRetriedForMoreThanADayEvenWithTheShortestJitter() throws {
        let kind = ReelJobs.deliverWebhook
        let policy = try #require(kind.retry)
        let shortest = (1..<kind.maxAttempts).reduce(0.0) { $0 + policy.delay(afterAttempt: $1, random: 0) }
        let longest = (1..<kind.maxAttempts).reduce(0.0) { $0 + policy.delay(afterAttempt: $1, random: 0.999) }
        #expect(shortest >= 24 * 3600, "\(shortest / 3600) h")
        #expect(longest <= 48 * 3600, "\(longest / 3600) h")
        #expect(policy.delay(afterAttempt: 1, random: 0.5) == 5)
    }
}
