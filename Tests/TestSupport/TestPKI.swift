import Foundation

/// A throwaway PKI made with the `openssl` command: a trusted CA, an unrelated CA, and server
/// certificates (P-256 keys, one day) signed by them.
public final class TestPKI: Sendable {
    public let directory: String

    public init() async throws {
        directory = NSTemporaryDirectory() + "coffer-pki-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        // ca: trusted by the tests' clients; other-ca: trusted by nobody.
        // good: localhost + 127.0.0.1 from ca; wrong-name: wrong.example from ca;
        // untrusted: localhost + 127.0.0.1 from other-ca.
        let script = """
            set -e
            cd "$1"
            for ca in ca other-ca; do
              openssl req -x509 \(key) -subj "/CN=Coffer test $ca" -days 1 -keyout $ca.key -out $ca.pem 2>/dev/null
            done
            leaf() {
              printf 'subjectAltName=%s\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' "$3" > $1.ext
              openssl req \(key) -subj "/CN=$1" -keyout $1.key -out $1.csr 2>/dev/null
              openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key -CAcreateserial -days 1 -extfile $1.ext -out $1.pem 2>/dev/null
            }
            leaf good ca DNS:localhost,IP:127.0.0.1
            leaf wrong-name ca DNS:wrong.example
            leaf untrusted other-ca DNS:localhost,IP:127.0.0.1
            """
        let result = try await ProcessRunner.run("/bin/sh", ["-c", script, "sh", directory])
        guard result.status == 0 else { throw TestPKIError(reason: result.standardError) }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    public var caPath: String { directory + "/ca.pem" }

    /// The certificate and key of server `good` (localhost, 127.0.0.1), `wrong-name`
    /// (wrong.example) or `untrusted` (localhost, 127.0.0.1, from the other CA).
    public func certificatePath(_ name: String) -> String { "\(directory)/\(name).pem" }
    public func keyPath(_ name: String) -> String { "\(directory)/\(name).key" }
}


public struct TestPKIError: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { "openssl failed to make the test PKI: \(reason)" }
}
