import VaultCore

/// How cards are verified, chosen by configuration (`coffer serve --card-verifier`).
public enum CardVerifierMode: String, Sendable, CaseIterable {
    /// Every card approved, nothing called: no verification at all.
    case none
    /// Braintree's sandbox test cards decided locally; no network.
    case sandbox
    /// A Braintree-style gateway over HTTPS.
    case gateway

    /// The verifier for this mode; `gateway` needs its configuration.
    public func makeVerifier(gateway: GatewayConfiguration?) throws(CardVerifierSetupError) -> any CardVerifier {
        switch self {
        case .none:
            return NoCardVerifier()
        case .sandbox:
            return SandboxCardVerifier()
        case .gateway:
            guard let gateway else { throw .missingGatewayConfiguration }
            do {
                return try GatewayCardVerifier(configuration: gateway)
            } catch {
                throw .gateway(error.description)
            }
        }
    }
}

/// Why the configured verifier could not be made.
public enum CardVerifierSetupError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Mode `gateway` without a URL, merchant and keys.
    case missingGatewayConfiguration
    /// The gateway's HTTPS client could not start (unreadable CA file, no threads).
    case gateway(String)

    public var description: String {
        switch self {
        case .missingGatewayConfiguration:
            "the card verifier 'gateway' needs the gateway's URL, merchant id, public key and private key"
        case .gateway(let reason):
            "cannot set up the card gateway client: \(reason)"
        }
    }
}
