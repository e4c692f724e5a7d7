import ArgumentParsing
import VaultCore

/// `coffer audit verify`: recomputes the audit hash chain. Needs no master key: the chain is
/// plain SHA-256, so an auditor can check it without being able to decrypt anything.
enum AuditCommand {
    static func verify(_ command: ParsedCommand) async throws {
        let directory = DataDirectory(path: try command.require("data-dir"))
        let storage = try await directory.openStorage()
        let result: AuditChain.Verification
        do {
            result = try await AuditChain.verify(storage)
        } catch {
            await storage.close()
            throw error
        }
        await storage.close()
        switch result {
        case .intact(let entries): Output.result("audit log intact: \(entries) entries")
        case .broken(let sequence): throw CLIError.auditBroken(atSequence: sequence)
        }
    }
}
