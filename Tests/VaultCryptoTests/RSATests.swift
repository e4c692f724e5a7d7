import Foundation
import Testing
import VaultCrypto
import TestSupport

/// One key of each size for the whole suite, generated once on a thread of its own: generation
/// holds a core for up to seconds, which on the cooperative pool would stall every other suite.
enum Fixture {
    private static let generations = [2048, 3072].map { bits in
        (bits, Task { try await blocking { try RSAPrivateKey(generatingBits: bits) } })
    }

    static func rsa(_ bits: Int) async throws -> RSAPrivateKey {
        try await generations.first { $0.0 == bits }!.1.value
    }
}

private let cardData = Array("4111111111111111|203001|123".utf8)

private let pythonEncrypt = """
    import sys
    from cryptography.hazmat.primitives import serialization, hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    key = serialization.load_der_public_key(bytes.fromhex(sys.argv[1]))
    mgf = {"sha256": hashes.SHA256(), "sha1": hashes.SHA1()}[sys.argv[3]]
    ct = key.encrypt(bytes.fromhex(sys.argv[2]),
                     padding.OAEP(mgf=padding.MGF1(algorithm=mgf), algorithm=hashes.SHA256(), label=None))
    numbers = key.public_numbers()
    print(ct.hex()); print(format(numbers.n, "x")); print(numbers.e); print(key.key_size)
    """

private let pythonDecrypt = """
    import sys
    from cryptography.hazmat.primitives import serialization, hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    key = serialization.load_der_private_key(bytes.fromhex(sys.argv[1]), password=None)
    mgf = {"sha256": hashes.SHA256(), "sha1": hashes.SHA1()}[sys.argv[3]]
    pt = key.decrypt(bytes.fromhex(sys.argv[2]),
                     padding.OAEP(mgf=padding.MGF1(algorithm=mgf), algorithm=hashes.SHA256(), label=None))
    print(pt.hex())
    """

@Suite("RSA", .ownThreads)
struct RSATests {
    let key: RSAPrivateKey

    init() async throws {
        key = try await Fixture.rsa(2048)
    }

    @Test func generatedKeyShape() {
        #expect(key.bits == 2048)
        #expect(key.publicKey.bits == 2048)
        #expect(key.publicKey.modulus.count == 256)
        #expect(key.publicKey.modulus.first != 0)
        #expect(key.publicKey.modulus.first.map { $0 >= 0x80 } == true)  // full 2048 bits
        #expect(key.publicKey.exponent == [1, 0, 1])
        #expect("\(key)" == "RSAPrivateKey(2048 bits)")
    }

    @Test("OpenSSL CLI encrypts, we decrypt", arguments: [
        ("sha256", RSAPadding.oaepSHA256MGF1SHA256), ("sha1", RSAPadding.oaepSHA256MGF1SHA1),
    ])
    func openSSLCommandEncryptsWeDecrypt(mgf1: String, padding: RSAPadding) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let der = try directory.write(key.publicKey.subjectPublicKeyInfoDER, to: "public.der")
        let pem = directory.path("public.pem")
        try await openssl("pkey", "-pubin", "-inform", "DER", "-in", der, "-outform", "PEM", "-out", pem)
        #expect(try String(contentsOfFile: pem, encoding: .utf8).hasPrefix("-----BEGIN PUBLIC KEY-----"))
        let input = try directory.write(cardData, to: "plain.bin")
        try await openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", pem, "-in", input, "-out", directory.path("cipher.bin"),
                          "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:\(mgf1)")
        let ciphertext = try directory.read("cipher.bin")
        #expect(ciphertext.count == 256)

        #expect(try key.decrypt(ciphertext, padding: padding).bytes == cardData)
        expectNoOtherPaddingOpens(ciphertext, besides: padding)
    }

    @Test("OpenSSL CLI reads our DER public key directly")
    func openSSLReadsOurDER() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let der = try directory.write(key.publicKey.subjectPublicKeyInfoDER, to: "public.der")
        let modulus = try await openssl("rsa", "-pubin", "-inform", "DER", "-in", der, "-noout", "-modulus").standardOutput
        #expect(modulus.trimmingCharacters(in: .whitespacesAndNewlines) == "Modulus=" + key.publicKey.modulus.hex.uppercased())
        let text = try await openssl("rsa", "-pubin", "-inform", "DER", "-in", der, "-noout", "-text").standardOutput
        #expect(text.contains("Public-Key: (2048 bit)"))
        #expect(text.contains("Exponent: 65537 (0x10001)"))
        // Round trip through OpenSSL's DER output gives the same bytes: ours is canonical.
        try await openssl("pkey", "-pubin", "-inform", "DER", "-in", der, "-outform", "DER", "-out", directory.path("again.der"))
        #expect(try directory.read("again.der") == key.publicKey.subjectPublicKeyInfoDER)
    }

    @Test("Python cryptography encrypts, we decrypt", arguments: [
        ("sha256", RSAPadding.oaepSHA256MGF1SHA256), ("sha1", RSAPadding.oaepSHA256MGF1SHA1),
    ])
    func pythonEncryptsWeDecrypt(mgf1: String, padding: RSAPadding) async throws {
        let lines = try await python(pythonEncrypt, key.publicKey.subjectPublicKeyInfoDER.hex, cardData.hex, mgf1)
            .standardOutput.split(separator: "\n").map(String.init)
        try #require(lines.count == 4)
        let ciphertext = [UInt8](hex: lines[0])
        #expect(try key.decrypt(ciphertext, padding: padding).bytes == cardData)
        expectNoOtherPaddingOpens(ciphertext, besides: padding)
        // Python's view of the key matches our modulus and exponent.
        #expect(lines[1] == key.publicKey.modulus.hex.drop { $0 == "0" })
        #expect(lines[2] == "65537")
        #expect(lines[3] == "2048")
    }

    @Test("We encrypt; Python and OpenSSL decrypt with our PKCS#8 export", arguments: [
        ("sha256", RSAPadding.oaepSHA256MGF1SHA256), ("sha1", RSAPadding.oaepSHA256MGF1SHA1),
    ])
    func othersDecryptWithOurExport(mgf1: String, padding: RSAPadding) async throws {
        let ciphertext = try key.publicKey.encrypt(cardData, padding: padding)
        let pkcs8 = key.pkcs8DER.bytes
        let python = try await python(pythonDecrypt, pkcs8.hex, ciphertext.hex, mgf1).standardOutput
        #expect(python.trimmingCharacters(in: .whitespacesAndNewlines) == cardData.hex)

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let privateKey = try directory.write(pkcs8, to: "private.der")
        let input = try directory.write(ciphertext, to: "cipher.bin")
        try await openssl("pkeyutl", "-decrypt", "-keyform", "DER", "-inkey", privateKey, "-in", input,
                          "-out", directory.path("plain.bin"),
                          "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:\(mgf1)")
        #expect(try directory.read("plain.bin") == cardData)
        // OpenSSL agrees it is unencrypted PKCS#8 (PrivateKeyInfo), not PKCS#1.
        let parsed = try await openssl("asn1parse", "-inform", "DER", "-in", privateKey).standardOutput
        #expect(parsed.contains("rsaEncryption"))
    }

    @Test("Our encrypt and decrypt round trip", arguments: RSAPadding.allCases)
    func roundTrip(padding: RSAPadding) throws {
        let ciphertext = try key.publicKey.encrypt(cardData, padding: padding)
        #expect(ciphertext.count == 256)
        #expect(try key.decrypt(ciphertext, padding: padding).bytes == cardData)
        // Randomised padding: the same plaintext never gives the same ciphertext twice.
        #expect(try key.publicKey.encrypt(cardData, padding: padding) != ciphertext)
        #expect(try key.decrypt(key.publicKey.encrypt([], padding: padding), padding: padding).count == 0)
    }

    @Test func everyDecryptionFailureIsTheSameError() async throws {
        let ciphertext = try key.publicKey.encrypt(cardData, padding: .oaepSHA256MGF1SHA256)
        var flipped = ciphertext
        flipped[100] ^= 1
        let otherKeyCiphertext = try RSAPrivateKey(pkcs8DER: key.pkcs8DER).publicKey  // same key, sanity
            .encrypt(cardData, padding: .oaepSHA256MGF1SHA256)
        #expect(try key.decrypt(otherKeyCiphertext, padding: .oaepSHA256MGF1SHA256).bytes == cardData)
        let bad: [[UInt8]] = [
            [], [0], Array(ciphertext.dropLast()), ciphertext + [0], flipped,
            [UInt8](repeating: 0, count: 256), [UInt8](repeating: 0xff, count: 256),
        ]
        for ciphertext in bad {
            for padding in RSAPadding.allCases {
                #expect(throws: CryptoError.decryptionFailure) { try key.decrypt(ciphertext, padding: padding) }
            }
        }
        // A ciphertext for another key pair.
        let stranger = try await Fixture.rsa(3072).publicKey.encrypt(cardData, padding: .oaepSHA256MGF1SHA256)
        #expect(throws: CryptoError.decryptionFailure) { try key.decrypt(stranger, padding: .oaepSHA256MGF1SHA256) }
        // The failures left nothing behind to confuse later OpenSSL calls on this thread.
        #expect(try key.decrypt(ciphertext, padding: .oaepSHA256MGF1SHA256).bytes == cardData)
    }

    @Test func pkcs8RoundTrip() throws {
        let exported = key.pkcs8DER
        #expect(exported.count > 1000)
        let imported = try RSAPrivateKey(pkcs8DER: exported)
        #expect(imported.bits == 2048)
        #expect(imported.publicKey == key.publicKey)
        #expect(imported.pkcs8DER == exported)
        let ciphertext = try key.publicKey.encrypt(cardData, padding: .oaepSHA256MGF1SHA256)
        #expect(try imported.decrypt(ciphertext, padding: .oaepSHA256MGF1SHA256).bytes == cardData)
        let back = try imported.publicKey.encrypt(cardData, padding: .oaepSHA256MGF1SHA1)
        #expect(try key.decrypt(back, padding: .oaepSHA256MGF1SHA1).bytes == cardData)
    }

    @Test func malformedKeysAreRefused() throws {
        let pkcs8 = key.pkcs8DER.bytes
        let spki = key.publicKey.subjectPublicKeyInfoDER
        for der in [[], [0x30], Array(pkcs8.dropLast()), pkcs8 + [0], SecureRandom.bytes(count: 64), spki] {
            #expect(throws: CryptoError.invalidKey) { try RSAPrivateKey(pkcs8DER: SecretBytes(der)) }
        }
        for der in [[], [0x30], Array(spki.dropLast()), spki + [0], SecureRandom.bytes(count: 64), pkcs8] {
            #expect(throws: CryptoError.invalidKey) { try RSAPublicKey(subjectPublicKeyInfoDER: der) }
        }
    }

    @Test func foreignKeysAreRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // `genpkey -outform DER` writes the traditional formats (SEC1, PKCS#1); `pkcs8 -topk8` wraps them.
        func generate(_ name: String, _ options: String...) async throws {
            try await runCommand("/usr/bin/openssl", ["genpkey"] + options + ["-outform", "DER", "-out", directory.path("\(name).traditional.der")])
            try await openssl("pkcs8", "-topk8", "-nocrypt", "-inform", "DER", "-in", directory.path("\(name).traditional.der"),
                              "-outform", "DER", "-out", directory.path("\(name).pkcs8.der"))
            try await openssl("pkey", "-inform", "DER", "-in", directory.path("\(name).traditional.der"), "-pubout",
                              "-outform", "DER", "-out", directory.path("\(name).public.der"))
        }
        // An EC key is not an RSA key.
        try await generate("ec", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
        #expect(throws: CryptoError.invalidKey) { try RSAPrivateKey(pkcs8DER: SecretBytes(directory.read("ec.pkcs8.der"))) }
        #expect(throws: CryptoError.invalidKey) { try RSAPublicKey(subjectPublicKeyInfoDER: directory.read("ec.public.der")) }
        // A 1024-bit RSA key is too small; and PKCS#1 (not PKCS#8) is not accepted at all.
        try await generate("small", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024")
        #expect(throws: CryptoError.unsupportedKeySize) {
            try RSAPrivateKey(pkcs8DER: SecretBytes(directory.read("small.pkcs8.der")))
        }
        #expect(throws: CryptoError.unsupportedKeySize) {
            try RSAPublicKey(subjectPublicKeyInfoDER: directory.read("small.public.der"))
        }
        #expect(throws: CryptoError.invalidKey) {
            try RSAPrivateKey(pkcs8DER: SecretBytes(directory.read("small.traditional.der")))
        }
    }

    @Test func publicKeyFromDER() async throws {
        let parsed = try RSAPublicKey(subjectPublicKeyInfoDER: key.publicKey.subjectPublicKeyInfoDER)
        #expect(parsed == key.publicKey)
        #expect(parsed.modulus == key.publicKey.modulus)
        #expect(parsed.exponent == [1, 0, 1])
        let ciphertext = try parsed.encrypt(cardData, padding: .oaepSHA256MGF1SHA256)
        #expect(try key.decrypt(ciphertext, padding: .oaepSHA256MGF1SHA256).bytes == cardData)
        let other = try await Fixture.rsa(3072).publicKey
        #expect(parsed != other)
    }

    @Test func oversizedPlaintextIsALibraryError() {
        // OAEP-SHA256 with a 2048-bit key carries at most 256 - 2*32 - 2 = 190 bytes.
        #expect(throws: Never.self) { try key.publicKey.encrypt([UInt8](repeating: 1, count: 190), padding: .oaepSHA256MGF1SHA256) }
        #expect {
            try key.publicKey.encrypt([UInt8](repeating: 1, count: 191), padding: .oaepSHA256MGF1SHA256)
        } throws: { error in
            guard case .library(let reason)? = error as? CryptoError else { return false }
            return !reason.isEmpty
        }
    }

    @Test func generate3072() async throws {
        let key = try await Fixture.rsa(3072)
        #expect(key.bits == 3072)
        #expect(key.publicKey.modulus.count == 384)
        let ciphertext = try key.publicKey.encrypt(cardData, padding: .oaepSHA256MGF1SHA256)
        #expect(ciphertext.count == 384)
        #expect(try key.decrypt(ciphertext, padding: .oaepSHA256MGF1SHA256).bytes == cardData)
    }

    @Test func unsupportedSizesAreRefused() {
        for bits in [0, 512, 1024, 2047, 2049, 8192] {
            #expect(throws: CryptoError.unsupportedKeySize) { try RSAPrivateKey(generatingBits: bits) }
        }
        #expect(RSAPrivateKey.supportedSizes == [2048, 3072, 4096])
    }

    @Test func concurrentDecryptionWithOneKey() async throws {
        let key = self.key
        let ciphertexts = try (0..<8).map { i in
            try key.publicKey.encrypt(Array("card-\(i)".utf8), padding: .oaepSHA256MGF1SHA256)
        }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for (i, ciphertext) in ciphertexts.enumerated() {
                group.addTask {
                    for _ in 0..<25 where try key.decrypt(ciphertext, padding: .oaepSHA256MGF1SHA256).bytes != Array("card-\(i)".utf8) {
                        return false
                    }
                    return true
                }
            }
            for try await ok in group { #expect(ok) }
        }
    }

    /// Another OAEP variant always refuses the ciphertext. PKCS#1 v1.5 refuses it too, except
    /// that a random-looking block passes its padding check about once in 65,000 tries — then it
    /// must at least not give the card data back.
    private func expectNoOtherPaddingOpens(_ ciphertext: [UInt8], besides padding: RSAPadding) {
        for other in RSAPadding.allCases where other != padding {
            do {
                let opened = try key.decrypt(ciphertext, padding: other)
                #expect(other == .pkcs1v15 && opened.bytes != cardData, "\(other) opened an OAEP ciphertext")
            } catch {
                #expect(error == .decryptionFailure)
            }
        }
    }
}

