import ArgumentParsing
import Foundation

// First of all, before any secret is read and before Foundation copies the environment: no core
// dumps, a secure heap for key material, and COFFER_MASTER_KEY moved out of the environment.
let launch = LaunchEnvironment.capture()
// Files the vault creates (database, WAL, keys) must be readable by their owner only.
umask(0o077)
// SIGTERM and SIGINT from now on wait for `coffer serve` to drain, or end the process as usual
// (TerminationSignals).
TerminationSignals.takeOver()

let outcome = CommandLineTool.parse(Array(CommandLine.arguments.dropFirst()), root: CommandTree.root)
switch outcome {
case .help(let text), .version(let text):
    Output.result(text)
    exit(outcome.exitCode.rawValue)
case .failure:
    Output.note(outcome.message ?? "")
    exit(outcome.exitCode.rawValue)
case .run(let command):
    do {
        switch command.path {
        case ["init"]: try await InitCommand.run(command, launch)
        case ["serve"]: try await ServeCommand.run(command, launch)
        case ["migrate"]: try await MigrateCommand.run(command)
        case ["keys", "rotate"]: try await KeysCommand.rotate(command, launch)
        case ["keys", "status"]: try await KeysCommand.status(command, launch)
        case ["keys", "retire"]: try await KeysCommand.retire(command, launch)
        case ["keys", "rotate-master"]: try await KeysCommand.rotateMaster(command, launch)
        case ["audit", "verify"]: try await AuditCommand.verify(command, launch)
        case ["audit", "checkpoint"]: try await AuditCommand.checkpoint(command, launch)
        case ["audit", "export"]: try await AuditCommand.export(command, launch)
        case ["audit", "upgrade"]: try await AuditCommand.upgrade(command, launch)
        case ["tenants", "list"]: try await AdminCommand.listTenants(command, launch)
        case ["tenants", "create"]: try await AdminCommand.createTenant(command, launch)
        case ["tenants", "disable"]: try await AdminCommand.setTenantDisabled(command, launch, disabled: true)
        case ["tenants", "enable"]: try await AdminCommand.setTenantDisabled(command, launch, disabled: false)
        case ["apikeys", "list"]: try await AdminCommand.listKeys(command, launch)
        case ["apikeys", "create"]: try await AdminCommand.createKey(command, launch)
        case ["apikeys", "revoke"]: try await AdminCommand.revokeKey(command, launch)
        case ["outbox", "list"]: try await OutboxCommand.list(command, launch)
        case ["outbox", "retry"]: try await OutboxCommand.retry(command, launch)
        case ["backup"]: try await BackupCommand.backup(command, launch)
        case ["restore"]: try await BackupCommand.restore(command, launch)
        default: preconditionFailure("command \(command.path) is declared but not dispatched")
        }
    } catch {
        let (message, code) = describe(error)
        Output.note("coffer: \(message)")
        exit(code.rawValue)
    }
}
