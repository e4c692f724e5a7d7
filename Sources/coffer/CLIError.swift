import ArgumentParsing
import VaultCore

/// Failures of the command line itself, each with the exit code scripts can rely on.
enum CLIError: Error {
    case alreadyInitialized(String)
    case notInitialized(String)
    case io(String)
    case auditBroken(atSequence: Int64, reason: String)

    var message: String {
        switch self {
        case .alreadyInitialized(let path): "\(path) already holds a vault; refusing to initialize it again"
        case .notInitialized(let path): "\(path) holds no vault; run `coffer init --data-dir \(path)` first"
        case .io(let message): message
        case .auditBroken(let sequence, let reason): "audit log broken: entry \(sequence) \(reason)"
        }
    }

    var exitCode: ExitCode {
        switch self {
        case .alreadyInitialized, .io: .failure
        case .notInitialized: .config
        case .auditBroken: .dataError
        }
    }
}

/// Maps any error a command throws to a message and an exit code, never printing card data.
func describe(_ error: any Error) -> (message: String, exitCode: ExitCode) {
    switch error {
    case let error as CLIError:
        (error.message, error.exitCode)
    case let error as ArgumentError:
        (error.description, .usage)
    case let error as VaultError:
        switch error {
        case .masterKeyMismatch, .invalidMasterKey, .storage(.migration):
            ("\(error.message) (\(error.code))" + migrationDetail(error), .config)
        default:
            ("\(error.message) (\(error.code))", .failure)
        }
    case let error as StorageError:
        if case .migration(let detail) = error { (detail, .config) } else { ("storage: \(error.code)", .unavailable) }
    default:
        ("unexpected error: \(type(of: error))", .software)
    }
}

private func migrationDetail(_ error: VaultError) -> String {
    if case .storage(.migration(let detail)) = error { ": \(detail)" } else { "" }
}
