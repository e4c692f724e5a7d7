import COpenSSL

/// Compares two byte strings in time that depends only on their lengths (`CRYPTO_memcmp`).
///
/// Use it for MACs, tags, API-key hashes and anything else an attacker may probe byte by byte.
/// Inputs of different lengths are unequal; lengths are not treated as secret.
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    a.withUnsafeBytes { a in b.withUnsafeBytes { b in constantTimeEquals(a, b) } }
}

/// Constant-time comparison of any two byte collections; see `constantTimeEquals(_:_:)`.
///
/// Non-contiguous inputs are first copied into ordinary (unwiped) arrays.
public func constantTimeEquals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    let result = a.withContiguousStorageIfAvailable { a in
        b.withContiguousStorageIfAvailable { b in
            constantTimeEquals(UnsafeRawBufferPointer(a), UnsafeRawBufferPointer(b))
        }
    }
    if let result = result ?? nil { return result }
    return constantTimeEquals(Array(a), Array(b))
}

/// Constant-time comparison of two raw buffers; see `constantTimeEquals(_:_:)`.
public func constantTimeEquals(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    guard let pa = a.baseAddress, let pb = b.baseAddress, a.count > 0 else { return true }
    return CRYPTO_memcmp(pa, pb, a.count) == 0
}
