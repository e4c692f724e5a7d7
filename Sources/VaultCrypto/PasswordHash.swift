/// A stored login password: scrypt under a random 16-byte salt, kept as one string that carries
/// its parameters, `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (`ln` = log2 N; salt and 32-byte hash
/// in unpadded Base64URL).
///
/// The layout follows the PHC string format so the parameters can change without a migration;
/// the strict Base64URL codec (not PHC's standard alphabet) gives every hash exactly one text
/// form. Hashing and checking each cost one scrypt derivation: run them off the cooperative pool
/// (see `Scrypt`). `description` shows the parameters only, never salt or hash.
public struct PasswordHash: Sendable {
    public static let saltByteCount = 16
    public static let hashByteCount = 32

    public let parameters: ScryptParameters
    private let salt: [UInt8]
    private let hash: [UInt8]

    /// Hashes `password` under a fresh random salt.
    public init(hashing password: SecretBytes, parameters: ScryptParameters = .login) throws(CryptoError) {
        let salt = SecureRandom.bytes(count: Self.saltByteCount)
        let hash = try Scrypt.deriveKey(password: password, salt: salt, parameters: parameters, byteCount: Self.hashByteCount)
        self.init(parameters: parameters, salt: salt, hash: hash.bytes)
    }

    /// Parses `encoded` strictly: exactly the form `encoded` writes, with decimal numbers without
    /// leading zeros, a 16-byte salt and a 32-byte hash, and parameters within `limits`.
    public init(encoded: String, limits: ScryptLimits = .standard) throws(PasswordHashError) {
        let fields = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0].isEmpty, fields[1] == "scrypt" else { throw .malformed }
        let settings = fields[2].split(separator: ",", omittingEmptySubsequences: false)
        guard settings.count == 3,
              let logCost = Self.number(settings[0], named: "ln"), (1...62).contains(logCost),
              let blockSize = Self.number(settings[1], named: "r"),
              let parallelization = Self.number(settings[2], named: "p"),
              let salt = Base64URL.decode(String(fields[3])), salt.count == Self.saltByteCount,
              let hash = Base64URL.decode(String(fields[4])), hash.count == Self.hashByteCount
        else { throw .malformed }
        let parameters: ScryptParameters
        do throws(ScryptParameterError) {
            parameters = try ScryptParameters(cost: 1 << logCost, blockSize: blockSize, parallelization: parallelization,
                                              limits: limits)
        } catch {
            throw .unacceptableParameters(error)
        }
        self.init(parameters: parameters, salt: salt, hash: hash)
    }

    private init(parameters: ScryptParameters, salt: [UInt8], hash: [UInt8]) {
        self.parameters = parameters
        self.salt = salt
        self.hash = hash
    }

    /// The one string to store.
    public var encoded: String {
        "$scrypt$\(settings)$\(Base64URL.encode(salt))$\(Base64URL.encode(hash))"
    }

    /// Whether `password` is the one hashed: derived again under the stored salt and parameters,
    /// compared in constant time.
    public func matches(_ password: SecretBytes) throws(CryptoError) -> Bool {
        let derived = try Scrypt.deriveKey(password: password, salt: salt, parameters: parameters, byteCount: hash.count)
        return derived.withUnsafeBytes { derived in hash.withUnsafeBytes { constantTimeEquals(derived, $0) } }
    }

    private var settings: String {
        "ln=\(parameters.logCost),r=\(parameters.blockSize),p=\(parameters.parallelization)"
    }

    /// The value of `name=digits`: 1 to 10 ASCII digits, no leading zero.
    private static func number(_ field: Substring, named name: String) -> Int? {
        guard field.hasPrefix(name + "=") else { return nil }
        let digits = field.utf8.dropFirst(name.utf8.count + 1)
        guard (1...10).contains(digits.count), digits.first != UInt8(ascii: "0") || digits.count == 1,
              digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }
}

extension PasswordHash: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "PasswordHash(scrypt \(settings))" }
    public var debugDescription: String { description }
    /// Shows only the parameters, so `dump` cannot reach salt or hash.
    public var customMirror: Mirror { Mirror(self, children: ["parameters": parameters], displayStyle: .struct) }
}

/// Why a stored password hash was refused, with a stable code.
public enum PasswordHashError: Error, Equatable, Sendable {
    /// Not the `$scrypt$ln=…,r=…,p=…$salt$hash` form.
    case malformed
    /// Well-formed, but the parameters are invalid or beyond the verifier's limits.
    case unacceptableParameters(ScryptParameterError)

    public var code: String {
        switch self {
        case .malformed: "malformed_password_hash"
        case .unacceptableParameters(let reason): reason.code
        }
    }
}

extension PasswordHashError: CustomStringConvertible {
    public var description: String { code }
}
