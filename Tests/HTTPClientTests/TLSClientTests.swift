import Foundation
import HTTPClient
import HTTPServer
import TestSupport
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The client's TLS against Coffer's own server with certificates from a test CA: it talks to a
/// server whose chain and name verify, and to nothing else.
@Suite("HTTP client: TLS verification", .ownThreads)
struct TLSClientTests {
    let pki: TestPKI

    init() async throws {
        pki = try await TestPKI()
    }

    private func client(trusting path: String? = nil) throws -> HTTPClient {
        var configuration = HTTPClientConfiguration()
        configuration.trust = .file(path ?? pki.caPath)
        configuration.connectTimeout = .seconds(5)
        return try HTTPClient(configuration: configuration)
    }

    private let echo: HTTPHandler = { request, context in
        var body = Array("\(request.method) \(request.target) tls=\(context.isTLS) host=\(request.headers["Host"] ?? "")\n".utf8)
        body += request.body
        return HTTPResponse(status: .created, headers: ["X-Echo": request.headers["X-Test"] ?? ""], body: body)
    }

    @Test func trustedCertificateForTheNameIsAccepted() async throws {
        let client = try client()
        try await withServer(tls: pki.server("good"), handler: echo) { port in
            for host in ["localhost", "127.0.0.1"] {
                let response = try await client.send(HTTPClientRequest(
                    method: "POST", url: "https://\(host):\(port)/v1/cards?x=1", headers: ["X-Test": "yes"],
                    body: Array("payload".utf8)))
                #expect(response.status == .created)
                #expect(response.headers["X-Echo"] == "yes")
                #expect(String(decoding: response.body, as: UTF8.self)
                    == "POST /v1/cards?x=1 tls=true host=\(host):\(port)\npayload")
            }
        }
    }

    @Test func certificateFromAnotherCAIsRefused() async throws {
        let client = try client()
        try await withServer(tls: pki.server("untrusted"), handler: echo) { port in
            let error = await sendError(client, "https://localhost:\(port)/")
            guard case .tls(let reason) = error else { Issue.record("not a TLS failure: \(String(describing: error))"); return }
            #expect(reason.contains("certificate verification failed"), "\(reason)")
        }
    }

    @Test func systemStoreDoesNotTrustTheTestCA() async throws {
        var configuration = HTTPClientConfiguration()
        configuration.trust = .system
        let client = try HTTPClient(configuration: configuration)
        try await withServer(tls: pki.server("good"), handler: echo) { port in
            let error = await sendError(client, "https://localhost:\(port)/")
            #expect(error?.code == "tls_failed", "\(String(describing: error))")
        }
    }

    @Test func certificateForAnotherNameIsRefused() async throws {
        let client = try client()
        try await withServer(tls: pki.server("wrong-name"), handler: echo) { port in
            for host in ["localhost", "127.0.0.1"] {
                let error = await sendError(client, "https://\(host):\(port)/")
                guard case .tls(let reason) = error else { Issue.record("\(host): \(String(describing: error))"); continue }
                #expect(reason.contains("mismatch"), "\(reason)")
            }
        }
    }

    /// `openssl s_server` speaking only TLS 1.1 (at security level 0, where OpenSSL 3 still
    /// allows it): `s_client -tls1_1` completes a handshake with it, Coffer's client refuses.
    @Test func tls11ServerIsRefused() async throws {
        let server = try await ChildProcess(
            "/usr/bin/openssl",
            ["s_server", "-accept", "127.0.0.1:0", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0",
             "-cert", pki.server("good").certificateChainPath, "-key", pki.server("good").privateKeyPath, "-www"],
            timeLimit: .seconds(60))
        // s_server binds the port itself and prints it: "ACCEPT 127.0.0.1:PORT".
        let listening = await server.standardOutput.wait(within: .seconds(10)) { $0.contains("ACCEPT 127.0.0.1:") && $0.contains("\n") }
        guard listening, let line = server.standardOutput.text.split(separator: "\n").first(where: { $0.hasPrefix("ACCEPT") }),
            let port = Int(line.split(separator: ":").last ?? "")
        else {
            server.signal(SIGTERM)
            _ = await server.exit()
            Issue.record("s_server did not start: \(server.standardError.text)")
            return
        }

        let control = try await ProcessRunner.run(
            "/usr/bin/openssl",
            ["s_client", "-connect", "127.0.0.1:\(port)", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", "-CAfile", pki.caPath],
            input: Data(), timeLimit: .seconds(20))
        #expect(control.standardOutput.contains("Protocol  : TLSv1.1"), "\(control.standardOutput)")

        let error = await sendError(try client(), "https://localhost:\(port)/")
        server.signal(SIGTERM)
        _ = await server.exit()
        #expect(error?.code == "tls_failed", "\(String(describing: error))")
    }

    @Test func plainHTTPOnlyToLoopback() async throws {
        let client = try client()
        // Refused before any lookup or connection.
        for host in ["192.0.2.10", "gateway.example", "127.0.0.1.example", "[2001:db8::1]"] {
            let error = await sendError(client, "http://\(host)/")
            #expect(error?.code == "plaintext_off_loopback", "\(host): \(String(describing: error))")
        }
        try await withServer(handler: echo) { port in
            let response = try await client.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/plain"))
            #expect(String(decoding: response.body, as: UTF8.self) == "GET /plain tls=false host=127.0.0.1:\(port)\n")
        }
    }
}

func sendError(_ client: HTTPClient, _ url: String, method: String = "GET") async -> HTTPClientError? {
    do {
        _ = try await client.send(HTTPClientRequest(method: method, url: url))
        return nil
    } catch {
        return error
    }
}
