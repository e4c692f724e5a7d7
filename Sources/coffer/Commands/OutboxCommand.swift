import ArgumentParsing
import Foundation
import VaultCore

/// `coffer outbox list | retry`: what outbound delivery holds, and a dead message put back in the
/// queue once its receiver is fixed. Lists are JSON lines on stdout, never a payload.
enum OutboxCommand {
    static func list(_ command: ParsedCommand, _ launch: LaunchEnvironment) async throws {
        let state = try command.string("state").map { text throws(ArgumentError) in
            guard let state = OutboxState(rawValue: text) else {
                throw ArgumentError.invalidValue(option: "--state", value: text,
                                                 reason: "expected \(OutboxState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return state
        }
        try await withVault(command, launch) { vault in
            let outbox = OutboxService(vault)
            var after: OutboxMessageID?
            while true {
                let page = try await outbox.messages(state: state, after: after, limit: 1000)
                for message in page {
                    Output.json([
                        "id": message.id.rawValue, "tenantId": message.tenantID.rawValue, "topic": message.topic,
                        "state": message.state.rawValue, "attempts": message.attempts,
                        "nextAttemptAt": message.nextAttemptAt.formatted(.iso8601), "lastError": message.lastError ?? NSNull(),
                        "createdAt": message.createdAt.formatted(.iso8601),
                        "deliveredAt": message.deliveredAt.map { $0.formatted(.iso8601) } ?? NSNull(),
                    ])
                }
                guard let last = page.last else { break }
                after = last.id
            }
        }
    }

    static func retry(_ command: ParsedCommand, _ launch: LaunchEnvironment) async throws {
        let text = try command.require("id")
        guard let id = OutboxMessageID(validating: text) else {
            throw ArgumentError.invalidValue(option: "--id", value: text, reason: "expected a message id (from `coffer outbox list`)")
        }
        try await withVault(command, launch) { vault in
            try await OutboxService(vault).retry(id, actor: "cli")
            Output.result("outbox message \(id.rawValue) queued again")
        }
    }
}
