import CardVerifiers
import Foundation
import HTTPClient
import HTTPServer
import JSON
import Synchronization
import TestSupport
import Testing
import VaultCore

/// A local stand-in for the card gateway: records every request and answers with `respond`.
final class FakeGateway: Sendable {
    struct Call: Sendable {
        var method: String
        var path: String
        var authorization: String?
        var contentType: String?
        var body: [UInt8]

        var json: JSONValue? { try? JSONParser.parse(body) }
    }

    private let calls = Mutex<[Call]>([])
    private let respond: @Sendable (Call) async -> HTTPResponse

    init(_ respond: @escaping @Sendable (Call) async -> HTTPResponse) {
        self.respond = respond
    }

    var received: [Call] { calls.withLock { $0 } }

    var handler: HTTPHandler {
        { request, _ in
            let call = Call(
                method: request.method, path: request.target, authorization: request.headers["Authorization"],
                contentType: request.headers["Content-Type"], body: request.body)
            self.calls.withLock { $0.append(call) }
            return await self.respond(call)
        }
    }

    static func transaction(_ members: JSONValue, status: HTTPStatus = .created) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"],
                     body: JSONWriter.write(["transaction": members]))
    }
}

/// Runs `body` with a gateway verifier pointed at a fake gateway on 127.0.0.1 (TLS when `pki`).
func withGateway<R>(
    _ gateway: FakeGateway, pki: TestPKI? = nil, configure: (inout GatewayConfiguration) -> Void = { _ in },
    _ body: (GatewayCardVerifier) async throws -> R
) async throws -> R {
    var server = HTTPServerConfiguration()
    server.handlerThreads = 1
    if let pki {
        server.tls = TLSConfiguration(certificateChainPath: pki.certificatePath("good"), privateKeyPath: pki.keyPath("good"))
    }
    let http = try HTTPServer(configuration: server, handler: gateway.handler)
    let port = try http.start()
    do {
        var configuration = GatewayConfiguration(
            baseURL: pki == nil ? "http://127.0.0.1:\(port)/" : "https://localhost:\(port)",
            merchantID: "coffer-test", publicKey: "public-key", privateKey: "private-key")
        if let pki { configuration.client.trust = .file(pki.caPath) }
        configure(&configuration)
        let result = try await body(try GatewayCardVerifier(configuration: configuration))
        await http.shutdown()
        return result
    } catch {
        await http.shutdown()
        throw error
    }
}

@Suite("Card verifiers: gateway", .ownThreads)
struct GatewayCardVerifierTests {
    let visa = "4111111111111111"
    let address = BillingAddress(line1: "1 Main St", city: "New York", region: "NY", postalCode: "10001", countryCode: "US")

    /// Authorizes $1.00 with the documented body and Basic credentials, then voids the id the
    /// gateway gave.
    @Test func approvedThenVoided() async throws {
        let gateway = FakeGateway { call in
            call.path.hasSuffix("/void")
                ? FakeGateway.transaction(["id": "txn_42", "status": "VOIDED"], status: .ok)
                : FakeGateway.transaction(["id": "txn_42", "status": "AUTHORIZED"])
        }
        try await withGateway(gateway) { verifier in
            let outcome = await verifier.authorize(
                try card(visa), securityCode: try SecurityCode("737"), address: address, amount: .oneDollar)
            #expect(outcome == .approved(CardAuthorizationID(rawValue: "txn_42")))
            try await verifier.void(CardAuthorizationID(rawValue: "txn_42"))
        }
        let calls = gateway.received
        #expect(calls.map(\.path) == ["/merchants/coffer-test/authorizations", "/merchants/coffer-test/authorizations/txn_42/void"])
        #expect(calls.allSatisfy { $0.method == "POST" })
        let credentials = Data("public-key:private-key".utf8).base64EncodedString()
        #expect(calls.allSatisfy { $0.authorization == "Basic \(credentials)" })
        #expect(calls.first?.contentType == "application/json")
        let expected: JSONValue = [
            "amount": "1.00", "currencyCode": "USD",
            "creditCard": ["number": "4111111111111111", "expirationMonth": "12", "expirationYear": "2030", "cvv": "737"],
            "billingAddress": [
                "streetAddress": "1 Main St", "locality": "New York", "region": "NY", "postalCode": "10001", "countryCode": "US",
            ],
        ]
        #expect(calls.first?.json == expected)
    }

    @Test func overTLSWithTheTestCA() async throws {
        let pki = try await TestPKI()
        let gateway = FakeGateway { _ in FakeGateway.transaction(["id": "t1", "status": "AUTHORIZED"]) }
        try await withGateway(gateway, pki: pki) { verifier in
            let outcome = await verifier.authorize(try card(visa), securityCode: nil, address: nil, amount: .oneDollar)
            #expect(outcome == .approved(CardAuthorizationID(rawValue: "t1")))
        }
    }

    /// A decline keeps the processor's text, with a card number it echoes redacted.
    @Test func processorDeclineAndGatewayRejection() async throws {
        let gateway = FakeGateway { call in
            let number = call.json?.objectValue?["creditCard"]?.objectValue?["number"]?.stringValue ?? ""
            return number == "4000111111111115"
                ? FakeGateway.transaction([
                    "id": "t2", "status": "PROCESSOR_DECLINED",
                    "processorResponse": ["code": "2000", "message": .string("Do Not Honor \(number)")],
                ])
                : FakeGateway.transaction(["id": "t3", "status": "GATEWAY_REJECTED", "gatewayRejectionReason": "CVV"])
        }
        try await withGateway(gateway) { verifier in
            let declined = await verifier.authorize(try card("4000111111111115"), securityCode: nil, address: nil, amount: .oneDollar)
            #expect(declined == .declined(CardDecline(code: "processor_declined", message: "2000 Do Not Honor [REDACTED]")))
            let rejected = await verifier.authorize(try card(visa), securityCode: try SecurityCode("200"), address: nil, amount: .oneDollar)
            #expect(rejected == .declined(CardDecline(code: "gateway_rejected", message: "Gateway rejected: CVV")))
        }
    }

    @Test func serverErrorsAndBadAnswersAreFailures() async throws {
        let gateway = FakeGateway { _ in HTTPResponse(status: .internalServerError, body: Array("{}".utf8)) }
        try await withGateway(gateway) { verifier in
            let outcome = await verifier.authorize(try card(visa), securityCode: nil, address: nil, amount: .oneDollar)
            #expect(outcome == .failed(.gatewayError(status: 500)))
            await #expect(throws: CardVerifierFailure.gatewayError(status: 500)) {
                try await verifier.void(CardAuthorizationID(rawValue: "t1"))
            }
        }
        let garbage = FakeGateway { _ in HTTPResponse(status: .ok, body: Array("<html>".utf8)) }
        try await withGateway(garbage) { verifier in
            let outcome = await verifier.authorize(try card(visa), securityCode: nil, address: nil, amount: .oneDollar)
            #expect(outcome == .failed(.invalidResponse("the body is not JSON")))
        }
        let unknown = FakeGateway { _ in FakeGateway.transaction(["id": "t", "status": "SETTLING"]) }
        try await withGateway(unknown) { verifier in
            let outcome = await verifier.authorize(try card(visa), securityCode: nil, address: nil, amount: .oneDollar)
            guard case .failed(.invalidResponse) = outcome else { Issue.record("\(outcome)"); return }
        }
    }

    @Test func slowGatewayIsAFailure() async throws {
        let gateway = FakeGateway { _ in
            try? await Task.sleep(for: .seconds(3))
            return FakeGateway.transaction(["id": "late", "status": "AUTHORIZED"])
        }
        try await withGateway(gateway, configure: { $0.client.readTimeout = .milliseconds(300) }) { verifier in
            let started = ContinuousClock.now
            let outcome = await verifier.authorize(try card(visa), securityCode: nil, address: nil, amount: .oneDollar)
            #expect(outcome == .failed(.unavailable("read_timeout")))
            #expect(ContinuousClock.now - started < .seconds(2))
        }
    }

    @Test func unreachableGatewayIsAFailure() async throws {
        var configuration = GatewayConfiguration(
            baseURL: "http://127.0.0.1:1", merchantID: "m", publicKey: "p", privateKey: "k")
        configuration.client.connectTimeout = .seconds(1)
        let verifier = try GatewayCardVerifier(configuration: configuration)
        let outcome = await verifier.authorize(try card(visa), securityCode: nil, address: nil, amount: .oneDollar)
        #expect(outcome == .failed(.unavailable("connect_failed")))
    }
}
