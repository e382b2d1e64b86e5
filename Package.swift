// swift-tools-version:6.2
// Reel: short-video infrastructure on PostgreSQL, FFmpeg and object stores.
// Layout and layering: see ARCHITECTURE.md in the steering repo and docs/architecture.md.
import PackageDescription

/// Strict settings for every Swift target (STYLE.md #9): Swift 6 mode is the
/// default for tools-version 6.x; these add the upcoming features Hummingbird uses.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "reel",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "reel", targets: ["reel"]),
        .library(name: "ReelPostgres", targets: ["ReelPostgres"]),
        .library(name: "ReelQueue", targets: ["ReelQueue"]),
        .library(name: "ReelRedis", targets: ["ReelRedis"]),
        .library(name: "ReelStore", targets: ["ReelStore"]),
        .library(name: "ReelS3", targets: ["ReelS3"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // OTLP over HTTP only: the gRPC exporter would build gRPC for nothing.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // MARK: C libraries (module map + shim.h with macro wrappers)
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // No pkgConfig: hiredis.pc adds -D_FILE_OFFSET_BITS=64, which SwiftPM refuses with a warning; the shim includes <hiredis/hiredis.h>.
        .systemLibrary(name: "CHiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev", "libswscale-dev", "libswresample-dev"])]
        ),

        // MARK: Libraries
        // A serial executor on a thread of its own, for actors that make blocking C calls.
        .target(name: "ReelThreads", swiftSettings: strict),
        // swift-metrics into swift-prometheus, and the /metrics, /healthz, /readyz server of every process.
        .target(
            name: "ReelObservability",
            dependencies: [
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // The connection-pool state machine and its runtime, shared by the PostgreSQL and Redis pools.
        .target(name: "ReelPool", swiftSettings: strict),
        .target(
            name: "ReelPostgres",
            dependencies: ["CLibPQ", "ReelThreads", "ReelPool", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(name: "ReelRedis", dependencies: ["CHiredis", "ReelThreads", "ReelPool"], swiftSettings: strict),
        .target(
            name: "ReelQueue",
            dependencies: [
                "ReelPostgres", "ReelThreads",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Ladder planning and HLS/DASH writing: what the API needs of media, without FFmpeg.
        .target(name: "ReelManifests", swiftSettings: strict),
        .target(name: "ReelMedia", dependencies: ["CFFmpeg", "ReelManifests", "ReelThreads"], swiftSettings: strict),
        .target(
            name: "ReelStore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The S3 store and the regions configuration that names it: only processes that talk to S3 link an HTTP client.
        .target(
            name: "ReelS3",
            dependencies: [
                "ReelStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ReelCatalog", dependencies: ["ReelPostgres", "ReelStore", "ReelRedis", .product(name: "Logging", package: "swift-log"), .product(name: "CoreMetrics", package: "swift-metrics")],
            swiftSettings: strict),
        // Reel's job kinds, declared once, and the enqueueing of each pipeline step.
        .target(
            name: "ReelPipeline",
            dependencies: ["ReelQueue", "ReelPostgres", "ReelStore", "ReelCatalog", "ReelEdge", .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: strict),
        .target(
            name: "ReelEdge",
            dependencies: [
                "ReelPostgres", "ReelCatalog", "ReelManifests",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ReelWorkers",
            dependencies: [
                "ReelQueue", "ReelPipeline", "ReelMedia", "ReelManifests", "ReelPostgres", "ReelStore", "ReelCatalog", "ReelEdge", "ReelThreads",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "workers",
            swiftSettings: strict
        ),
        .target(
            name: "ReelAPI",
            dependencies: [
                "ReelCatalog", "ReelStore", "ReelQueue", "ReelPostgres", "ReelPipeline", "ReelManifests", "ReelEdge", "ReelObservability",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            resources: [.copy("Dashboard/Templates")],
            swiftSettings: strict
        ),
        .target(
            name: "ReelScheduler",
            dependencies: [
                "ReelQueue", "ReelPostgres", "ReelCatalog", "ReelPipeline",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "scheduler",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "reel",
            dependencies: [
                "ReelPostgres", "ReelQueue", "ReelPipeline", "ReelWorkers", "ReelScheduler", "ReelMedia", "ReelManifests", "ReelStore", "ReelS3", "ReelCatalog", "ReelAPI", "ReelRedis",
                "ReelEdge", "ReelObservability", "ReelThreads",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // MARK: Test helpers and tests
        .target(
            name: "ReelTesting",
            dependencies: [
                "ReelPostgres", "ReelQueue", "ReelScheduler", "ReelStore", "ReelS3", "ReelWorkers",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "ReelPoolTests", dependencies: ["ReelPool"], swiftSettings: strict),
        .testTarget(name: "ReelPipelineTests", dependencies: ["ReelPipeline", "ReelCatalog", "ReelQueue"], swiftSettings: strict),
        .testTarget(name: "ReelPostgresTests", dependencies: ["ReelPostgres", "ReelTesting"], swiftSettings: strict),
        .testTarget(
            name: "ReelCatalogTests", dependencies: ["ReelCatalog", "ReelRedis", "ReelPostgres", "ReelStore", "ReelTesting"],
            swiftSettings: strict
        ),
        .testTarget(name: "ReelRedisTests", dependencies: ["ReelRedis", "ReelTesting"], swiftSettings: strict),
        // Unit tests (no server): `*Tests`; integration tests (PostgreSQL, Redis, SeaweedFS, FFmpeg, Varnish): `*IntegrationTests`
        // and the targets named after what they drive (ReelAPITests, ReelCLITests, ReelMediaTests, ReelStoreTests…).
        .testTarget(name: "ReelQueueTests", dependencies: ["ReelQueue"], swiftSettings: strict),
        .testTarget(name: "ReelSchedulerTests", dependencies: ["ReelScheduler"], swiftSettings: strict),
        .testTarget(name: "ReelManifestsTests", dependencies: ["ReelManifests"], swiftSettings: strict),
        .testTarget(name: "ReelEdgeTests", dependencies: ["ReelEdge", "ReelCatalog"], swiftSettings: strict),
        .testTarget(
            name: "ReelSchedulerIntegrationTests", dependencies: ["ReelScheduler", "ReelQueue", "ReelPostgres", "ReelTesting"],
            swiftSettings: strict),
        .testTarget(
            name: "ReelWorkersIntegrationTests",
            dependencies: [
                "ReelWorkers", "ReelPipeline", "ReelQueue", "ReelTesting", "ReelPostgres", "ReelMedia", "ReelManifests", "ReelStore", "ReelS3",
                "ReelCatalog",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "ReelQueueIntegrationTests",
            dependencies: ["ReelQueue", "ReelScheduler", "ReelWorkers", "ReelTesting", "ReelPostgres", "ReelStore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ReelStoreTests",
            dependencies: [
                "ReelStore", "ReelS3", "ReelTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ReelAPITests",
            dependencies: [
                "ReelAPI", "ReelCatalog", "ReelStore", "ReelS3", "ReelPipeline", "ReelWorkers", "ReelQueue", "ReelPostgres", "ReelTesting", "ReelRedis", "ReelEdge", "ReelManifests",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "ReelMediaTests", dependencies: ["ReelMedia", "ReelManifests", "ReelTesting"], swiftSettings: strict),
        .testTarget(
            name: "ReelCLITests", dependencies: ["ReelTesting", "ReelPostgres", "ReelQueue"], exclude: ["Fixtures"], swiftSettings: strict
        ),
    ]
)
