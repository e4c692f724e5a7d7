import ArgumentParsing
import Foundation

// Files the vault creates (database, WAL, keys) must be readable by their owner only.
umask(0o077)

let outcome = CommandLineTool.parse(Array(CommandLine.arguments.dropFirst()), root: CommandTree.root)
switch outcome {
case .help(let text):
    Output.result(text)
    exit(outcome.exitCode.rawValue)
case .failure:
    Output.note(outcome.message ?? "")
    exit(outcome.exitCode.rawValue)
case .run(let command):
    do {
        switch command.path {
        case ["init"]: try await InitCommand.run(command)
        case ["serve"]: try await ServeCommand.run(command)
        case ["migrate"]: try await MigrateCommand.run(command)
        case ["keys", "rotate"]: try await KeysCommand.rotate(command)
        case ["keys", "status"]: try await KeysCommand.status(command)
        case ["audit", "verify"]: try await AuditCommand.verify(command)
        case ["audit", "checkpoint"]: try await AuditCommand.checkpoint(command)
        case ["audit", "export"]: try await AuditCommand.export(command)
        default: preconditionFailure("command \(command.path) is declared but not dispatched")
        }
    } catch {
        let (message, code) = describe(error)
        Output.note("coffer: \(message)")
        exit(code.rawValue)
    }
}
