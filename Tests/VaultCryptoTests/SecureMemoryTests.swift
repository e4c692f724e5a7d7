#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport
@testable import VaultCrypto

/// Keys in OpenSSL's secure heap: out of core dumps and swap, wiped on release, and never taking
/// so much of the arena that OpenSSL's own private-key allocations (which have no fallback) would fail.
@Suite("Secure heap", .serialized, .ownThreads)
struct SecureMemoryTests {
    init() {
        // Once per process, as `coffer` does at start; as root or within the memlock limit it is locked.
        #expect(SecureMemory.initialize() != .unavailable)
    }

    @Test("A key lives in the arena and is wiped there when released; a request's plaintext stays on the ordinary heap")
    func keysLiveInTheArena() throws {
        let pattern = (0..<32).map { UInt8($0) ^ 0xA5 }
        let plaintext = SecretBytes(pattern)
        #expect(!plaintext.storage.isInSecureHeap && !SecureMemory.contains(plaintext.storage.pointer))
        #expect(try SymmetricKey(plaintext).secret.storage.isInSecureHeap, "a key is moved there")
        #expect(SymmetricKey.generate().secret.storage.isInSecureHeap)
        let address: UnsafeRawPointer
        do {
            let secret = plaintext.inSecureHeap()
            #expect(secret.storage.isInSecureHeap)
            #expect(SecureMemory.contains(secret.storage.pointer))
            #expect(secret == plaintext && secret.bytes == pattern)
            #expect(secret.inSecureHeap().storage === secret.storage, "already there: not copied again")
            address = UnsafeRawPointer(secret.storage.pointer)
        }
        // The arena stays mapped after release: what is there now is not the secret any more.
        let left = Array(UnsafeRawBufferPointer(start: address, count: pattern.count))
        #expect(left != pattern)
        #expect(SecureMemory.contains(address))
    }

    @Test("Beyond a quarter of the arena, secrets fall back to the ordinary heap, and OpenSSL's own secure allocations still succeed")
    func fallsBackWhenItsShareIsUsed() throws {
        let block = 1 << 16
        var held: [SecretBytes] = []
        // A quarter of the default arena is 32 such blocks; other tests may hold a few more bytes.
        while held.count < 64, held.last?.storage.isInSecureHeap != false {
            held.append(SecretBytes(capacity: block, inSecureHeap: true) { buffer in
                buffer.initializeMemory(as: UInt8.self, repeating: UInt8(held.count))
                return block
            })
        }
        let overflow = try #require(held.last)
        #expect(!overflow.storage.isInSecureHeap, "the share ran out")
        #expect(!SecureMemory.contains(overflow.storage.pointer))
        #expect(overflow.bytes == [UInt8](repeating: UInt8(held.count - 1), count: block), "a fallback secret holds its bytes")
        #expect(held.dropLast().allSatisfy { $0.storage.isInSecureHeap })

        // OpenSSL keeps RSA private numbers in the secure heap with no fallback: they must still fit.
        let key = try RSAPrivateKey(generatingBits: 2048)
        let ciphertext = try key.publicKey.encrypt(Array("4111111111111111|203012|".utf8), padding: .oaepSHA256MGF1SHA256)
        #expect(try key.decrypt(ciphertext, padding: .oaepSHA256MGF1SHA256).bytes == Array("4111111111111111|203012|".utf8))

        held.removeAll()
        #expect(SecretBytes(count: 32) { _ in }.inSecureHeap().storage.isInSecureHeap, "released blocks return to the share")
    }

    @Test("The arena is as large as the memlock limit can lock, from 8 to 64 MiB")
    func arenaFollowsTheLockLimit() {
        let mebibyte: UInt64 = 1 << 20
        #expect(SecureMemory.arenaBytes(lockLimit: 0) == 8 << 20)
        #expect(SecureMemory.arenaBytes(lockLimit: 64 * 1024) == 8 << 20)
        #expect(SecureMemory.arenaBytes(lockLimit: 8 * mebibyte) == 8 << 20)
        #expect(SecureMemory.arenaBytes(lockLimit: 24 * mebibyte) == 16 << 20)
        #expect(SecureMemory.arenaBytes(lockLimit: 64 * mebibyte) == 64 << 20)
        #expect(SecureMemory.arenaBytes(lockLimit: .max) == 64 << 20)
    }

    @Test("A secret larger than the share comes from the ordinary heap, whole")
    func largeSecretsFallBack() {
        let count = SecureMemory.defaultArenaBytes / 2
        let secret = SecretBytes(count: count) { $0.initializeMemory(as: UInt8.self, repeating: 0x5C) }.inSecureHeap()
        #expect(!secret.storage.isInSecureHeap)
        #expect(secret.count == count)
        #expect(secret.withUnsafeBytes { $0.allSatisfy { $0 == 0x5C } })
    }
}
