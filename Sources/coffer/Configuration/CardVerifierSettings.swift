import ArgumentParsing
import CardVerifiers
import HTTPClient
import TLS
import VaultCore

/// `coffer serve --card-verifier none|sandbox|gateway` and the gateway's settings
/// (docs/card-verification.md): the verifier `VaultAPI` hands to the dialects that verify cards.
enum CardVerifierSettings {
    static let gatewayNames = ["card-gateway-url", "card-gateway-merchant-id", "card-gateway-public-key",
                               "card-gateway-private-key-file"]

    static let options = [
        OptionSpec("card-verifier", valueName: "MODE",
                   help: "How cards are verified: none (approve all), sandbox (Braintree's test cards, no network) or gateway.",
                   defaultValue: CardVerifierMode.sandbox.rawValue),
        OptionSpec("card-gateway-url", valueName: "URL", help: "The card gateway's base URL (https://; mode gateway)."),
        OptionSpec("card-gateway-merchant-id", valueName: "ID", help: "The merchant id at the card gateway."),
        OptionSpec("card-gateway-public-key", valueName: "KEY", help: "The card gateway's public key (the Basic user name)."),
        OptionSpec("card-gateway-private-key-file", valueName: "FILE", help: "A file holding the card gateway's private key."),
        OptionSpec("card-gateway-ca-file", valueName: "FILE",
                   help: "Trust only these CA certificates (PEM) for the card gateway instead of the system's."),
    ]

    /// The configured verifier, and its mode for the start-up log. A gateway setting without mode
    /// `gateway`, or mode `gateway` without all four of its settings, is refused: either is a
    /// configuration that does not do what its author thinks.
    static func verifier(_ command: ParsedCommand) throws -> (mode: CardVerifierMode, verifier: any CardVerifier) {
        let text = try command.require("card-verifier")
        guard let mode = CardVerifierMode(rawValue: text) else {
            throw command.invalidValue("card-verifier", text, reason: "expected none, sandbox or gateway")
        }
        let given = (gatewayNames + ["card-gateway-ca-file"]).filter { command.string($0) != nil }
        guard mode == .gateway else {
            if let name = given.first {
                throw CLIError.invalidConfiguration("\(name) is set but the card verifier is '\(mode.rawValue)': set card-verifier = gateway, or remove it")
            }
            return (mode, try mode.makeVerifier(gateway: nil))
        }
        let missing = gatewayNames.filter { command.string($0) == nil }
        guard missing.isEmpty else {
            throw CLIError.invalidConfiguration("the card verifier 'gateway' needs \(missing.joined(separator: ", "))")
        }
        let url = try command.require("card-gateway-url")
        do throws(HTTPClientError) {
            try HTTPClient.check(url: url)
        } catch {
            throw CLIError.invalidConfiguration("card-gateway-url '\(url)': \(error)")
        }
        let privateKey = try command.secretFile("card-gateway-private-key-file")!.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        var gateway = GatewayConfiguration(
            baseURL: url, merchantID: try command.require("card-gateway-merchant-id"),
            publicKey: try command.require("card-gateway-public-key"), privateKey: privateKey)
        if let caFile = command.string("card-gateway-ca-file") { gateway.client.trust = .file(caFile) }
        do throws(CardVerifierSetupError) {
            return (mode, try mode.makeVerifier(gateway: gateway))
        } catch {
            throw CLIError.invalidConfiguration(error.description)
        }
    }
}
