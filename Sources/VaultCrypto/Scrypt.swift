import COpenSSL

/// scrypt (RFC 7914), the memory-hard password-based key derivation function, through OpenSSL's
/// `EVP_KDF` "SCRYPT".
///
/// Deriving takes as much CPU and memory as the parameters ask — 0.1 s of a core and 32 MiB for
/// `ScryptParameters.login` — so never call it on Swift's cooperative pool, whose few threads
/// would stall every other task: run it on the vault's pool for heavy work (`Vault.heavy`), or on
/// a thread of your own.
public enum Scrypt {
    /// The longest key `deriveKey` makes. RFC 7914 allows far more; nothing here needs it.
    public static let maximumByteCount = 1024

    /// The `byteCount`-byte key scrypt derives from `password` and `salt` under `parameters`,
    /// in wiped storage. `byteCount` must be in `1...maximumByteCount`.
    ///
    /// Throws `.library` only when OpenSSL fails (out of memory, no SCRYPT in its providers):
    /// `parameters` were validated when they were made.
    public static func deriveKey(password: SecretBytes, salt: some Collection<UInt8>, parameters: ScryptParameters,
                                 byteCount: Int) throws(CryptoError) -> SecretBytes {
        precondition((1...maximumByteCount).contains(byteCount), "scrypt key length out of range")
        let salt = Array(salt)
        let kdf = try Algorithms.scrypt.get()
        return try SecretBytes(count: byteCount) { (output) throws(CryptoError) in
            let derived = password.withUnsafeBytes { password in
                salt.withUnsafeBytes { salt in derive(kdf, password: password, salt: salt, parameters: parameters, into: output) }
            }
            guard derived else { throw .openSSL("EVP_KDF_derive") }
        }
    }

    /// One `EVP_KDF_derive` with the parameters as `OSSL_PARAM`s; false if OpenSSL failed. The
    /// parameter names are static string literals, valid for the life of the process, and every
    /// buffer they point to lives until `EVP_KDF_derive` returns; OpenSSL copies what it keeps and
    /// wipes its copy of the password when the context is freed.
    private static func derive(_ kdf: OpaquePointer, password: UnsafeRawBufferPointer, salt: UnsafeRawBufferPointer,
                               parameters: ScryptParameters, into output: UnsafeMutableRawBufferPointer) -> Bool {
        guard let context = EVP_KDF_CTX_new(kdf) else { return false }
        defer { EVP_KDF_CTX_free(context) }
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2) { wide in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 2) { narrow in
                withUnsafeTemporaryAllocation(of: OSSL_PARAM.self, capacity: 7) { params in
                    // N and the memory bound are uint64_t, r and p uint32_t (core_names.h).
                    wide[0] = UInt64(parameters.cost)
                    wide[1] = UInt64(parameters.memoryByteCount)
                    narrow[0] = UInt32(parameters.blockSize)
                    narrow[1] = UInt32(parameters.parallelization)
                    params[0] = OSSL_PARAM_construct_octet_string(
                        name("pass"), UnsafeMutableRawPointer(mutating: password.baseAddress), password.count)
                    params[1] = OSSL_PARAM_construct_octet_string(
                        name("salt"), UnsafeMutableRawPointer(mutating: salt.baseAddress), salt.count)
                    params[2] = OSSL_PARAM_construct_uint64(name("n"), wide.baseAddress)
                    params[3] = OSSL_PARAM_construct_uint32(name("r"), narrow.baseAddress)
                    params[4] = OSSL_PARAM_construct_uint32(name("p"), narrow.baseAddress! + 1)
                    // OpenSSL refuses to allocate more than this: exactly what the parameters need.
                    params[5] = OSSL_PARAM_construct_uint64(name("maxmem_bytes"), wide.baseAddress! + 1)
                    params[6] = OSSL_PARAM_construct_end()
                    return EVP_KDF_derive(context, output.baseAddress?.assumingMemoryBound(to: UInt8.self), output.count,
                                          params.baseAddress) == 1
                }
            }
        }
    }

    /// A NUL-terminated C string for an `OSSL_PARAM` name; a static literal outlives every call.
    private static func name(_ literal: StaticString) -> UnsafePointer<CChar> {
        UnsafeRawPointer(literal.utf8Start).assumingMemoryBound(to: CChar.self)
    }
}

/// Validated scrypt parameters: cost N, block size r, parallelization p (RFC 7914 §2).
///
/// Memory is about 128·r·(N + p) bytes and time grows with N·r·p; both are bounded by
/// `ScryptLimits`, so parameters read from a stored hash cannot make a verifier allocate
/// gigabytes or spin for minutes.
public struct ScryptParameters: Sendable, Hashable {
    /// N, a power of two greater than 1.
    public let cost: Int
    /// r, the block size in units of 128 bytes.
    public let blockSize: Int
    /// p, the number of independent mixes.
    public let parallelization: Int

    /// For stored login passwords: N = 2^15, r = 8, p = 1, that is 32 MiB and 0.10 s of CPU on the
    /// 2-core development machine (OpenSSL 3.0.19; 0.3–0.4 s of wall-clock time there with a load
    /// average of 12). OWASP's Password Storage Cheat Sheet asks N = 2^17 (128 MiB, 0.4 s of CPU
    /// here); 2^15 keeps a login short on the one heavy-work thread of a 2-core host. Each hash
    /// carries its parameters, so raising them later leaves existing hashes verifiable.
    public static let login = try! ScryptParameters(cost: 1 << 15, blockSize: 8, parallelization: 1)

    /// Throws unless N is a power of two greater than 1 and below 2^(16·r), r and p are at least
    /// 1 with r·p < 2^30 (RFC 7914 §2), and memory and work stay within `limits`.
    public init(cost: Int, blockSize: Int, parallelization: Int,
                limits: ScryptLimits = .standard) throws(ScryptParameterError) {
        guard cost > 1, cost.nonzeroBitCount == 1 else { throw .invalidCost }
        guard blockSize >= 1 else { throw .invalidBlockSize }
        guard parallelization >= 1, parallelization <= ((1 << 30) - 1) / blockSize else { throw .invalidParallelization }
        // N < 2^(128·r/8): only binds for r < 4, since N < 2^63 anyway.
        guard blockSize >= 4 || cost < 1 << (16 * blockSize) else { throw .invalidCost }
        guard let memory = Self.memoryByteCount(cost: cost, blockSize: blockSize, parallelization: parallelization),
              memory <= limits.maximumMemory else { throw .memoryLimitExceeded }
        let (work, overflow) = cost.multipliedReportingOverflow(by: blockSize * parallelization)
        guard !overflow, work <= limits.maximumWork else { throw .workLimitExceeded }
        self.cost = cost
        self.blockSize = blockSize
        self.parallelization = parallelization
    }

    /// log2 N.
    public var logCost: Int { cost.trailingZeroBitCount }

    /// The bytes OpenSSL allocates for these parameters: 128·r·p for B, 128·r·(N + 2) for V, X
    /// and T (its `kdf_scrypt.c` bound).
    public var memoryByteCount: Int {
        Self.memoryByteCount(cost: cost, blockSize: blockSize, parallelization: parallelization)!
    }

    /// nil on overflow.
    private static func memoryByteCount(cost: Int, blockSize: Int, parallelization: Int) -> Int? {
        let (block, o1) = blockSize.multipliedReportingOverflow(by: 128)
        let (b, o2) = block.multipliedReportingOverflow(by: parallelization)
        let (v, o3) = block.multipliedReportingOverflow(by: cost + 2)
        let (total, o4) = b.addingReportingOverflow(v)
        return o1 || o2 || o3 || o4 ? nil : total
    }
}

/// What scrypt parameters may cost: checked when parameters are made, above all when they come
/// from a stored hash.
public struct ScryptLimits: Sendable, Hashable {
    /// Bytes OpenSSL may allocate (`ScryptParameters.memoryByteCount`).
    public var maximumMemory: Int
    /// N·r·p, to which the time taken is proportional.
    public var maximumWork: Int

    public init(maximumMemory: Int, maximumWork: Int) {
        self.maximumMemory = maximumMemory
        self.maximumWork = maximumWork
    }

    /// 65 MiB and N·r·p = 2^20: room to double the login cost (N = 2^16 at r = 8 needs 64 MiB and
    /// 3 KiB), none for a planted hash to exhaust the host.
    public static let standard = ScryptLimits(maximumMemory: 65 << 20, maximumWork: 1 << 20)
}

/// Why scrypt parameters were refused, with a stable code.
public enum ScryptParameterError: Error, Equatable, Sendable {
    /// N is not a power of two greater than 1, or not below 2^(16·r).
    case invalidCost
    /// r is 0.
    case invalidBlockSize
    /// p is 0, or r·p is 2^30 or more.
    case invalidParallelization
    case memoryLimitExceeded
    case workLimitExceeded

    public var code: String {
        switch self {
        case .invalidCost: "scrypt_invalid_cost"
        case .invalidBlockSize: "scrypt_invalid_block_size"
        case .invalidParallelization: "scrypt_invalid_parallelization"
        case .memoryLimitExceeded: "scrypt_memory_limit_exceeded"
        case .workLimitExceeded: "scrypt_work_limit_exceeded"
        }
    }
}

extension ScryptParameterError: CustomStringConvertible {
    public var description: String { code }
}
