import Synchronization

/// A value the API reads from the catalog at most once per `lifetime` (the
/// edges, what each edge keeps): a request never waits on the database for
/// it, except the very first. A stale value is reloaded in the background
/// while requests use the one they have, and a failed reload keeps it.
final class Reloading<Value: Sendable>: Sendable {
    private struct State {
        var value: Value
        var loadedAt: ContinuousClock.Instant?
        var loading = false
    }

    private let state: Mutex<State>
    let lifetime: Duration
    private let load: @Sendable () async throws -> Value

    init(_ initial: Value, lifetime: Duration, load: @escaping @Sendable () async throws -> Value) {
        state = Mutex(State(value: initial))
        self.lifetime = lifetime
        self.load = load
    }

    func value() async -> Value {
        let now = ContinuousClock.now
        let (current, reload, first) = state.withLock { s -> (Value, Bool, Bool) in
            let stale = s.loadedAt.map { now - $0 > lifetime } ?? true
            if stale && !s.loading {
                s.loading = true
                return (s.value, true, s.loadedAt == nil)
            }
            return (s.value, false, false)
        }
        guard reload else { return current }
        // Only the very first load is waited for; later ones run behind the requests.
        guard first else {
            Task { await refresh() }
            return current
        }
        return await refresh()
    }

    @discardableResult
    private func refresh() async -> Value {
        let fresh = try? await load()
        return state.withLock { s in
            s.loading = false
            s.loadedAt = ContinuousClock.now
            if let fresh { s.value = fresh }
            return s.value
        }
    }
}
