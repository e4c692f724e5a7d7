import Foundation
import HTTPClient
import HTTPServer
import VaultCore
import VaultCrypto

/// Where outbound messages go and how they are signed: from `coffer serve`'s `outbox-*` settings.
public struct OutboxEndpoint: Sendable {
    /// `https://…`, or `http://` to a loopback receiver.
    public var url: String
    /// The HMAC key both sides hold (the secret file's bytes); never sent.
    public var secret: SecretBytes
    /// Trust anchors (`outbox-ca-file`), timeouts and bounds of the POSTs.
    public var client = HTTPClientConfiguration()

    public init(url: String, secret: SecretBytes) {
        self.url = url
        self.secret = secret
    }
}

/// Delivers an outbox message as one signed HTTP POST of its payload:
///
/// - `Coffer-Signature: t=…,v1=…` (`OutboxSignature`),
/// - `Idempotency-Key: <message id>` — the same on every attempt, so the receiver drops repeats
///   (delivery is at least once),
/// - `Coffer-Topic` and `Coffer-Attempt` (1 for the first).
///
/// A 2xx answer is delivered. 408, 429 and every 5xx, like a refused connection or a timeout, are
/// failures worth retrying. Any other 4xx says the receiver will never take this message (a
/// wrong path, a signature it rejects, a body it cannot read): rejected, so dead at once instead of
/// being sent again for hours, and `coffer outbox retry` queues it again once the receiver is
/// fixed. A 1xx or 3xx (no redirect is followed) is retried. Reasons are status codes and
/// the client's error codes: never the payload, never the receiver's body.
public final class HTTPOutboxTransport: OutboxTransport {
    private let endpoint: OutboxEndpoint
    private let client: HTTPClient
    private let clock: @Sendable () -> Date

    public init(endpoint: OutboxEndpoint, clock: @escaping @Sendable () -> Date = { Date() }) throws(HTTPClientError) {
        try HTTPClient.check(url: endpoint.url)
        self.endpoint = endpoint
        self.clock = clock
        client = try HTTPClient(configuration: endpoint.client)
    }

    public func deliver(_ message: OutboundMessage) async -> DeliveryResult {
        let timestamp = Int64(clock().timeIntervalSince1970)
        let request = HTTPClientRequest(method: "POST", url: endpoint.url, headers: [
            "Content-Type": "application/json",
            OutboxSignature.headerName: OutboxSignature.header(body: message.payload, timestamp: timestamp, secret: endpoint.secret),
            "Idempotency-Key": message.id.rawValue,
            "Coffer-Topic": message.topic,
            "Coffer-Attempt": String(message.attempt),
        ], body: message.payload)
        do throws(HTTPClientError) {
            return Self.result(status: try await client.send(request).status.rawValue)
        } catch {
            return .failed(error.code)
        }
    }

    /// What a receiver's status means for the message.
    static func result(status: Int) -> DeliveryResult {
        switch status {
        case 200...299: .delivered
        case 408, 429: .failed("HTTP \(status)")
        case 400...499: .rejected("HTTP \(status)")
        default: .failed("HTTP \(status)")
        }
    }
}
