import Synchronization

/// A value the API reads from the catalog at most once per `lifetime` (the
/// edges, what each edge keeps): a request never waits on the database for
/// it. One request reloads it while the others use the value they have, and
/// a failed reload keeps the last value.
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
        let (current, reload) = state.withLock { s -> (Value, Bool) in
            let stale = s.loadedAt.map { now - $0 > lifetime } ?? true
            if stale && !s.loading {
                s.loading = true
                return (s.value, true)
            }
            return (s.value, false)
        }
        guard reload else { return current }
        let fresh = try? await load()
        return state.withLock { s in
            s.loading = false
            s.loadedAt = ContinuousClock.now
            if let fresh { s.value = fresh }
            return s.value
        }
    }
}
