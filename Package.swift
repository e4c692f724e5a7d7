// swift-tools-version:6.0
import PackageDescription

// Coffer has no SwiftPM package dependencies by design: Foundation plus the system
// OpenSSL 3 and SQLite 3 libraries keep the supply chain of a PCI-scoped service small.
let package = Package(
    name: "Coffer",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "coffer", targets: ["coffer"]),
        .executable(name: "coffer-bench", targets: ["CofferBench"]),
    ],
    targets: [
        // C libraries, reached only through VaultCrypto and VaultStore.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CPostgreSQL", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        .target(name: "VaultCrypto", dependencies: ["COpenSSL"]),
        // Threads of our own: the HTTP server's task executor and the vault's pool for heavy work.
        .target(name: "Executors"),
        .target(name: "VaultCore", dependencies: ["VaultCrypto", "Executors"]),
        .target(
            name: "VaultStore",
            dependencies: ["VaultCore", "VaultCrypto", "Executors", "CSQLite", "CPostgreSQL"],
            plugins: ["EmbedMigrations"]
        ),
        .target(name: "ArgumentParsing"),
        .target(name: "JSON"),
        .target(name: "JSONWebToken", dependencies: ["VaultCrypto", "JSON"]),
        .target(name: "Logging"),
        .target(name: "Metrics", dependencies: ["Logging"]),
        // OpenSSL's TLS, server and client role, for HTTPServer and HTTPClient.
        .target(name: "TLS", dependencies: ["COpenSSL"]),
        .target(name: "HTTPServer", dependencies: ["COpenSSL", "TLS", "JSON", "Executors"]),
        // Outbound HTTP/1.1 (card gateways, webhooks), reusing the server's message parsing.
        .target(name: "HTTPClient", dependencies: ["TLS", "HTTPServer", "Executors"]),
        // The implementations of VaultCore's CardVerifier: none, sandbox, an HTTPS gateway.
        .target(name: "CardVerifiers", dependencies: ["VaultCore", "HTTPClient", "HTTPServer", "JSON", "Logging"]),
        // Outbound delivery in `coffer serve`: the signed HTTP transport of VaultCore's outbox, and its worker.
        .target(name: "OutboxDelivery", dependencies: ["VaultCore", "VaultCrypto", "HTTPClient", "HTTPServer", "Executors", "Logging"]),
        .target(name: "VaultAPI",
                dependencies: ["VaultCore", "VaultCrypto", "HTTPServer", "JSON", "JSONWebToken", "Logging", "Metrics"]),
        .executableTarget(
            name: "coffer",
            dependencies: ["Executors", "VaultCore", "VaultStore", "VaultCrypto", "VaultAPI", "CardVerifiers", "OutboxDelivery",
                           "HTTPClient", "TLS", "HTTPServer", "Logging", "Metrics", "ArgumentParsing"],
            plugins: ["EmbedBuildInfo"]),
        .executableTarget(name: "CofferBench", dependencies: ["VaultCore", "VaultStore", "VaultCrypto", "ArgumentParsing"]),

        // Compiles `migrations/NNNN_name.sql` into VaultStore, so the binary carries its schema.
        .executableTarget(name: "MigrationEmbedder"),
        .plugin(name: "EmbedMigrations", capability: .buildTool(), dependencies: ["MigrationEmbedder"]),
        // Compiles `VERSION` and the checked-out commit into `coffer` for `coffer --version`.
        .executableTarget(name: "BuildInfoEmbedder"),
        .plugin(name: "EmbedBuildInfo", capability: .buildTool(), dependencies: ["BuildInfoEmbedder"]),

        // Helpers the test targets share: running external programs, a seeded generator.
        .target(name: "TestSupport", dependencies: ["Executors"], path: "Tests/TestSupport"),
        .testTarget(name: "ExecutorsTests", dependencies: ["Executors", "TestSupport"]),
        .testTarget(name: "VaultCryptoTests", dependencies: ["VaultCrypto", "TestSupport"]),
        .testTarget(name: "VaultCoreTests", dependencies: ["VaultCore", "VaultCrypto", "TestSupport"]),
        .testTarget(name: "VaultStoreTests", dependencies: ["VaultStore", "VaultCore", "VaultCrypto", "TestSupport"]),
        .testTarget(name: "ArgumentParsingTests", dependencies: ["ArgumentParsing", "TestSupport"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON", "TestSupport"]),
        .testTarget(name: "JSONWebTokenTests", dependencies: ["JSONWebToken", "VaultCrypto", "JSON", "TestSupport"]),
        .testTarget(name: "LoggingTests", dependencies: ["Logging", "TestSupport"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "TestSupport"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "TLS", "TestSupport"]),
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "HTTPServer", "TestSupport"]),
        .testTarget(name: "CardVerifiersTests",
                    dependencies: ["CardVerifiers", "VaultCore", "HTTPClient", "HTTPServer", "JSON", "TestSupport"]),
        .testTarget(name: "CofferTests",
                    dependencies: ["Executors", "VaultCore", "VaultStore", "VaultCrypto", "VaultAPI", "CardVerifiers", "OutboxDelivery",
                                   "HTTPServer", "HTTPClient",
                                   "Logging", "Metrics", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
