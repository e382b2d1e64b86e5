import Foundation
@testable import ReelCatalog
import ReelPostgres
import ReelRedis
import ReelStore
import ReelTesting
import Testing

/// Playback reads go through Redis (cache-aside) and survive Redis being down.
@Suite struct CatalogCacheTests {
    static func redisURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["REEL_TEST_REDIS_URL"] else {
            throw CatalogError("REEL_TEST_REDIS_URL is not set: run the tests with scripts/test.sh, which starts Redis")
        }
        return url
    }

    func insertVideo(_ db: TestDatabase) async throws -> String {
        let digest = ObjectDigest.of(Data(UUID().uuidString.utf8))
        return try await db.pool.withTransaction { conn in
            try Catalog.insert(NewVideo(homeRegion: "home", sourceDigest: digest.hex, sourceSize: 36), on: conn).id
        }
    }

    /// A change through the catalog: the row moves, then the cached entry is dropped.
    static func fail(_ id: String, _ catalog: Catalog) async throws {
        try await catalog.pool.withTransaction { conn in
            _ = try Catalog.move(id, to: .failed, from: [.uploaded], error: "not a video", on: conn)
        }
        await catalog.invalidate(id)
    }

    @Test func aReadThatRacedAWriteDoesNotPutTheOldStateBack() async throws {
        try await TestDatabase.withFresh { db in
            let cache = CatalogCache(redis: try RedisPool(url: try Self.redisURL(), connectTimeout: .seconds(10), commandTimeout: .seconds(10)))
            let catalog = Catalog(pool: db.pool, cache: cache)
            let id = try await insertVideo(db)
            // A reader misses and reads the old row; meanwhile a writer commits and invalidates.
            guard case .miss(let generation) = await cache.lookup(id) else { Issue.record("expected a miss"); return }
            let old = try #require(try await Catalog(pool: db.pool).playback(id))
            try await Self.fail(id, catalog)
            // The reader's late store is refused: the next read sees the new state, not the old one.
            await cache.store(id, old, generation: generation)
            #expect(try await catalog.playback(id)?.video.status == .failed)
            // Without a write in between, a store does land.
            guard case .miss(let now) = await cache.lookup("nosuchvideo1") else { Issue.record("expected a miss"); return }
            await cache.store("nosuchvideo1", nil, generation: now)
            guard case .hit(nil) = await cache.lookup("nosuchvideo1") else { Issue.record("expected the stored absence"); return }
        }
    }

    @Test func aReadIsCachedUntilTheVideoChanges() async throws {
        try await TestDatabase.withFresh { db in
            // Generous timeouts: a busy machine must not turn a slow Redis reply into a miss. A
            // publishing video's entry lives a second by default, less than two reads take on a
            // loaded machine: this test gives it ten minutes, so only a change can end it.
            let cache = CatalogCache(redis: try RedisPool(url: try Self.redisURL(), connectTimeout: .seconds(10), commandTimeout: .seconds(10)),
                                     publishingTTL: .seconds(600))
            let catalog = Catalog(pool: db.pool, cache: cache)
            let id = try await insertVideo(db)
            #expect(try await catalog.playback(id)?.video.status == .uploaded)
            #expect(try await catalog.playback(id)?.video.status == .uploaded)
            #expect(cache.snapshot.misses == 1 && cache.snapshot.hits == 1)
            // A change through the catalog drops the entry: the next read sees it.
            try await Self.fail(id, catalog)
            let after = try await catalog.playback(id)
            #expect(after?.video.status == .failed && after?.video.error == "not a video")
            #expect(cache.snapshot.misses == 2)
            // A change behind the catalog's back is not seen while the entry lives: the cache is really used.
            try await db.pool.query("UPDATE videos SET title = 'changed' WHERE id = $1", [id])
            #expect(try await catalog.playback(id)?.video.title == "")
            await catalog.invalidate(id)
            #expect(try await catalog.playback(id)?.video.title == "changed")
            await cache.redis.close()
        }
    }

    @Test func unknownIdsAreCachedAsAbsent() async throws {
        try await TestDatabase.withFresh { db in
            // An absent entry lives ten seconds by default; two reads once took longer than that on a
            // loaded CI machine, so this test gives it ten minutes.
            let cache = CatalogCache(redis: try RedisPool(url: try Self.redisURL(), connectTimeout: .seconds(10), commandTimeout: .seconds(10)),
                                     negativeTTL: .seconds(600))
            let catalog = Catalog(pool: db.pool, cache: cache)
            let unknown = VideoID.make()
            #expect(try await catalog.playback(unknown) == nil)
            #expect(try await catalog.playback(unknown) == nil)
            #expect(cache.snapshot.misses == 1 && cache.snapshot.negativeHits == 1)
            await cache.redis.close()
        }
    }

    @Test func withRedisDownReadsComeFromPostgresAndAreCounted() async throws {
        try await TestDatabase.withFresh { db in
            // Nothing listens on port 9.
            let cache = CatalogCache(redis: try RedisPool(url: "redis://127.0.0.1:9", connectTimeout: .milliseconds(200)))
            let catalog = Catalog(pool: db.pool, cache: cache)
            let id = try await insertVideo(db)
            for _ in 0..<3 { #expect(try await catalog.playback(id)?.video.id == id) }
            #expect(cache.snapshot.fallbacks == 3 && cache.snapshot.hits == 0)
            await cache.redis.close()
        }
    }
}
