import Foundation
@testable import HTTPServer
import TestSupport
import TLS
import Testing

/// A self-signed certificate for `localhost` / 127.0.0.1 in a temporary directory.
final class TestCertificate: Sendable {
    let directory: String
    var certificatePath: String { directory + "/c.pem" }
    var keyPath: String { directory + "/k.pem" }

    init() async throws {
        directory = NSTemporaryDirectory() + "coffer-tls-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let result = try await ProcessRunner.run(
            "/usr/bin/openssl",
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "1",
             "-keyout", directory + "/k.pem", "-out", directory + "/c.pem"])
        guard result.status == 0 else { throw ServerTestError("openssl req failed: \(result.standardError)") }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    var configuration: TLSConfiguration {
        TLSConfiguration(certificateChainPath: certificatePath, privateKeyPath: keyPath)
    }
}

@Suite("Server: TLS", .ownThreads)
struct ServerTLSTests {
    let certificate: TestCertificate

    init() async throws {
        certificate = try await TestCertificate()
    }

    private func curl(_ arguments: [String], port: Int, path: String = "/") async throws -> ProcessResult {
        try await ProcessRunner.run(
            "/usr/bin/curl",
            ["-sS", "--max-time", "5", "--cacert", certificate.certificatePath] + arguments + ["https://localhost:\(port)\(path)"])
    }

    @Test func curlOverTLSWithDefaults() async throws {
        let tls = certificate.configuration
        try await withServer(configure: { $0.tls = tls }) { _, port in
            let result = try await curl([], port: port, path: "/secure")
            #expect(result.status == 0, "\(result.standardError)")
            #expect(result.standardOutput == "GET /secure\n")

            let post = try await curl(["--data-binary", "card-ish payload", "-H", "Content-Type: text/plain"], port: port, path: "/p")
            #expect(post.status == 0, "\(post.standardError)")
            #expect(post.standardOutput == "POST /p\ncard-ish payload")
        }
    }

    @Test func tls12AndTls13AreAccepted() async throws {
        let tls = certificate.configuration
        try await withServer(configure: { $0.tls = tls }) { _, port in
            let v12 = try await curl(["--tlsv1.2", "--tls-max", "1.2", "-w", "%{http_code}", "-o", "/dev/null"], port: port)
            #expect(v12.status == 0, "\(v12.standardError)")
            #expect(v12.standardOutput == "200")
            let v13 = try await curl(["--tlsv1.3", "-w", "%{http_code}", "-o", "/dev/null"], port: port)
            #expect(v13.status == 0, "\(v13.standardError)")
            #expect(v13.standardOutput == "200")
        }
    }

    @Test func tls11IsRefused() async throws {
        let tls = certificate.configuration
        try await withServer(configure: { $0.tls = tls }) { _, port in
            let curl11 = try await curl(["--tlsv1.1", "--tls-max", "1.1"], port: port)
            #expect(curl11.status != 0)
            // OpenSSL 3 clients refuse TLS 1.1 themselves at the default security level; at
            // level 0 this client would speak it, so a failure here is the server's refusal.
            let sClient = try await ProcessRunner.run(
                "/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"],
                input: Data())
            #expect(sClient.status != 0)
            #expect(sClient.standardOutput.contains("Cipher is (NONE)"))
            #expect(!sClient.standardOutput.contains("New, TLSv1"))
        }
    }

    @Test func weakTLS12CiphersAreRefused() async throws {
        let tls = certificate.configuration
        try await withServer(configure: { $0.tls = tls }) { _, port in
            let cbc = try await curl(["--tlsv1.2", "--tls-max", "1.2", "--ciphers", "AES128-SHA"], port: port)
            #expect(cbc.status != 0)
            let gcm = try await curl(
                ["--tlsv1.2", "--tls-max", "1.2", "--ciphers", "ECDHE-RSA-AES128-GCM-SHA256", "-o", "/dev/null"], port: port)
            #expect(gcm.status == 0, "\(gcm.standardError)")
        }
    }

    @Test func keepAliveOverTLS() async throws {
        let tls = certificate.configuration
        try await withServer(configure: { $0.tls = tls }) { _, port in
            // Two URLs in one curl run reuse the connection.
            let result = try await ProcessRunner.run(
                "/usr/bin/curl",
                ["-sS", "-v", "--max-time", "5", "--cacert", certificate.certificatePath,
                 "https://localhost:\(port)/one", "https://localhost:\(port)/two"])
            #expect(result.status == 0, "\(result.standardError)")
            #expect(result.standardOutput == "GET /one\nGET /two\n")
            #expect(result.standardError.contains("Re-using existing connection"))
        }
    }

    @Test func plaintextOnTheTLSPortIsDropped() async throws {
        let tls = certificate.configuration
        let counter = CallCounter()
        try await withServer(configure: { $0.tls = tls }, handler: echoHandler(counter: counter)) { _, port in
            let received = try await blocking {
                let client = try TestClient(port: port)
                try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                return client.readToEnd(timeout: .seconds(2))
            }
            #expect(received.eof)
            #expect(!String(decoding: received.bytes, as: UTF8.self).contains("HTTP/1.1"))
            #expect(counter.value == 0)
        }
    }

    @Test func contextRequiresTLS12() throws {
        let context = try TLSContext(server: certificate.configuration)
        #expect(context.minimumProtocolVersion == 0x0303)  // TLS1_2_VERSION
    }

    @Test func missingCertificateFailsAtInit() throws {
        var configuration = HTTPServerConfiguration()
        configuration.tls = TLSConfiguration(certificateChainPath: "/nonexistent/c.pem", privateKeyPath: certificate.keyPath)
        #expect {
            _ = try HTTPServer(configuration: configuration, handler: echoHandler())
        } throws: { error in
            guard case HTTPServerError.tls(let message) = error else { return false }
            return message.contains("/nonexistent/c.pem")
        }
    }

    @Test func mismatchedKeyFailsAtInit() async throws {
        let other = try await TestCertificate()
        var configuration = HTTPServerConfiguration()
        configuration.tls = TLSConfiguration(certificateChainPath: certificate.certificatePath, privateKeyPath: other.keyPath)
        #expect {
            _ = try HTTPServer(configuration: configuration, handler: echoHandler())
        } throws: { error in
            guard case HTTPServerError.tls(let message) = error else { return false }
            return message.contains("does not match")
        }
    }
}
