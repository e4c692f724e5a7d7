import Foundation
import Synchronization

/// Progress of a long command (`keys rotate`, `backup`, `restore`) on stderr, so stdout keeps only
/// results: on a terminal one line rewritten in place; elsewhere — a log, a pipe, a CI job — one
/// plain line per report. Each line says how many of how many, and at what rate.
final class Progress: Sendable {
    private struct State {
        var started: [String: ContinuousClock.Instant] = [:]
        var lineOpen = false
    }

    private let verb: String
    private let isTerminal: Bool
    private let state = Mutex(State())

    init(_ verb: String, isTerminal: Bool = isatty(STDERR_FILENO) == 1) {
        self.verb = verb
        self.isTerminal = isTerminal
    }

    /// `done` of `total` (nil when unknown) `noun`s so far; the rate is since the first report of `noun`.
    func report(_ done: Int, of total: Int?, _ noun: String) {
        let now = ContinuousClock.now
        let line = state.withLock { state in
            let started = state.started[noun] ?? now
            state.started[noun] = started
            let seconds = (now - started) / .seconds(1)
            var text = "\(verb) \(done)"
            if let total { text += "/\(total)" }
            text += " \(noun)"
            if let total, total > 0 { text += " (\(done * 100 / total)%)" }
            if seconds > 0 { text += ", \(Int((Double(done) / seconds).rounded()))/s" }
            state.lineOpen = isTerminal
            return text
        }
        write(isTerminal ? "\r\u{1B}[K" + line : line + "\n")
    }

    /// Ends the line a terminal report left open.
    func finish() {
        if state.withLock({ state in defer { state.lineOpen = false }; return state.lineOpen }) { write("\n") }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
