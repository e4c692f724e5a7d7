import Foundation
import TestSupport
import Testing
import VaultCore

/// What the kernel shows of a running `coffer serve` given its master key in `COFFER_MASTER_KEY`.
/// The server runs as an unprivileged user (through `setpriv` when the tests run as root, as in
/// CI), so that its `/proc/PID` files being owned by root shows it is not dumpable; root then
/// reads what an attacker with a core dump or the environment file would get.
@Suite("Process hardening of a running server", .serialized, .ownThreads)
struct ProcessHardeningEndToEndTests {
    static let unprivileged: uid_t = 65534

    /// The command prefix that runs a program as `unprivileged`: none when already unprivileged.
    private var launcher: [String] {
        getuid() == 0 ? ["/usr/bin/setpriv", "--reuid=\(Self.unprivileged)", "--regid=\(Self.unprivileged)", "--clear-groups"] : []
    }

    /// A directory the unprivileged user owns, inside a test directory it may pass through.
    private func ownedDirectory(_ name: String, in directory: TemporaryDirectory) throws -> String {
        let path = directory.path(name)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        if getuid() == 0 {
            try FileManager.default.setAttributes([.posixPermissions: 0o711], ofItemAtPath: directory.url.path)
            #expect(chown(path, Self.unprivileged, gid_t(Self.unprivileged)) == 0)
        }
        return path
    }

    /// A /proc file whole (they report size 0, so read to the end rather than by size); nil if unreadable.
    private func contents(_ path: String) -> Data? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return handle.readDataToEndOfFile()
    }

    private func read(_ path: String) throws -> String {
        String(decoding: try #require(contents(path), "\(path)"), as: UTF8.self)
    }

    @Test("No core file, not dumpable, secrets in a locked MADV_DONTDUMP arena, and COFFER_MASTER_KEY gone from /proc/PID/environ")
    func runningServer() async throws {
        let directory = try TemporaryDirectory()
        let keys = try ownedDirectory("keys", in: directory), data = try ownedDirectory("data", in: directory) + "/vault"
        let masterKey = MasterKey.generate().encoded
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("COFFER_") }
        environment["COFFER_MASTER_KEY"] = masterKey
        let initialize = try await ProcessRunner.run(launcher.first ?? ProcessRunner.cofferPath,
                                                     Array(launcher.dropFirst()) + (launcher.isEmpty ? [] : [ProcessRunner.cofferPath])
                                                   + ["init", "--data-dir", data], environment: environment)
        #expect(initialize.status == 0, "\(initialize.standardError)")
        #expect(!FileManager.default.fileExists(atPath: keys + "/master.key"), "the key came from the environment")
        let printed = try #require(try JSONSerialization.jsonObject(with: Data(initialize.standardOutput.utf8)) as? [String: String])

        let server = try await ServerProcess(serving: directory, dataDir: data, arguments: [],
                                             credentials: (try #require(printed["apiKey"]), try #require(printed["tenantId"])),
                                             environment: environment, launcher: launcher)
        let proc = "/proc/\(server.process.id)"
        let created = try await server.request("POST", "/vault/v1/cards", body: #"{"number":"4111111111111111"}"#, key: server.apiKey)
        #expect(created.status == 201, "the key from the environment opened the vault: \(created.body)")

        let limits = try read(proc + "/limits")
        let core = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") })
        #expect(core.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).prefix(2) == ["0", "0"], "\(core)")

        let status = try read(proc + "/status")
        let uid = try #require(status.split(separator: "\n").first { $0.hasPrefix("Uid:") })
        #expect(uid.split(separator: "\t").dropFirst().first.map(String.init) == String(getuid() == 0 ? Self.unprivileged : getuid()))
        let owner = try #require(try FileManager.default.attributesOfItem(atPath: proc + "/status")[.ownerAccountID] as? Int)
        #expect(owner == 0, "a process that is not dumpable has its /proc files owned by root")

        // The secure heap's arena: mapped with the do-not-dump flag, and locked as it is touched.
        let smaps = try read(proc + "/smaps")
        let flags = smaps.split(separator: "\n").filter { $0.hasPrefix("VmFlags:") }.map { Set($0.split(separator: " ").dropFirst()) }
        #expect(flags.contains { $0.isSuperset(of: ["dd", "lo"]) }, "a locked MADV_DONTDUMP mapping: \(server.log)")

        if let environ = contents(proc + "/environ") {
            #expect(environ.range(of: Data(masterKey.utf8)) == nil, "the key's bytes are overwritten")
            #expect(environ.range(of: Data("COFFER_MASTER_KEY=".utf8)) == nil, "and so is its name")
            #expect(environ.range(of: Data("PATH=".utf8)) != nil, "the rest of the environment is still there")
        } else {
            #expect(getuid() != 0, "root reads any process's environment")
        }
        #expect(await server.stop() == 0)
    }
}
