import Foundation

/// The kernel's name of the calling thread (`/proc/thread-self/comm`): tests use it to see on
/// which pool a piece of async code actually ran.
public func currentThreadName() -> String {
    let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "?"
    return name.trimmingCharacters(in: .newlines)
}
