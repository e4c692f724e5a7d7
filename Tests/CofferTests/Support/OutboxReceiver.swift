import Foundation
import HTTPServer
import Synchronization
import TestSupport

/// A webhook receiver on 127.0.0.1 for outbound-delivery tests: records every request and answers
/// with the status its `behaviour` says — or holds the request past the sender's timeout.
final class OutboxReceiver: Sendable {
    struct Delivery: Sendable {
        var method: String
        var path: String
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    enum Behaviour: Sendable {
        case answer(Int)
        /// Answers 200, but only after this long: a sender with a shorter timeout gives up.
        case hold(Duration)
    }

    /// What the handler and the test share.
    private final class State: Sendable {
        let recorded = Mutex<[Delivery]>([])
        let script: Mutex<[Behaviour]>
        init(_ script: [Behaviour]) { self.script = Mutex(script) }
    }

    private let server: HTTPServer
    private let state: State
    private let isTLS: Bool
    let port: Int

    /// Answers with each behaviour of `script` in turn, the last one for ever; over TLS with
    /// `pki`'s `good` certificate (localhost) when given.
    init(_ script: [Behaviour], tls pki: TestPKI? = nil) throws {
        let state = State(script)
        var configuration = HTTPServerConfiguration()
        configuration.handlerThreads = 2
        if let pki {
            configuration.tls = TLSConfiguration(certificateChainPath: pki.certificatePath("good"), privateKeyPath: pki.keyPath("good"))
        }
        server = try HTTPServer(configuration: configuration) { request, _ in
            state.recorded.withLock {
                $0.append(Delivery(method: request.method, path: request.target, headers: request.headers, body: request.body))
            }
            switch state.script.withLock({ $0.count > 1 ? $0.removeFirst() : $0[0] }) {
            case .answer(let status):
                return HTTPResponse(status: HTTPStatus(status), body: Array("receiver says \(status)".utf8))
            case .hold(let duration):
                try? await Task.sleep(for: duration)
                return HTTPResponse(status: HTTPStatus(200))
            }
        }
        port = try server.start()
        self.state = state
        isTLS = pki != nil
    }

    var url: String { isTLS ? "https://localhost:\(port)/hooks/coffer" : "http://127.0.0.1:\(port)/hooks/coffer" }
    var deliveries: [Delivery] { state.recorded.withLock { $0 } }

    /// From now on, answers every request with `behaviour`.
    func change(to behaviour: Behaviour) { state.script.withLock { $0 = [behaviour] } }

    func stop() async { await server.shutdown() }

    /// Checks `delivery`'s `Coffer-Signature` under `secret` with Python's `hmac` — an
    /// implementation independent of Coffer's — the way docs/operations.md tells receivers to.
    static func signatureIsValid(_ delivery: Delivery, secret: String, in directory: TemporaryDirectory) async throws -> Bool {
        let body = directory.path("body-\(UUID().uuidString)")
        try Data(delivery.body).write(to: URL(fileURLWithPath: body))
        let result = try await ProcessRunner.python(Self.verifier, [secret, delivery.headers["Coffer-Signature"] ?? "", body])
        return result.status == 0 && result.standardOutput == "valid\n"
    }

    /// The receiver's check from docs/operations.md, with the tolerance left out (the tests' clock
    /// may be pinned).
    private static let verifier = """
        import hmac, hashlib, sys
        secret, header, path = sys.argv[1], sys.argv[2], sys.argv[3]
        body = open(path, 'rb').read()
        fields = dict(part.split('=', 1) for part in header.split(','))
        expected = hmac.new(secret.encode(), fields['t'].encode() + b'.' + body, hashlib.sha256).hexdigest()
        print('valid' if hmac.compare_digest(expected, fields['v1']) else 'invalid')
        """
}
