import Foundation
import HTTPServer
import Testing
import TestSupport

@Suite("Server: handlers run on the server's own threads", .ownThreads)
struct HandlerThreadTests {
    /// The handler names the thread it is on when it starts and after each kind of suspension:
    /// a sleep, and a continuation resumed by a thread that is neither the server's nor the
    /// cooperative pool's (as the SQLite writer resumes a caller after its commit).
    @Test func handlersStartAndResumeOnTheHandlerThreads() async throws {
        let handler: HTTPHandler = { _, _ in
            var names = [currentThreadName()]
            try? await Task.sleep(for: .milliseconds(1))
            names.append(currentThreadName())
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                Thread { continuation.resume() }.start()
            }
            names.append(currentThreadName())
            return HTTPResponse(status: .ok, body: Array(names.joined(separator: ",").utf8))
        }
        try await withServer(configure: { $0.handlerThreads = 3 }, handler: handler) { _, port in
            let bodies = try await blocking {
                // What is checked is where handlers run, not how fast: a generous wait per answer.
                let client = try TestClient(port: port, timeout: .seconds(30))
                return try (0..<20).map { _ in
                    try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                    return try client.readResponse().text
                }
            }
            let names = Set(bodies.flatMap { $0.split(separator: ",").map(String.init) })
            #expect(names.isSubset(of: ["coffer-task-0", "coffer-task-1", "coffer-task-2"]), "\(names)")
        }
    }

    @Test func handlerThreadsOutOfRangeAreRefusedAtInit() {
        for count in [0, 257] {
            var configuration = HTTPServerConfiguration()
            configuration.handlerThreads = count
            #expect(throws: HTTPServerError.invalidConfiguration("handlerThreads must be in 1...256")) {
                try HTTPServer(configuration: configuration, handler: echoHandler())
            }
        }
    }
}
