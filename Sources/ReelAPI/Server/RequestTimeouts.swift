import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client is too slow: the first request head must
/// be complete within `head` of the connection opening, a later one within
/// `idle` of the last response ending (a kept-alive connection waits for its
/// player's next request), and a request body may not stall for longer than
/// `bodyStall`. Untimed while a route works (`.end` received, no response yet).
///
/// Hummingbird's idle timeout only counts from the last decoded part, so a
/// client sending one header byte every few seconds would hold its socket for
/// ever; this handler sits after the HTTP decoder and times the head as a
/// whole. One timer per connection: each request part only moves a deadline,
/// and the timer, when it fires early, sleeps again until the deadline, so a
/// request costs no timer scheduling (measured: rescheduling per part cost
/// 11–13 % of small-request throughput).
final class RequestTimeouts: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let head: TimeAmount
    private let bodyStall: TimeAmount
    private let idle: TimeAmount
    /// When the connection is closed unless something moves it; nil while a route works.
    private var deadline: NIODeadline?
    private var timer: Scheduled<Void>?
    private var inFlight = 0

    init(limits: ServerLimits) {
        head = .milliseconds(Int64(limits.headerTimeout * 1000))
        bodyStall = .milliseconds(Int64(limits.bodyStallTimeout * 1000))
        idle = .milliseconds(Int64(limits.idleTimeout * 1000))
    }

    private func expect(_ context: ChannelHandlerContext, within after: TimeAmount?) {
        deadline = after.map { NIODeadline.now() + $0 }
        if let deadline, timer == nil { schedule(context, at: deadline) }
    }

    private func schedule(_ context: ChannelHandlerContext, at when: NIODeadline) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: when) {
            let (handler, context) = bound.value
            handler.fire(context)
        }
    }

    private func fire(_ context: ChannelHandlerContext) {
        timer = nil
        guard let deadline else { return }  // A route is working: the next part or response re-arms.
        if deadline <= NIODeadline.now() {
            context.close(promise: nil)
        } else {
            schedule(context, at: deadline)
        }
    }

    func handlerAdded(context: ChannelHandlerContext) { expect(context, within: head) }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline = nil
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline = nil
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            inFlight += 1
            expect(context, within: bodyStall)
        case .body:
            expect(context, within: bodyStall)
        case .end:
            expect(context, within: nil)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            inFlight -= 1
            if inFlight <= 0 {
                inFlight = 0
                expect(context, within: idle)
            }
        }
        context.write(data, promise: promise)
    }
}
