import Foundation
import Testing
import TestSupport
import VaultCrypto

/// One scrypt case from RFC 7914 section 12.
struct ScryptVector: Sendable, CustomTestStringConvertible {
    let number: Int
    let password: String, salt: String
    let cost: Int, blockSize: Int, parallelization: Int
    let key: String
    var testDescription: String { "RFC 7914 §12 vector \(number)" }
}

/// The first three vectors. The fourth (N = 2^20, r = 8) needs 1 GiB and took 10 s on this
/// 2-core machine with the fuzzers running: too much for a suite that runs tests in parallel.
let rfc7914Vectors: [ScryptVector] = [
    ScryptVector(number: 1, password: "", salt: "", cost: 16, blockSize: 1, parallelization: 1,
                 key: "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
                    + "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"),
    ScryptVector(number: 2, password: "password", salt: "NaCl", cost: 1024, blockSize: 8, parallelization: 16,
                 key: "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
                    + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"),
    ScryptVector(number: 3, password: "pleaseletmein", salt: "SodiumChloride", cost: 16384, blockSize: 8,
                 parallelization: 1,
                 key: "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
                    + "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887"),
]

/// Room for the RFC vectors, whose second one costs twice the standard work limit.
private let roomy = ScryptLimits(maximumMemory: 256 << 20, maximumWork: 1 << 24)

@Suite("scrypt", .ownThreads)
struct ScryptTests {
    @Test("RFC 7914 known answers", arguments: rfc7914Vectors)
    func knownAnswer(_ vector: ScryptVector) throws {
        let parameters = try ScryptParameters(cost: vector.cost, blockSize: vector.blockSize,
                                              parallelization: vector.parallelization, limits: roomy)
        let key = try Scrypt.deriveKey(password: SecretBytes(vector.password.utf8), salt: Array(vector.salt.utf8),
                                       parameters: parameters, byteCount: 64)
        #expect(key.bytes.hex == vector.key)
    }

    /// Random passwords, salts, parameters and lengths against Python's `hashlib.scrypt`. Python
    /// calls the same OpenSSL, so this checks how each input reaches it (the RFC vectors check
    /// the algorithm itself).
    @Test func agreesWithPythonOnRandomInputs() async throws {
        var generator = SplitMix64(seed: 0x5C_2C_7E57)
        var cases: [[String: Any]] = []
        var keys: [String] = []
        for _ in 0..<24 {
            let password = (0..<Int.random(in: 0...40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let salt = (0..<Int.random(in: 0...32, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let parameters = try ScryptParameters(cost: 1 << Int.random(in: 1...10, using: &generator),
                                                  blockSize: Int.random(in: 1...8, using: &generator),
                                                  parallelization: Int.random(in: 1...4, using: &generator))
            let length = Int.random(in: 1...100, using: &generator)
            keys.append(try Scrypt.deriveKey(password: SecretBytes(password), salt: salt, parameters: parameters,
                                             byteCount: length).bytes.hex)
            cases.append(["password": password.hex, "salt": salt.hex, "n": parameters.cost, "r": parameters.blockSize,
                          "p": parameters.parallelization, "length": length])
        }
        let input = String(decoding: try JSONSerialization.data(withJSONObject: cases), as: UTF8.self)
        let result = try await python("""
            import hashlib, json, sys
            for c in json.loads(sys.argv[1]):
                print(hashlib.scrypt(bytes.fromhex(c["password"]), salt=bytes.fromhex(c["salt"]), n=c["n"], r=c["r"],
                                     p=c["p"], dklen=c["length"]).hex())
            """, input)
        #expect(result.standardOutput.split(separator: "\n").map(String.init) == keys)
    }

    @Test func parametersOutsideRFC7914AreRefused() {
        for cost in [-2, 0, 1, 3, 1000, (1 << 14) + 1] {
            #expect(throws: ScryptParameterError.invalidCost) {
                try ScryptParameters(cost: cost, blockSize: 8, parallelization: 1)
            }
        }
        // N must be below 2^(16·r): 2^16 is too large for r = 1.
        #expect(throws: ScryptParameterError.invalidCost) { try ScryptParameters(cost: 1 << 16, blockSize: 1, parallelization: 1) }
        #expect(throws: ScryptParameterError.invalidBlockSize) { try ScryptParameters(cost: 16, blockSize: 0, parallelization: 1) }
        #expect(throws: ScryptParameterError.invalidParallelization) {
            try ScryptParameters(cost: 16, blockSize: 8, parallelization: 0)
        }
        // r·p must be below 2^30.
        let unlimited = ScryptLimits(maximumMemory: .max, maximumWork: .max)
        #expect(throws: ScryptParameterError.invalidParallelization) {
            try ScryptParameters(cost: 2, blockSize: 8, parallelization: 1 << 27, limits: unlimited)
        }
        #expect(throws: Never.self) {
            _ = try ScryptParameters(cost: 2, blockSize: 8, parallelization: (1 << 27) - 1, limits: unlimited)
        }
    }

    @Test func parametersBeyondTheLimitsAreRefused() throws {
        // OWASP's N = 2^17 at r = 8: 128 MiB, though its work (2^20) is within the limit.
        #expect(throws: ScryptParameterError.memoryLimitExceeded) {
            try ScryptParameters(cost: 1 << 17, blockSize: 8, parallelization: 1)
        }
        // RFC 7914's fourth vector: 1 GiB.
        #expect(throws: ScryptParameterError.memoryLimitExceeded) {
            try ScryptParameters(cost: 1 << 20, blockSize: 8, parallelization: 1)
        }
        // Cheap in memory (17 MiB), but 16 mixes: 2^21 work.
        #expect(throws: ScryptParameterError.workLimitExceeded) {
            try ScryptParameters(cost: 1 << 14, blockSize: 8, parallelization: 16)
        }
        // Overflowing products are beyond any limit, not a crash.
        #expect(throws: ScryptParameterError.memoryLimitExceeded) {
            try ScryptParameters(cost: 1 << 62, blockSize: 8, parallelization: 1,
                                 limits: ScryptLimits(maximumMemory: .max, maximumWork: .max))
        }
        let login = ScryptParameters.login
        #expect((login.cost, login.blockSize, login.parallelization, login.logCost) == (1 << 15, 8, 1, 15))
        #expect(login.memoryByteCount == (32 << 20) + 3 * 1024)
        #expect(login.memoryByteCount <= ScryptLimits.standard.maximumMemory)
        #expect(ScryptParameterError.memoryLimitExceeded.code == "scrypt_memory_limit_exceeded")
    }

    /// Doubling the login cost (N = 2^16: 64 MiB and 3 KiB) stays within the standard limits,
    /// and OpenSSL, given exactly `memoryByteCount` as its bound, agrees that it is enough.
    @Test func standardLimitsLeaveRoomToDoubleTheLoginCost() throws {
        let parameters = try ScryptParameters(cost: 1 << 16, blockSize: 8, parallelization: 1)
        #expect(parameters.memoryByteCount == (64 << 20) + 3 * 1024)
        #expect(try Scrypt.deriveKey(password: SecretBytes("x".utf8), salt: [1], parameters: parameters, byteCount: 16).count == 16)
    }
}

@Suite("PasswordHash", .ownThreads)
struct PasswordHashTests {
    /// Cheap parameters for the tests that are not about the cost.
    static let quick = try! ScryptParameters(cost: 1 << 10, blockSize: 8, parallelization: 1)

    @Test func loginHashRoundTripsAndMatchesOnlyItsPassword() throws {
        let password = SecretBytes("correct horse battery staple".utf8)
        let hash = try PasswordHash(hashing: password)
        let encoded = hash.encoded
        #expect(encoded.hasPrefix("$scrypt$ln=15,r=8,p=1$"))
        // 16-byte salt and 32-byte hash in unpadded Base64URL: 22 and 43 characters.
        let fields = encoded.split(separator: "$")
        #expect(fields.map(\.count) == [6, 13, 22, 43])

        let parsed = try PasswordHash(encoded: encoded)
        #expect(parsed.encoded == encoded)
        #expect(parsed.parameters == .login)
        #expect(try parsed.matches(password))
        #expect(try !parsed.matches(SecretBytes("correct horse battery stapler".utf8)))
        #expect(try !parsed.matches(SecretBytes("Correct horse battery staple".utf8)))
        #expect(try !parsed.matches(SecretBytes([])))
    }

    @Test func eachHashHasItsOwnSalt() throws {
        let password = SecretBytes("same password".utf8)
        let first = try PasswordHash(hashing: password, parameters: Self.quick)
        let second = try PasswordHash(hashing: password, parameters: Self.quick)
        #expect(first.encoded != second.encoded)
        #expect(try first.matches(password) && second.matches(password))
    }

    /// The stored hash is scrypt of the password under the stored salt, as Python computes it.
    @Test func encodedHashAgreesWithPython() async throws {
        let password = "pässwörd \u{1F511}"
        let encoded = try PasswordHash(hashing: SecretBytes(password.utf8), parameters: Self.quick).encoded
        let result = try await python("""
            import base64, hashlib, sys
            _, name, settings, salt, stored = sys.argv[1].split("$")
            ln, r, p = (int(field.split("=")[1]) for field in settings.split(","))
            unb64 = lambda text: base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            derived = hashlib.scrypt(sys.argv[2].encode(), salt=unb64(salt), n=1 << ln, r=r, p=p, dklen=32)
            print(name, ln, r, p, len(unb64(salt)), derived == unb64(stored))
            """, encoded, password)
        #expect(result.standardOutput == "scrypt 10 8 1 16 True\n")
    }

    @Test func anAlteredHashMatchesNothing() throws {
        let password = SecretBytes("hunter2".utf8)
        let encoded = try PasswordHash(hashing: password, parameters: Self.quick).encoded
        var fields = encoded.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        for index in [3, 4] {  // salt, hash
            var bytes = try #require(Base64URL.decode(fields[index]))
            bytes[bytes.count - 1] ^= 0x01
            var altered = fields
            altered[index] = Base64URL.encode(bytes)
            #expect(try !PasswordHash(encoded: altered.joined(separator: "$")).matches(password))
        }
        fields[2] = "ln=11,r=8,p=1"
        #expect(try !PasswordHash(encoded: fields.joined(separator: "$")).matches(password))
    }

    @Test func malformedHashesAreRefused() throws {
        let valid = try PasswordHash(hashing: SecretBytes("x".utf8), parameters: Self.quick).encoded
        let fields = valid.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        let salt = fields[3], hash = fields[4]
        let malformed = [
            "", "$scrypt$", "scrypt$ln=10,r=8,p=1$\(salt)$\(hash)", "$SCRYPT$ln=10,r=8,p=1$\(salt)$\(hash)",
            "$scrypt$ln=10,r=8,p=1$\(salt)", "$scrypt$ln=10,r=8,p=1$\(salt)$\(hash)$",
            "$scrypt$ln=10,r=8$\(salt)$\(hash)", "$scrypt$r=8,ln=10,p=1$\(salt)$\(hash)",
            "$scrypt$ln=010,r=8,p=1$\(salt)$\(hash)", "$scrypt$ln=+10,r=8,p=1$\(salt)$\(hash)",
            "$scrypt$ln= 10,r=8,p=1$\(salt)$\(hash)", "$scrypt$ln=10,r=8,p=1,$\(salt)$\(hash)",
            "$scrypt$ln=0,r=8,p=1$\(salt)$\(hash)", "$scrypt$ln=63,r=8,p=1$\(salt)$\(hash)",
            "$scrypt$ln=10,r=99999999999,p=1$\(salt)$\(hash)",
            "$scrypt$ln=10,r=8,p=1$\(salt)==$\(hash)", "$scrypt$ln=10,r=8,p=1$\(salt)$\(hash)=",
            "$scrypt$ln=10,r=8,p=1$\(salt.dropLast(2))$\(hash)", "$scrypt$ln=10,r=8,p=1$\(salt)$\(hash)AA",
            "$scrypt$ln=10,r=8,p=1$\(salt.replacingOccurrences(of: salt.prefix(1), with: "+"))$\(hash)",
        ]
        for text in malformed {
            #expect(throws: PasswordHashError.malformed, "\(text)") { try PasswordHash(encoded: text) }
        }
        #expect(PasswordHashError.malformed.code == "malformed_password_hash")
    }

    /// A planted hash cannot make the verifier allocate a gigabyte or spin: it is refused when
    /// read, before any derivation.
    @Test func costlyStoredParametersAreRefused() throws {
        let fields = try PasswordHash(hashing: SecretBytes("x".utf8), parameters: Self.quick).encoded
            .split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        let refusals: [(String, ScryptParameterError)] = [
            ("ln=20,r=8,p=1", .memoryLimitExceeded), ("ln=17,r=8,p=1", .memoryLimitExceeded),
            ("ln=14,r=8,p=16", .workLimitExceeded),
            ("ln=10,r=0,p=1", .invalidBlockSize), ("ln=10,r=8,p=0", .invalidParallelization),
            ("ln=17,r=1,p=1", .invalidCost),
        ]
        for (settings, reason) in refusals {
            let encoded = ["", "scrypt", settings, fields[3], fields[4]].joined(separator: "$")
            #expect(throws: PasswordHashError.unacceptableParameters(reason), "\(settings)") {
                try PasswordHash(encoded: encoded)
            }
        }
        #expect(PasswordHashError.unacceptableParameters(.workLimitExceeded).code == "scrypt_work_limit_exceeded")
    }

    @Test func descriptionShowsNeitherSaltNorHash() throws {
        let hash = try PasswordHash(hashing: SecretBytes("x".utf8), parameters: Self.quick)
        let fields = hash.encoded.split(separator: "$").map(String.init)
        var dumped = ""
        dump(hash, to: &dumped)
        for text in ["\(hash)", String(reflecting: hash), dumped] {
            #expect(!text.contains(fields[2]) && !text.contains(fields[3]), "\(text)")
        }
        #expect("\(hash)" == "PasswordHash(scrypt ln=10,r=8,p=1)")
    }
}
