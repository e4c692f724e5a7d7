import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The harness every end-to-end test stands on: programs run and are waited for on threads of
/// their own, their output arrives whole, and they hold nothing of the test process.
@Suite("ProcessRunner and ChildProcess", .ownThreads)
struct ProcessRunnerTests {
    @Test("Exit statuses, a killing signal, and both output streams come back")
    func statusesAndStreams() async throws {
        let result = try await ProcessRunner.run("/bin/sh", ["-c", "printf out; printf err >&2; exit 3"])
        #expect(result.status == 3 && result.termination == .exited(3))
        #expect(result.standardOutput == "out")
        #expect(result.standardError == "err")
        let killed = try await ProcessRunner.run("/bin/sh", ["-c", "kill -TERM $$"])
        #expect(killed.termination == .signaled(SIGTERM))
        #expect(killed.status == 128 + SIGTERM)
    }

    @Test("Input reaches standard input and ends; megabytes on both streams at once do not stall")
    func inputAndLargeOutput() async throws {
        let input = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let echoed = try await ProcessRunner.run("/bin/cat", [], input: input)
        #expect(echoed.output == input)
        // Each stream far beyond a pipe's 64 KiB, written alternately: a reader draining only one
        // at a time would deadlock.
        let chatty = try await ProcessRunner.python("""
            import sys
            for _ in range(64):
                sys.stdout.write("o" * 65536); sys.stdout.flush()
                sys.stderr.write("e" * 65536); sys.stderr.flush()
            """)
        #expect(chatty.status == 0)
        #expect(chatty.output.count == 64 * 65536 && chatty.standardError.utf8.count == 64 * 65536)
    }

    @Test("A child past its time limit is killed and the run throws, measured on the watching thread")
    func timeLimit() async throws {
        await #expect(throws: ProcessRunnerError.self) {
            try await ProcessRunner.run("/bin/sleep", ["30"], timeLimit: .milliseconds(300))
        }
        let child = try await ChildProcess("/bin/sleep", ["30"], timeLimit: .milliseconds(300))
        let exit = await child.exit()
        #expect(exit.timedOut && exit.termination == .signaled(SIGKILL))
        // Killed at the limit, not at the end of the sleep (the bound leaves room for a loaded machine).
        #expect(exit.elapsed >= .milliseconds(300) && exit.elapsed < .seconds(20), "\(exit.elapsed)")
    }

    @Test("A child holds no descriptor of the test process but its standard streams")
    func childInheritsOnlyItsStreams() async throws {
        // A descriptor without close-on-exec, as a socket of another test could be.
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(socketFD >= 0)
        defer { close(socketFD) }
        let listed = try await ProcessRunner.run("/bin/ls", ["/proc/self/fd"])
        let descriptors = Set(listed.standardOutput.split(separator: "\n").compactMap { Int32($0) })
        // 0, 1, 2, and the one `ls` opens to read the directory.
        #expect(descriptors.subtracting([0, 1, 2]).count == 1, "\(descriptors.sorted())")
        #expect(!descriptors.contains(socketFD))
    }

    @Test("A signal reaches a running child; a finished one ignores it; its output can be awaited")
    func signalsAndWaitingForOutput() async throws {
        let child = try await ChildProcess("/bin/sh", ["-c", "echo ready; exec sleep 30"])
        #expect(await child.standardOutput.wait(within: .seconds(30), forText: "ready\n"))
        child.signal(SIGTERM)
        #expect(await child.exit().termination == .signaled(SIGTERM))
        child.signal(SIGKILL)
        #expect(await child.exit().termination == .signaled(SIGTERM), "the outcome stays as it was")
        #expect(await !child.standardOutput.wait(within: .seconds(1), forText: "never"), "the stream has ended")
    }
}
