import Testing
import TestSupport
@testable import VaultAPI

@Suite("Router", .ownThreads)
struct RouterTests {
    let router: Router<Int> = {
        var router = Router<Int>()
        router.add("GET", "/healthz", 1)
        router.add("GET", "/vault/v1/cards/{token}", 2)
        router.add("DELETE", "/vault/v1/cards/{token}", 3)
        router.add("POST", "/vault/v1/cards/{token}/reveal", 4)
        router.add("GET", "/", 5)
        return router
    }()

    /// The handler and parameters of a match, or the methods allowed, or `nil` for not found.
    func outcome(_ method: String, _ path: String) -> String? {
        switch router.match(method: method, path: path) {
        case .found(let route, let parameters):
            "\(route.handler) \(parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })"
        case .methodNotAllowed(let allowed): "allowed \(allowed)"
        case .notFound: nil
        }
    }

    @Test func literalsAndParameters() {
        #expect(outcome("GET", "/healthz") == "1 []")
        #expect(outcome("GET", "/vault/v1/cards/abc") == #"2 ["token=abc"]"#)
        #expect(outcome("DELETE", "/vault/v1/cards/abc") == #"3 ["token=abc"]"#)
        #expect(outcome("POST", "/vault/v1/cards/é%2F-/reveal") == #"4 ["token=é%2F-"]"#)
        #expect(outcome("GET", "/") == "5 []")
    }

    @Test func headIsAnsweredByGet() {
        #expect(outcome("HEAD", "/healthz") == "1 []")
    }

    @Test func otherMethodsAreListed() {
        #expect(outcome("PUT", "/vault/v1/cards/abc") == #"allowed ["GET", "DELETE"]"#)
        #expect(outcome("GET", "/vault/v1/cards/abc/reveal") == #"allowed ["POST"]"#)
    }

    @Test(arguments: [
        "/healthz/", "/healthz/x", "/healthzz", "/Healthz", "//healthz", "/vault/v1/cards/", "/vault/v1/cards",
        "/vault/v1/cards//reveal", "/vault/v1/cards/a/b", "", "healthz", "*",
    ])
    func unknownPathsAreNotFound(_ path: String) {
        #expect(outcome("GET", path) == nil)
    }
}
