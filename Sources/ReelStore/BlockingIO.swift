import NIOPosix

/// Runs blocking file work (open, read, write, fsync, hashing) on NIO's
/// shared blocking-I/O thread pool, never on the cooperative pool.
package func blocking<T: Sendable>(_ body: @escaping @Sendable () throws(StoreError) -> T) async throws(StoreError) -> T {
    let result: Result<T, StoreError>
    do {
        result = try await NIOThreadPool.singleton.runIfActive { () -> Result<T, StoreError> in
            do throws(StoreError) { return .success(try body()) } catch { return .failure(error) }
        }
    } catch {
        throw StoreError(.io, "the blocking I/O thread pool is not running: \(error)")
    }
    return try result.get()
}
