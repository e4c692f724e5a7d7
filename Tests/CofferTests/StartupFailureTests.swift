import Foundation
import TestSupport
import Testing
import VaultCore

/// Every way `coffer` can fail to start says what failed — the address, the file, the system's
/// reason — and what to do, with the exit code the README documents (64 usage, 65 data error,
/// 69 unavailable, 78 configuration), never 70 "unexpected error".
@Suite("Start-up failures name what failed and what to do", .ownThreads)
struct StartupFailureTests {
    /// `coffer ARGUMENTS`, expected to fail before it serves anything. It runs under `timeout`, so
    /// a server that starts after all fails the test (status 124) instead of hanging it.
    static func failing(_ arguments: [String], environment: [String: String]? = nil,
                        launcher: [String] = []) async throws -> ProcessResult {
        try await ProcessRunner.run("/usr/bin/timeout", ["60"] + launcher + [ProcessRunner.cofferPath] + arguments,
                                    environment: environment)
    }

    @Test("A port another socket listens on: 69, naming HOST:PORT, the system's reason and --listen")
    func portInUse() async throws {
        let directory = try TemporaryDirectory()
        let (dataDir, _, _) = try await CofferCommandTests.initialize(directory)
        let listener = try LoopbackListener()
        let result = try await Self.failing(["serve", "--data-dir", dataDir, "--listen", "127.0.0.1:\(listener.port)"])
        #expect(result.status == 69, "\(result.standardError)")
        #expect(result.standardError.contains("cannot listen on 127.0.0.1:\(listener.port): Address already in use"),
                "\(result.standardError)")
        #expect(result.standardError.contains("choose another port with --listen"))
        #expect(result.standardOutput.isEmpty, "nothing claims to be listening")
    }

    @Test("TLS files missing, not PEM, or not a pair: 78, naming the file and the options")
    func tlsFiles() async throws {
        let directory = try TemporaryDirectory()
        let (dataDir, _, _) = try await CofferCommandTests.initialize(directory)
        let certificate = directory.path("cert.pem"), key = directory.path("key.pem"), otherKey = directory.path("other-key.pem")
        let made = try await ProcessRunner.run("/usr/bin/env", [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1",
            "-keyout", key, "-out", certificate,
        ])
        #expect(made.status == 0, "\(made.standardError)")
        let other = try await ProcessRunner.run("/usr/bin/env", [
            "openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", otherKey,
        ])
        #expect(other.status == 0, "\(other.standardError)")
        let notPEM = directory.path("not-a-certificate.pem")
        try Data("this is not a certificate\n".utf8).write(to: URL(fileURLWithPath: notPEM))
        let serve = ["serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0"]

        let missingCertificate = try await Self.failing(serve + ["--tls-cert", directory.path("missing.pem"), "--tls-key", key])
        #expect(missingCertificate.status == 78, "\(missingCertificate.standardError)")
        #expect(missingCertificate.standardError.contains("'\(directory.path("missing.pem"))': No such file or directory"),
                "\(missingCertificate.standardError)")
        #expect(missingCertificate.standardError.contains("--tls-cert"))

        let missingKey = try await Self.failing(serve + ["--tls-cert", certificate, "--tls-key", directory.path("missing-key.pem")])
        #expect(missingKey.status == 78, "\(missingKey.standardError)")
        #expect(missingKey.standardError.contains("private key file '\(directory.path("missing-key.pem"))'"),
                "\(missingKey.standardError)")

        let garbage = try await Self.failing(serve + ["--tls-cert", notPEM, "--tls-key", key])
        #expect(garbage.status == 78, "\(garbage.standardError)")
        #expect(garbage.standardError.contains("certificate chain from '\(notPEM)'"), "\(garbage.standardError)")

        let mismatch = try await Self.failing(serve + ["--tls-cert", certificate, "--tls-key", otherKey])
        #expect(mismatch.status == 78, "\(mismatch.standardError)")
        #expect(mismatch.standardError.contains("the private key '\(otherKey)' does not match the certificate in '\(certificate)'"),
                "\(mismatch.standardError)")
    }

    @Test("Plain HTTP on an address other than loopback: 78, saying --tls-cert/--tls-key or --allow-plaintext")
    func plaintextOffLoopback() async throws {
        let directory = try TemporaryDirectory()
        let (dataDir, _, _) = try await CofferCommandTests.initialize(directory)
        for (listen, host) in [("0.0.0.0:0", "0.0.0.0"), ("[::]:0", "::")] {
            let result = try await Self.failing(["serve", "--data-dir", dataDir, "--listen", listen])
            #expect(result.status == 78, "\(listen): \(result.standardError)")
            #expect(result.standardError.contains("refusing to serve plain HTTP on \(host),"), "\(result.standardError)")
            #expect(result.standardError.contains("--tls-cert FILE and --tls-key FILE, or --allow-plaintext"), "\(result.standardError)")
        }
    }

    @Test("A --listen that is not HOST:PORT with an address literal, or half a TLS pair: 64, naming the option")
    func usage() async throws {
        let directory = try TemporaryDirectory()
        let (dataDir, _, _) = try await CofferCommandTests.initialize(directory)
        let hostName = try await Self.failing(["serve", "--data-dir", dataDir, "--listen", "vault.example:8443"])
        #expect(hostName.status == 64, "\(hostName.standardError)")
        #expect(hostName.standardError.contains("invalid --listen: 'vault.example' is not an IPv4 or IPv6 address literal"),
                "\(hostName.standardError)")

        let noPort = try await Self.failing(["serve", "--data-dir", dataDir, "--listen", "127.0.0.1"])
        #expect(noPort.status == 64, "\(noPort.standardError)")
        #expect(noPort.standardError.contains("'--listen'"), "\(noPort.standardError)")

        let halfPair = try await Self.failing(["serve", "--data-dir", dataDir, "--tls-cert", directory.path("cert.pem")])
        #expect(halfPair.status == 64, "\(halfPair.standardError)")
        #expect(halfPair.standardError.contains("'--tls-key'"), "\(halfPair.standardError)")
    }

    @Test("serve, keys or audit where there is no vault: 78, 'no vault', the path and coffer init — not the master key")
    func noVault() async throws {
        let directory = try TemporaryDirectory()
        let empty = directory.path("empty"), missing = directory.path("missing")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
        for dataDir in [empty, missing] {
            let serve = try await Self.failing(["serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0"])
            #expect(serve.status == 78, "\(serve.standardError)")
            #expect(serve.standardError.contains("no vault in \(dataDir): run `coffer init --data-dir \(dataDir)` first, or use `--dev`"),
                    "\(serve.standardError)")
            #expect(!serve.standardError.contains("master key"), "\(serve.standardError)")

            for command in [["keys", "status"], ["audit", "verify"], ["audit", "upgrade"]] {
                let result = try await Self.failing(command + ["--data-dir", dataDir])
                #expect(result.status == 78, "\(command): \(result.standardError)")
                #expect(result.standardError.contains("no vault in \(dataDir)"), "\(command): \(result.standardError)")
                #expect(!result.standardError.contains("master key"), "\(command): \(result.standardError)")
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: empty).isEmpty, "nothing was created")
        #expect(!FileManager.default.fileExists(atPath: missing), "nothing was created")
    }

    @Test("A data directory or database this user may not open: 69, naming the path and the system's reason")
    func unreadableDataDirectory() async throws {
        let directory = try TemporaryDirectory()
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("COFFER_") }
        environment["COFFER_MASTER_KEY"] = MasterKey.generate().encoded
        let dataDir = directory.path("data"), database = dataDir + "/coffer.db"
        let created = try await ProcessRunner.coffer(["init", "--data-dir", dataDir], environment: environment)
        #expect(created.status == 0, "\(created.standardError)")
        let user = OtherUser(passingThrough: directory)
        let serve = ["serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0"]

        try user.forbid(dataDir)
        let directoryDenied = try await Self.failing(serve, environment: environment, launcher: user.launcher)
        #expect(directoryDenied.status == 69, "\(directoryDenied.standardError)")
        #expect(directoryDenied.standardError.contains("the data directory \(dataDir) cannot be used: Permission denied"),
                "\(directoryDenied.standardError)")
        #expect(!directoryDenied.standardError.contains("no vault"), "\(directoryDenied.standardError)")

        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dataDir)
        try user.forbid(database)
        let databaseDenied = try await Self.failing(serve, environment: environment, launcher: user.launcher)
        #expect(databaseDenied.status == 69, "\(databaseDenied.standardError)")
        #expect(databaseDenied.standardError.contains("\(database): cannot open or create the database file: Permission denied"),
                "\(databaseDenied.standardError)")
        #expect(databaseDenied.standardError.contains("(storage_unavailable)"), "\(databaseDenied.standardError)")
    }

    @Test("A database that is a directory, or not a database: the path and SQLite's or the system's reason")
    func unusableDatabase() async throws {
        let directory = try TemporaryDirectory()
        let (dataDir, _, _) = try await CofferCommandTests.initialize(directory)
        let database = dataDir + "/coffer.db"
        let serve = ["serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0"]
        for sidecar in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + sidecar) }

        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: database))
        let garbage = try await Self.failing(serve)
        #expect(garbage.status == 65, "\(garbage.standardError)")
        #expect(garbage.standardError.contains("\(database): "), "\(garbage.standardError)")
        #expect(garbage.standardError.contains("file is not a database (storage_corrupt)"), "\(garbage.standardError)")

        try FileManager.default.removeItem(atPath: database)
        try FileManager.default.createDirectory(atPath: database, withIntermediateDirectories: false)
        let folder = try await Self.failing(["migrate", "--data-dir", dataDir])
        #expect(folder.status == 69, "\(folder.standardError)")
        #expect(folder.standardError.contains("\(database): cannot open or create the database file: Is a directory"),
                "\(folder.standardError)")
    }
}

/// A TCP socket listening on an ephemeral loopback port for as long as the value lives.
private final class LoopbackListener {
    let descriptor: Int32
    let port: Int

    struct Failure: Error { let call: String; let code: Int32 }

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(call: "socket", code: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && listen(descriptor, 1) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard listening else {
            let code = errno
            close(descriptor)
            throw Failure(call: "bind, listen or getsockname", code: code)
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}

/// A user who may not read what the test takes away from it: `nobody` through `setpriv` when
/// the tests run as root (as in CI; root itself may open anything), else the current user.
private struct OtherUser {
    let launcher: [String]

    /// `directory` stays passable for the other user, so only what `forbid` names is refused.
    init(passingThrough directory: TemporaryDirectory) {
        guard getuid() == 0 else {
            launcher = []
            return
        }
        chmod(directory.url.path, 0o711)
        launcher = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    }

    /// No access for anyone but root: the test's files belong to root or to the user itself.
    func forbid(_ path: String) throws {
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: path)
    }
}
