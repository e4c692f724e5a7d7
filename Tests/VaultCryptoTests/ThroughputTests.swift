import Foundation
import Testing
import VaultCrypto

/// Per-record throughput, to compare with `shared/bench/floors.sh crypto`. Opt-in, and meant for
/// release builds: `COFFER_CRYPTO_BENCH=1 swift test -c release --filter Throughput`.
@Suite("Throughput", .enabled(if: ProcessInfo.processInfo.environment["COFFER_CRYPTO_BENCH"] == "1"))
struct ThroughputTests {
    private func measure(_ name: String, seconds: Double = 1, _ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        var count = 0
        while (clock.now - start) < .seconds(seconds) {
            for _ in 0..<1_000 { try body() }
            count += 1_000
        }
        let elapsed = clock.now - start
        let rate = Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        print("\(name) ops/s=\(Int(rate)) ns/op=\(Int(1e9 / rate))")
        return rate
    }

    @Test func perRecordRates() throws {
        let key = SymmetricKey.generate()
        let pan = Array("4111111111111111".utf8)
        let aad = Array("tenant-0000000000000000|token-000000000000000|1".utf8)
        let secretPAN = SecretBytes(pan)
        let box = try AESGCM.seal(pan, using: key, authenticating: aad)
        var sink: UInt8 = 0
        let seal = try measure("gcm_seal") { sink ^= try AESGCM.seal(secretPAN, using: key, authenticating: aad).tag[0] }
        let open = try measure("gcm_open") { sink ^= UInt8(truncatingIfNeeded: try AESGCM.open(box, using: key, authenticating: aad).count) }
        let hmac = measure("hmac_sha256") { sink ^= HMACSHA256.authenticationCode(for: pan, using: key)[0] }
        let sha = measure("sha256") { sink ^= SHA256.hash(pan)[0] }
        let rsa = Fixture.rsa2048
        let ciphertext = try rsa.publicKey.encrypt(pan, padding: .oaepSHA256MGF1SHA256)
        let clock = ContinuousClock(), start = clock.now
        for _ in 0..<500 { sink ^= UInt8(truncatingIfNeeded: try rsa.decrypt(ciphertext, padding: .oaepSHA256MGF1SHA256).count) }
        print("oaep2048_decrypt ops/s=\(Int(500 / ((clock.now - start) / .seconds(1))))")
        print("sink \(sink)")
        #expect(seal > 0 && open > 0 && hmac > 0 && sha > 0)
    }
}
