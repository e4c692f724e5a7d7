import COpenSSL

// Small helpers for handing Swift buffers to OpenSSL.

/// Calls `body` with the bytes of `array`, passing typed errors through
/// (`Array.withUnsafeBytes` is `rethrows`, which would widen them to `any Error`).
@inline(__always)
func withBytes<R, E: Error>(of array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
    let result: Result<R, E> = array.withUnsafeBytes { bytes in Result { () throws(E) -> R in try body(bytes) } }
    return try result.get()
}

/// OpenSSL's EVP update calls take `int` lengths; inputs are fed in chunks of at most this many bytes.
let maximumChunk = 1 << 30

/// The bytes of `array`, or of a one-byte scratch value when it is empty, so OpenSSL never sees a
/// null input pointer.
func withNonNullBytes<R>(of array: [UInt8], _ body: (UnsafePointer<UInt8>, Int) -> R) -> R {
    array.withUnsafeBufferPointer { buffer in
        if let base = buffer.baseAddress { return body(base, buffer.count) }
        var scratch: UInt8 = 0
        return body(&scratch, 0)
    }
}

/// Overwrites `buffer` with zeros in a way the optimiser cannot remove.
func wipe(_ buffer: UnsafeMutableRawBufferPointer) {
    guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
    OPENSSL_cleanse(base, buffer.count)
}
