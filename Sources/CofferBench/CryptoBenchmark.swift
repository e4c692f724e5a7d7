import Foundation
import VaultCrypto

/// Per-record cost of the primitives behind tokenize and reveal, to compare with
/// `scripts/floors/floors.sh crypto` (raw OpenSSL EVP) in the same run.
struct CryptoBenchmark {
    var seconds: Double

    func run() throws {
        let key = SymmetricKey.generate()
        let packed = SecretBytes(Array("4111111111111111|203012|".utf8))
        let aad = Array("coffer-card-v1|AAAAAAAAAAAAAAAAAAAAAA|BBBBBBBBBBBBBBBBBBBBBB|1".utf8)
        let box = try AESGCM.seal(packed, using: key, authenticating: aad)
        let pan = Array("4111111111111111".utf8)
        var sink: UInt8 = 0

        try measure("coffer_gcm_seal_per_s") { sink ^= try AESGCM.seal(packed, using: key, authenticating: aad).tag[0] }
        try measure("coffer_gcm_open_per_s") { sink ^= UInt8(truncatingIfNeeded: try AESGCM.open(box, using: key, authenticating: aad).count) }
        measure("coffer_hmac_sha256_per_s") { sink ^= HMACSHA256.authenticationCode(for: pan, using: key)[0] }
        let rsa = try RSAPrivateKey(generatingBits: 2048)
        let ciphertext = try rsa.publicKey.encrypt(Array(packed.bytes), padding: .oaepSHA256MGF1SHA256)
        try measure("coffer_oaep2048_decrypt_per_s", batch: 10) {
            sink ^= UInt8(truncatingIfNeeded: try rsa.decrypt(ciphertext, padding: .oaepSHA256MGF1SHA256).count)
        }
        // Keeps the optimizer from discarding the measured calls.
        if sink == 0xFF && ProcessInfo.processInfo.environment["COFFER_BENCH_SINK"] != nil { print(sink) }
    }

    /// Calls `body` in batches until the time is up; prints operations per second.
    private func measure(_ name: String, batch: Int = 1000, _ body: () throws -> Void) rethrows {
        let start = ContinuousClock.now
        var count = 0
        while ContinuousClock.now - start < .milliseconds(Int(seconds * 1000)) {
            for _ in 0..<batch { try body() }
            count += batch
        }
        print("\(name) \(Int(Double(count) / ((ContinuousClock.now - start) / .seconds(1))))")
    }
}
