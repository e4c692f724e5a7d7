import ArgumentParsing
import Foundation

// coffer-bench: in-process benchmarks of the vault over its real SQLite store.
// Prints one `name value` line per figure, like scripts/floors/floors.sh, so scripts can put
// both side by side and take medians.

let root = CommandSpec(
    "coffer-bench", abstract: "Benchmarks of the vault core, in process.",
    subcommands: [
        CommandSpec(
            "core", abstract: "Durable tokenize/s, reveal/s and metadata/s over a fresh SQLite store.",
            discussion: "Each phase runs for --seconds with --concurrency callers; the store is synchronous=FULL.",
            options: [
                OptionSpec("seconds", valueName: "S", help: "Length of each phase.", defaultValue: "5"),
                OptionSpec("concurrency", valueName: "N", help: "Concurrent callers.", defaultValue: "64"),
            ]),
        CommandSpec(
            "crypto", abstract: "Per-record AES-256-GCM, HMAC-SHA256 and RSA-OAEP rates.",
            options: [OptionSpec("seconds", valueName: "S", help: "Length of each measurement.", defaultValue: "1")]),
    ])

let outcome = CommandLineTool.parse(Array(CommandLine.arguments.dropFirst()), root: root)
switch outcome {
case .help(let text), .version(let text):
    print(text)
case .failure:
    FileHandle.standardError.write(Data(((outcome.message ?? "") + "\n").utf8))
    exit(outcome.exitCode.rawValue)
case .run(let command):
    do {
        switch command.path {
        case ["core"]:
            try await CoreBenchmark(seconds: Double(try command.int("seconds") ?? 5),
                                    concurrency: try command.int("concurrency") ?? 64).run()
        case ["crypto"]:
            try CryptoBenchmark(seconds: Double(try command.int("seconds") ?? 1)).run()
        default:
            preconditionFailure("command \(command.path) is declared but not dispatched")
        }
    } catch {
        FileHandle.standardError.write(Data("coffer-bench: \(error)\n".utf8))
        exit(1)
    }
}
