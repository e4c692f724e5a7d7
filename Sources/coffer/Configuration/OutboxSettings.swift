import ArgumentParsing
import HTTPClient
import OutboxDelivery
import TLS
import VaultCore

/// `coffer serve`'s outbound delivery settings (docs/operations.md, "Outbound delivery"). Without
/// `outbox-url` no worker runs and messages wait in the outbox.
enum OutboxSettings {
    static let options = [
        OptionSpec("outbox-url", valueName: "URL",
                   help: "Deliver outbox messages as signed POSTs to URL (https://, or http:// to loopback); unset: they wait."),
        OptionSpec("outbox-secret-file", valueName: "FILE", help: "A file holding the HMAC secret that signs deliveries."),
        OptionSpec("outbox-ca-file", valueName: "FILE",
                   help: "Trust only these CA certificates (PEM) for the receiver instead of the system's."),
        OptionSpec("outbox-connect-timeout", valueName: "SECONDS", help: "Connecting and the TLS handshake.", defaultValue: "5"),
        OptionSpec("outbox-timeout", valueName: "SECONDS", help: "A whole delivery, request to last response byte.",
                   defaultValue: "30"),
        OptionSpec("outbox-poll-interval", valueName: "SECONDS", help: "How often due messages are looked for.", defaultValue: "1"),
        OptionSpec("outbox-max-attempts", valueName: "N", help: "Attempts before a message is dead.", defaultValue: "12"),
        OptionSpec("outbox-backoff", valueName: "SECONDS", help: "The delay after a first failure; it doubles each time.",
                   defaultValue: "5"),
        OptionSpec("outbox-max-backoff", valueName: "SECONDS", help: "The longest delay between attempts.", defaultValue: "3600"),
    ]

    /// The transport and worker settings, or nil when no URL is configured. Checked before the
    /// vault is opened, so a mistake starts nothing.
    static func delivery(_ command: ParsedCommand) throws -> (transport: HTTPOutboxTransport, settings: DeliveryWorker.Settings)? {
        guard let url = command.string("outbox-url") else {
            for name in ["outbox-secret-file", "outbox-ca-file"] where command.string(name) != nil {
                throw CLIError.invalidConfiguration("\(name) is set but outbox-url is not")
            }
            return nil
        }
        guard let secret = try command.secretFile("outbox-secret-file") else {
            throw CLIError.invalidConfiguration("outbox-url needs outbox-secret-file: deliveries are always signed")
        }
        guard secret.count >= 16 else {
            throw CLIError.invalidConfiguration("outbox-secret-file: the secret must be at least 16 bytes (`openssl rand -hex 32` makes one)")
        }
        var endpoint = OutboxEndpoint(url: url, secret: secret)
        if let caFile = command.string("outbox-ca-file") { endpoint.client.trust = .file(caFile) }
        endpoint.client.connectTimeout = try command.seconds("outbox-connect-timeout") ?? endpoint.client.connectTimeout
        endpoint.client.totalTimeout = try command.seconds("outbox-timeout") ?? endpoint.client.totalTimeout
        endpoint.client.readTimeout = min(endpoint.client.readTimeout, endpoint.client.totalTimeout)
        endpoint.client.threads = 1
        let transport: HTTPOutboxTransport
        do throws(HTTPClientError) {
            transport = try HTTPOutboxTransport(endpoint: endpoint)
        } catch {
            throw CLIError.invalidConfiguration("outbox delivery to '\(url)': \(error)")
        }
        var settings = DeliveryWorker.Settings()
        settings.pollInterval = try command.seconds("outbox-poll-interval") ?? settings.pollInterval
        settings.policy.maximumAttempts = try command.positiveInt("outbox-max-attempts") ?? settings.policy.maximumAttempts
        settings.policy.baseDelay = try command.seconds("outbox-backoff").map(timeInterval) ?? settings.policy.baseDelay
        settings.policy.maximumDelay = try command.seconds("outbox-max-backoff").map(timeInterval) ?? settings.policy.maximumDelay
        return (transport, settings)
    }

    private static func timeInterval(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
