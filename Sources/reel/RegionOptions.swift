import ArgumentParser
import Foundation
import ReelCatalog
import ReelPostgres
import ReelRedis
import ReelStore
import ReelS3

/// Where objects are stored; every command that reads or writes them takes these.
struct RegionOptions: ParsableArguments {
    @Option(help: "Regions, comma-separated NAME=file:PATH or NAME=s3:ENV_PREFIX (default: $REEL_REGIONS, else two file stores under the data folder).")
    var regions: String?
    @Option(help: "The home region, where uploads land (default: $REEL_HOME_REGION, else the first region).")
    var homeRegion: String?
    @Option(help: "Folder for the embedded stores and scratch files (default: $REEL_DATA_DIR, else .reel-data).")
    var dataDir: String?

    @Option(help: "Redis for the catalog cache (default: $REEL_REDIS_URL; without it, every read goes to PostgreSQL).")
    var redisURL: String?

    /// The catalog, with its Redis cache when one is configured.
    func catalog(_ pool: PostgresPool, readPool: PostgresPool? = nil) throws -> Catalog {
        guard let url = redisURL ?? ProcessInfo.processInfo.environment["REEL_REDIS_URL"] else {
            return Catalog(pool: pool, readPool: readPool)
        }
        do {
            let redis = try RedisPool(url: url, maxConnections: 16)
            // Reading a standby, this region's cache is not invalidated by the primary's region: short lifetimes.
            let cache = readPool == nil ? CatalogCache(redis: redis) : CatalogCache(redis: redis, finishedTTL: CatalogCache.standbyFinishedTTL)
            return Catalog(pool: pool, cache: cache, readPool: readPool)
        } catch {
            throw CLIError("REEL_REDIS_URL: \(error)")
        }
    }

    var dataFolder: URL {
        let path = dataDir ?? ProcessInfo.processInfo.environment["REEL_DATA_DIR"] ?? ".reel-data"
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL
    }

    /// Where large objects pass through on their way between stores.
    var scratch: URL { dataFolder.appendingPathComponent("scratch") }

    func load() throws -> Regions {
        let environment = ProcessInfo.processInfo.environment
        let text = regions ?? environment["REEL_REGIONS"] ?? Regions.defaultConfiguration
        do {
            return try Regions.parse(text, home: homeRegion ?? environment["REEL_HOME_REGION"], base: dataFolder)
        } catch {
            throw CLIError(error.message)
        }
    }
}
