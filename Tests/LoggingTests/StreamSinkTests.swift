import Foundation
@testable import Logging
import TestSupport
import Testing

@Suite(.ownThreads) struct StreamSink {
    /// Many tasks write lines of up to 40 KB (far past PIPE_BUF) to one file; every line must come
    /// back whole, never interleaved with another.
    @Test func concurrentLinesNeverInterleave() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-log-\(UUID().uuidString)").path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o600)
        try #require(fd >= 0)
        defer {
            close(fd)
            unlink(path)
        }
        let sink = StreamLogSink(fileDescriptor: fd)
        let logger = Logger(label: "sink", sink: sink, clock: .fixed(fixedInstant))
        // Eight threads of their own write at once (and the lines are checked on one): tens of
        // megabytes redacted and written would hold the cooperative pool that other tests need.
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    await blocking {
                        var generator = SplitMix64(seed: UInt64(task))
                        for index in 0..<200 {
                            let size = Int(generator.next() % 40_000)
                            let letter = Character(UnicodeScalar(UInt8(ascii: "a") + UInt8(task)))
                            logger.info(String(repeating: letter, count: size), metadata: ["task": .int(task), "i": .int(index)])
                        }
                    }
                }
            }
        }
        #expect(sink.droppedLines == 0)
        let contents = try String(contentsOfFile: path, encoding: .utf8)
        #expect(contents.hasSuffix("\n"))
        let lines = contents.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        #expect(lines.count == 8 * 200)
        /// Each line's task, and whether its message is that task's letter only; nil if it is not such a line.
        let checked = await blocking {
            lines.map { line -> (task: Int, isWhole: Bool)? in
                guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                      let task = object["task"] as? Int, let message = object["msg"] as? String
                else { return nil }
                let letter = Character(UnicodeScalar(UInt8(ascii: "a") + UInt8(task)))
                return (task, message.allSatisfy { $0 == letter })
            }
        }
        for (line, result) in zip(lines, checked) {
            let result = try #require(result, "not a whole line: \(line.prefix(200))")
            #expect(result.isWhole, "task \(result.task)")
        }
    }

    @Test func writeErrorsDropTheLineAndCountIt() {
        let sink = StreamLogSink(fileDescriptor: -1)  // EBADF
        let logger = Logger(label: "x", sink: sink)
        logger.info("lost")
        logger.info("lost")
        #expect(sink.droppedLines == 2)
    }

    /// A full non-blocking pipe with nobody reading: the sink gives up after about a second
    /// instead of blocking the service.
    @Test func fullNonBlockingPipeDoesNotHang() async throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer {
            close(fds[0])
            close(fds[1])
        }
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        let sink = StreamLogSink(fileDescriptor: fds[1])
        // The write waits about a second by design: on a thread of its own, which measures it.
        let waited = await blocking {
            let start = ContinuousClock.now
            sink.write(line: Array(repeating: UInt8(ascii: "x"), count: 1 << 20) + [UInt8(ascii: "\n")])
            return ContinuousClock.now - start
        }
        #expect(sink.droppedLines == 1)
        #expect(waited < .seconds(5))
    }

    @Test func writesToAPipe() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let logger = Logger(label: "p", sink: StreamLogSink(fileDescriptor: fds[1]), clock: .fixed(fixedInstant))
        logger.info("hello", metadata: ["pan": "4111 1111 1111 1111"])
        close(fds[1])
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(fds[0], &buffer, buffer.count)
        #expect(String(decoding: buffer[..<max(count, 0)], as: UTF8.self)
            == #"{"ts":"2026-11-23T09:00:00.123Z","level":"info","label":"p","msg":"hello","pan":"[REDACTED]"}"# + "\n")
    }
}
