import Dispatch
import VaultCore

/// What `serve` does once a minute and at shutdown: seal the audit log's head and append it to the
/// checkpoint file if the log grew since the last one. The file write and its fsync run on a
/// queue of their own, never on Swift's cooperative threads.
actor AuditCheckpointer {
    private let vault: Vault
    private let file: AuditCheckpointFile
    private let queue = DispatchQueue(label: "coffer.audit-checkpoints")
    private var lastSequence: Int64 = 0

    init(vault: Vault, file: AuditCheckpointFile) {
        self.vault = vault
        self.file = file
    }

    /// Returns the checkpoint written, or nil when the head has not moved. The actor is reentrant
    /// across its awaits, so `lastSequence` only ever moves forward.
    @discardableResult
    func checkpointIfGrown() async throws -> AuditCheckpoint? {
        guard let checkpoint = try await vault.auditCheckpoint(), checkpoint.sequence > lastSequence else { return nil }
        let file = file
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            queue.async { continuation.resume(with: Result { try file.append(checkpoint) }) }
        }
        lastSequence = max(lastSequence, checkpoint.sequence)
        return checkpoint
    }
}
