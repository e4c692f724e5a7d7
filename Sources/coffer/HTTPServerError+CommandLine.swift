import ArgumentParsing
import Foundation
import HTTPServer

/// Why `coffer serve` could not start its HTTP server, in terms of `serve`'s options: the
/// server's own description (the address, the file, the system's reason) and what to change.
extension HTTPServerError {
    var commandLineMessage: String {
        switch self {
        case .plaintextOffLoopback(let host):
            """
            refusing to serve plain HTTP on \(host), which is not a loopback address: give --tls-cert FILE and \
            --tls-key FILE, or --allow-plaintext if a TLS-terminating proxy protects this network
            """
        case .invalidHost, .invalidPort:
            "invalid --listen: \(description); host names are not resolved (e.g. 127.0.0.1:8080, [::1]:8080, 0.0.0.0:8443)"
        case .bind(_, let code):
            "\(description): \(Self.remedy(forBindError: code))"
        case .tls:
            """
            \(description); --tls-cert takes the PEM certificate chain (leaf first) and --tls-key the unencrypted \
            PEM private key of that certificate
            """
        case .invalidConfiguration, .system, .alreadyStarted:
            description
        }
    }

    var exitCode: ExitCode {
        switch self {
        case .invalidHost, .invalidPort: .usage
        case .plaintextOffLoopback, .tls, .invalidConfiguration, .bind(_, EADDRNOTAVAIL): .config
        case .bind, .system: .unavailable
        case .alreadyStarted: .software
        }
    }

    private static func remedy(forBindError code: Int32) -> String {
        switch code {
        case EADDRINUSE: "another process is listening there; stop it, or choose another port with --listen"
        case EACCES: "ports below 1024 need root or CAP_NET_BIND_SERVICE; choose a higher port with --listen, or grant the capability"
        case EADDRNOTAVAIL: "no interface of this host has that address; choose one that does, or 0.0.0.0, with --listen"
        default: "choose another address with --listen"
        }
    }
}
