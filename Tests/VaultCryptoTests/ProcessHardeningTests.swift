#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport
import VaultCrypto

@Suite("Process hardening: secrets taken out of the environment", .ownThreads)
struct ProcessHardeningTests {
    @Test("The variable's value comes back in wiped storage; the entry is unset and its bytes overwritten in place")
    func takesAndScrubsAVariable() throws {
        let name = "COFFER_TEST_SECRET_\(getpid())"
        let entry = Array("\(name)=not-for-children\0".utf8)
        // putenv keeps our buffer as the entry, as the kernel's block is kept for inherited variables.
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: entry.count)
        defer { buffer.deallocate() }
        entry.withUnsafeBytes { buffer.update(from: $0.bindMemory(to: CChar.self).baseAddress!, count: entry.count) }
        #expect(putenv(buffer) == 0)
        #expect(getenv(name).map { String(cString: $0) } == "not-for-children")

        let secret = try #require(ProcessHardening.takeEnvironmentVariable(name))
        #expect(secret == SecretBytes("not-for-children".utf8))
        #expect(getenv(name) == nil)
        #expect(UnsafeBufferPointer(start: buffer, count: entry.count).allSatisfy { $0 == 0 }, "name=value is overwritten")

        #expect(ProcessHardening.takeEnvironmentVariable(name) == nil)
    }

    @Test("An empty value is taken as an empty secret")
    func takesAnEmptyValue() throws {
        let name = "COFFER_TEST_EMPTY_\(getpid())"
        #expect(setenv(name, "", 1) == 0)
        #expect(try #require(ProcessHardening.takeEnvironmentVariable(name)).count == 0)
        #expect(getenv(name) == nil)
    }
}
