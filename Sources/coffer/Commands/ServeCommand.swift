import ArgumentParsing
import CardVerifiers
import Foundation
import HTTPServer
import Logging
import Metrics
import OutboxDelivery
import VaultAPI
import VaultCore
import VaultCrypto
import VaultStore

/// `coffer serve`: the vault as an HTTP service until SIGTERM or SIGINT, which stop accepting,
/// finish in-flight requests, flush the writer and exit 0.
enum ServeCommand {
    static let developmentDataDirectory = "./data"

    static func run(_ given: ParsedCommand, _ launch: LaunchEnvironment) async throws {
        let command = try ServeSettings.layered(given, environment: ProcessInfo.processInfo.environment)
        if command.flag("print-config") {
            Output.result(ServeSettings.printed(command, launch))
            return
        }
        let logLevel = try ServeSettings.logLevel(command)
        let isDevelopment = command.flag("dev")
        let location = try StorageLocation.given(command, defaultDirectory: isDevelopment ? developmentDataDirectory : nil)
        if let replica = command.string("read-database") {
            throw CLIError.invalidConfiguration("""
                --read-database \(DatabaseURI.masked(replica)): no read of this version may go to a replica. Every read \
                must see the last write of this node or another (reveal after tokenize, duplicate checks, API keys, \
                tenants, data-key versions), which a replica's lag would hide; point reporting and pg_dump at the \
                replica instead (docs/operations.md, "Running on PostgreSQL")
                """)
        }
        if isDevelopment, location.dataDirectory == nil {
            throw CLIError.invalidConfiguration("""
                --dev makes a development vault in a data directory, its master key inside it; a PostgreSQL vault \
                never keeps its key beside the data: run `coffer init --database URI --master-key-file FILE` once, \
                then serve without --dev
                """)
        }

        var configuration = HTTPServerConfiguration()
        (configuration.host, configuration.port) = try listenAddress(command)
        configuration.allowsPlaintextOffLoopback = command.flag("allow-plaintext")
        switch (command.string("tls-cert"), command.string("tls-key")) {
        case (let certificate?, let key?):
            configuration.tls = TLSConfiguration(certificateChainPath: certificate, privateKeyPath: key)
        case (nil, nil):
            break
        case (_?, nil):
            throw ArgumentError.missingRequiredOption("--tls-key")
        case (nil, _?):
            throw ArgumentError.missingRequiredOption("--tls-cert")
        }
        if let maxBody = try command.int("max-body-bytes") { configuration.limits.maxBodyBytes = maxBody }
        configuration.parseErrorResponse = VaultAPI.parseErrorResponse
        let cardVerification = try CardVerifierSettings.verifier(command)
        let delivery = try OutboxSettings.delivery(command)

        // After the command line is checked (a mistake there creates nothing) and before the master
        // key is fetched (a directory without a vault is not reported as a missing key).
        if let directory = location.dataDirectory, try !directory.holdsVault() {
            guard isDevelopment else { throw CLIError.notInitialized(location.option, offerDevelopmentMode: true) }
            let created = try await InitCommand.initialize(directory, masterKey: try MasterKeySource.given(command, launch),
                                                           keyInDataDirectory: true, tenantName: "development")
            Output.json(["tenantId": created.id.rawValue, "apiKey": created.adminKey.secret])
            Output.note("development vault created in \(directory.url.path); the API key above is shown only once")
        }
        let storage = try await location.openExisting()
        let source: MasterKeySource, vault: Vault
        do {
            source = try MasterKeySource.resolve(command, launch, location: location)
            vault = try await Vault.open(storage: storage, masterKey: try await source.load())
        } catch {
            await storage.close()
            throw error
        }
        let logger = Logger(label: "coffer", logLevel: logLevel, sink: StreamLogSink.standardError)
        log(launch.hardening, logger)
        logger.notice("storage", metadata: ["location": .string(location.option)])
        if !isDevelopment, case .file(let url) = source, location.dataDirectory?.contains(url) == true {
            logger.warning("the master key is kept inside the data directory: a copy of the directory holds the key beside what it protects; move it to another volume (--master-key-file) or a key manager (--master-key-command)",
                           metadata: ["file": .string(url.path)])
        }
        let registry = MetricsRegistry()
        try registry.counter("coffer_store_write_batches_total", help: "Write transactions committed by the group-commit writer.") {
            Double(storage.writeStats.batches)
        }
        try registry.counter("coffer_store_write_jobs_total", help: "Writes carried by those transactions.") {
            Double(storage.writeStats.jobs)
        }
        try registry.counter("coffer_store_write_lost_races_total",
                             help: "Write transactions rolled back after losing a race with another node's writer, then run again.") {
            Double(storage.writeStats.lostRaces)
        }
        try registry.gauge("coffer_store_write_batch_largest", help: "The most writes one transaction has carried.") {
            Double(storage.writeStats.largestBatch)
        }
        let api = try VaultAPI(vault: vault, logger: logger, metrics: registry, cardVerifier: cardVerification.verifier)
        logger.notice("card verifier", metadata: ["mode": .string(cardVerification.mode.rawValue)])
        let worker = try delivery.map { delivery in
            try startDelivery(OutboxService(vault), delivery.transport, delivery.settings, logger, registry)
        }
        if worker == nil { logger.notice("outbound delivery off (no outbox-url): outbox messages wait") }
        configuration.rejectionObserver = api.record
        let server = try HTTPServer(configuration: configuration) { request, context in
            await api.handle(request, context)
        }
        let termination = TerminationSignals.subscribe()
        let port = try server.start()
        let scheme = configuration.tls == nil ? "http" : "https"
        Output.result("listening on \(scheme)://\(configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host):\(port)")
        logger.notice("listening", metadata: ["host": .string(configuration.host), "port": .int(port), "tls": .bool(configuration.tls != nil)])

        // Once a minute: write the failed authentications whose interval ended, forget expired
        // single-use tokens and idempotency records, pick up a data-key or master-key rotation made
        // by `coffer keys rotate` or `rotate-master` in another process, and checkpoint the audit
        // log outside the database.
        let checkpointFile = try AuditCommand.checkpointFile(command, location)
        if let checkpointFile, location.dataDirectory?.contains(checkpointFile.url) == true {
            logger.notice("audit checkpoints are kept inside the data directory, where whoever can cut the log can cut them too: pass --checkpoint-file on another volume, or ship `coffer audit export`",
                          metadata: ["file": .string(checkpointFile.url.path)])
        } else if checkpointFile == nil {
            logger.warning("audit checkpoints are off: a PostgreSQL vault has no data directory to keep them in; pass --checkpoint-file (one per node), or ship `coffer audit export`")
        }
        let checkpointer = checkpointFile.map { AuditCheckpointer(vault: vault, file: $0) }
        let maintenance = Task {
            // Cancelled at shutdown: the sleep throws and the loop ends without another round.
            while (try? await Task.sleep(for: .seconds(60))) != nil {
                await flushFailedAuthentications(vault, all: false, logger)
                _ = try? await vault.removeExpiredRecords()
                try? await vault.reloadDataKeys()
                if let checkpointer { await checkpoint(checkpointer, logger) }
            }
        }
        var signals = termination.makeAsyncIterator()
        let signal = await signals.next() ?? SIGTERM
        logger.notice("stopping", metadata: ["signal": .int(Int(signal))])
        maintenance.cancel()
        // The delivery in flight ends (its outcome recorded) while the server drains.
        async let deliveryStopped: Void? = worker?.stop()
        // A round under way finishes before the last flush and checkpoint, never beside them.
        await maintenance.value
        await server.shutdown()
        await deliveryStopped
        // No request is in flight any more: what the tally still counts goes into the log, and
        // the last checkpoint covers it.
        await flushFailedAuthentications(vault, all: true, logger)
        if let checkpointer { await checkpoint(checkpointer, logger) }
        await storage.close()
        logger.notice("stopped")
    }

    /// Starts the outbox's delivery worker and its `coffer_outbox_*` metrics.
    private static func startDelivery(_ outbox: OutboxService, _ transport: HTTPOutboxTransport, _ settings: DeliveryWorker.Settings,
                                      _ logger: Logger, _ registry: MetricsRegistry) throws -> DeliveryWorker {
        let worker = try DeliveryWorker(outbox: outbox, transport: transport, settings: settings, logger: logger)
        for (name, help, value) in [
            ("coffer_outbox_delivered_total", "Outbox messages delivered (2xx from the receiver).", \DeliveryStatistics.delivered),
            ("coffer_outbox_failed_attempts_total", "Delivery attempts that failed (retried, or the last).", \.failedAttempts),
            ("coffer_outbox_dead_total", "Messages made dead: last attempt failed, or refused with a 4xx.", \.dead),
        ] {
            try registry.counter(name, help: help) { Double(worker.statistics[keyPath: value]) }
        }
        try registry.gauge("coffer_outbox_pending_messages", help: "Messages waiting for delivery, at the last round.") {
            Double(worker.statistics.pending)
        }
        try registry.gauge("coffer_outbox_dead_messages", help: "Dead messages waiting for `coffer outbox retry`, at the last round.") {
            Double(worker.statistics.deadWaiting)
        }
        worker.start()
        logger.notice("outbound delivery on", metadata: [
            "pollSeconds": .string("\(settings.pollInterval)"), "maxAttempts": .int(settings.policy.maximumAttempts),
        ])
        return worker
    }

    private static func flushFailedAuthentications(_ vault: Vault, all: Bool, _ logger: Logger) async {
        do {
            try await vault.flushFailedAuthentications(all: all)
        } catch {
            logger.error("writing failed authentications to the audit log failed", metadata: ["error": .string(describe(error).message)])
        }
    }

    /// Says what protects key material in memory; a secure heap that could not be locked leaves
    /// secrets swappable, which the memlock limit (`LimitMEMLOCK=8M`, `ulimit -l 8192`) fixes.
    private static func log(_ hardening: ProcessHardening.Report, _ logger: Logger) {
        let metadata: [String: LogValue] = [
            "coreDumps": .string(hardening.coreDumpsDisabled && !hardening.isDumpable ? "disabled" : "enabled"),
            "secureHeap": .string(hardening.secureHeap.rawValue),
        ]
        if hardening.secureHeap == .locked, hardening.coreDumpsDisabled, !hardening.isDumpable {
            logger.notice("key material kept out of core dumps and swap", metadata: metadata)
        } else {
            logger.warning("key material may reach core dumps or swap", metadata: metadata)
        }
    }

    private static func checkpoint(_ checkpointer: AuditCheckpointer, _ logger: Logger) async {
        do {
            try await checkpointer.checkpointIfGrown()
        } catch {
            logger.error("audit checkpoint failed", metadata: ["error": .string(describe(error).message)])
        }
    }

    /// `--listen`: `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (loopback).
    static func listenAddress(_ command: ParsedCommand) throws -> (String, Int) {
        let text = try command.require("listen")
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65535).contains(port) else {
            throw command.invalidValue("listen", text, reason: "expected HOST:PORT")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }
}
