import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client is too slow: the first request head must
/// be complete within `head` of the connection opening, a later one within
/// `idle` of the last response ending (a kept-alive connection waits for its
/// player's next request), and a request body may not stall for longer than
/// `bodyStall`.
///
/// Hummingbird's idle timeout only counts from the last decoded part, so a
/// client sending one header byte every few seconds would hold its socket for
/// ever; this handler sits after the HTTP decoder and times the head as a
/// whole. The handler runs untimed while a route works (`.end` received).
final class RequestTimeouts: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let head: TimeAmount
    private let bodyStall: TimeAmount
    private let idle: TimeAmount
    private var timer: Scheduled<Void>?
    private var inFlight = 0

    init(limits: ServerLimits) {
        head = .milliseconds(Int64(limits.headerTimeout * 1000))
        bodyStall = .milliseconds(Int64(limits.bodyStallTimeout * 1000))
        idle = .milliseconds(Int64(limits.idleTimeout * 1000))
    }

    private func arm(_ context: ChannelHandlerContext, _ after: TimeAmount?) {
        timer?.cancel()
        timer = nil
        guard let after else { return }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: after) { loopBound.value.close(promise: nil) }
    }

    func handlerAdded(context: ChannelHandlerContext) { arm(context, head) }

    func handlerRemoved(context: ChannelHandlerContext) { arm(context, nil) }

    func channelInactive(context: ChannelHandlerContext) {
        arm(context, nil)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            inFlight += 1
            arm(context, bodyStall)
        case .body:
            arm(context, bodyStall)
        case .end:
            arm(context, nil)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            inFlight -= 1
            if inFlight <= 0 {
                inFlight = 0
                arm(context, idle)
            }
        }
        context.write(data, promise: promise)
    }
}
