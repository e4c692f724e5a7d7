#if canImport(Glibc)
import Glibc
#endif
import TestSupport
import Testing
import VaultCrypto

@Suite("SecretBytes, SymmetricKey, SecureRandom, constant-time compare", .ownThreads)
struct SecretsTests {
    @Test func secretBytesNeverPrintsItsContents() {
        let secret = SecretBytes([201, 202, 203, 204])
        #expect(secret.description == "SecretBytes(4 bytes)")
        #expect(secret.debugDescription == "SecretBytes(4 bytes)")
        #expect("\(secret)" == "SecretBytes(4 bytes)")
        #expect(String(reflecting: secret) == "SecretBytes(4 bytes)")
        var dumped = ""
        dump(secret, to: &dumped)
        var dumpedInArray = ""
        dump([secret], to: &dumpedInArray)
        for text in [dumped, dumpedInArray, String(describing: Mirror(reflecting: secret).children.map { $0 })] {
            for leaked in ["201", "202", "203", "204", "c9", "ca", "cb", "cc", "storage", "pointer"] {
                #expect(!text.contains(leaked), "\(leaked) in \(text)")
            }
        }
        #expect(Mirror(reflecting: secret).children.map(\.label) == ["count"])
    }

    @Test func symmetricKeyNeverPrintsItsContents() {
        let key = SymmetricKey.generate()
        #expect("\(key)" == "SymmetricKey(256 bits)")
        var dumped = ""
        dump(key, to: &dumped)
        #expect(!dumped.contains("SecretBytes"))
        #expect(Mirror(reflecting: key).children.isEmpty)
    }

    @Test func secretBytesValueSemantics() throws {
        let secret = SecretBytes([1, 2, 3])
        #expect(secret.count == 3)
        #expect(secret.bytes == [1, 2, 3])
        #expect(secret.withUnsafeBytes { Array($0) } == [1, 2, 3])
        let copy = secret
        #expect(copy == secret)
        #expect(SecretBytes([1, 2, 3]) == secret)
        #expect(SecretBytes([1, 2, 4]) != secret)
        #expect(SecretBytes([1, 2]) != secret)
        #expect(SecretBytes([]) == SecretBytes([]))
        #expect(SecretBytes([]).count == 0)
        #expect(SecretBytes("pan".utf8).bytes == Array("pan".utf8))
        #expect(SecretBytes(AnySequence([9, 8, 7])).bytes == [9, 8, 7])  // non-contiguous input
    }

    @Test func secretBytesInitializer() throws {
        let filled = SecretBytes(count: 4) { buffer in
            #expect(buffer.allSatisfy { $0 == 0 })  // starts zeroed, never uninitialized memory
            for index in buffer.indices { buffer[index] = UInt8(index * 10) }
        }
        #expect(filled.bytes == [0, 10, 20, 30])

        struct Refused: Error, Equatable {}
        #expect(throws: Refused()) {
            try SecretBytes(count: 8) { _ in throw Refused() }
        }
        #expect(throws: CryptoError.invalidKey) {
            try SecretBytes(count: 8) { (_) throws(CryptoError) in throw .invalidKey }
        }
    }

    @Test func constantTimeEqualsSemantics() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([0, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(!constantTimeEquals([1, 2], [1, 2, 3]))
        #expect(!constantTimeEquals([], [0]))
        #expect(constantTimeEquals([], []))
        let long = SecureRandom.bytes(count: 4096)
        var differentAtEnd = long
        differentAtEnd[4095] ^= 1
        #expect(constantTimeEquals(long, long))
        #expect(!constantTimeEquals(long, differentAtEnd))
        // Generic collections and slices.
        #expect(constantTimeEquals([0, 1, 2, 3][1...], [1, 2, 3][...]))
        #expect(constantTimeEquals("abc".utf8, Array("abc".utf8)))
        #expect(!constantTimeEquals("abc".utf8, Array("abd".utf8)))
    }

    @Test func secureRandomLengthsAndDistinctness() {
        for count in [0, 1, 12, 16, 32, 1000] {
            #expect(SecureRandom.bytes(count: count).count == count)
            #expect(SecureRandom.secretBytes(count: count).count == count)
        }
        let draws = (0..<200).map { _ in SecureRandom.bytes(count: 16) }
        #expect(Set(draws).count == draws.count)
        let secrets = (0..<50).map { _ in SecureRandom.secretBytes(count: 32).bytes }
        #expect(Set(secrets).count == secrets.count)
        // Not stuck on a value: 4096 random bytes use most of the 256 possible values.
        #expect(Set(SecureRandom.bytes(count: 4096)).count > 200)
    }

    @Test func smallDrawsAcrossManyRefillsNeverRepeat() {
        // 12-byte nonces and 16-byte tokens come from a per-thread 4 KiB buffer: thousands of
        // draws cross many refills and must all differ; sizes around the buffered limit work too.
        let nonces = (0..<5_000).map { _ in SecureRandom.bytes(count: 12) }
        #expect(Set(nonces).count == nonces.count)
        for count in [255, 256, 257, 4095, 4096, 4097, 100_000] {
            let draw = SecureRandom.bytes(count: count)
            #expect(draw.count == count)
            #expect(draw != SecureRandom.bytes(count: count))
            #expect(Set(draw).count > (count < 1_000 ? 100 : 250))  // ~162 expected for 256 bytes
        }
    }

    #if canImport(Glibc)
    @Test func forkedChildDoesNotReplayTheParentsRandomBytes() async throws {
        // Forked and waited for on a thread of its own, so no thread of the cooperative pool waits
        // on the child; the random bytes are per thread, so all of it happens on that thread.
        let draws = await blocking { () -> (parent: [UInt8], child: [UInt8]?)? in
            _ = SecureRandom.bytes(count: 16)  // the parent's buffer now holds unused bytes
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { return nil }
            defer { close(fds[0]) }
            let child = fork()
            guard child >= 0 else {
                close(fds[1])
                return nil
            }
            if child == 0 {
                // Child: draw, report, leave without running any Swift or C clean-up.
                let draw = SecureRandom.bytes(count: 16)
                let written = draw.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
                _exit(written == 16 ? 0 : 1)
            }
            close(fds[1])
            let parentDraw = SecureRandom.bytes(count: 16)
            // The child's draw (16 bytes: one atomic pipe write), waited for at most 10 s, so a
            // wedged child fails the test instead of hanging the run.
            var ready = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
            var polled: Int32
            repeat { polled = poll(&ready, 1, 10_000) } while polled < 0 && errno == EINTR
            var childDraw: [UInt8]? = [UInt8](repeating: 0, count: 16)
            if polled != 1 || childDraw!.withUnsafeMutableBytes({ read(fds[0], $0.baseAddress, 16) }) != 16 {
                childDraw = nil
                kill(child, SIGKILL)
            }
            var status: Int32 = 0
            waitpid(child, &status, 0)
            return (parentDraw, childDraw)
        }
        let parentDraw = try #require(draws?.parent, "pipe and fork")
        let childDraw = try #require(draws?.child, "the forked child reported its draw")
        #expect(childDraw != parentDraw)
    }
    #endif

    @Test func symmetricKeys() throws {
        let a = SymmetricKey.generate(), b = SymmetricKey.generate()
        #expect(a.secret.count == 32)
        #expect(a != b)
        #expect(try SymmetricKey(a.secret) == a)
    }

    @Test func errorCodesAreStable() {
        let expected: [(CryptoError, String)] = [
            (.authenticationFailure, "authentication_failure"), (.invalidKeySize, "invalid_key_size"),
            (.invalidNonceSize, "invalid_nonce_size"), (.invalidTagSize, "invalid_tag_size"),
            (.invalidCiphertext, "invalid_ciphertext"), (.decryptionFailure, "decryption_failure"),
            (.invalidKey, "invalid_key"), (.unsupportedKeySize, "unsupported_key_size"),
            (.library("x"), "library_error"),
        ]
        for (error, code) in expected { #expect(error.code == code) }
    }
}
