import ArgumentParsing
import HTTPServer
import VaultCore

/// Failures of the command line itself, each with the exit code scripts can rely on.
enum CLIError: Error {
    case alreadyInitialized(String)
    /// No vault at the location (`StorageLocation.option`); `serve` may also start a development
    /// vault in a directory (`--dev`).
    case notInitialized(String, offerDevelopmentMode: Bool = false)
    /// The PostgreSQL URI (password masked) is malformed or its server cannot be reached, and why.
    case databaseUnreachable(String, reason: String)
    /// `backup`/`restore` asked of a PostgreSQL vault, which PostgreSQL's own tools copy.
    case backedUpByPostgreSQL
    /// The data directory cannot be looked into or created (permissions, a file in the way), and why.
    case dataDirectoryInaccessible(String, reason: String)
    case io(String)
    case auditBroken(atSequence: Int64, reason: String)
    /// A snapshot file `restore` will not use, and why.
    case snapshotRefused(String, reason: String)
    /// No master key source was given and the data directory holds no key file.
    case noMasterKey
    /// A master key file inside the data directory, without `--master-key-in-data-dir`.
    case masterKeyInDataDirectory(String)
    /// Two sources on the same level, e.g. `--master-key-file` and `--master-key-command`.
    case conflictingMasterKeySources(String, String)
    /// The master-key command failed; the reason never includes its output.
    case masterKeyCommandFailed(String)
    /// Settings that cannot work together or cannot be used (a missing secret file, a gateway
    /// without its keys), found before anything starts.
    case invalidConfiguration(String)

    var message: String {
        switch self {
        case .alreadyInitialized(let path): "\(path) already holds a vault; refusing to initialize it again"
        case .notInitialized(let option, let offerDevelopmentMode):
            "no vault in \(option.split(separator: " ", maxSplits: 1).last ?? ""): run `coffer init \(option)` first"
                + (offerDevelopmentMode ? ", or use `--dev` for a development vault" : ", or give the location of a vault")
        case .databaseUnreachable(let uri, let reason):
            "the database \(uri) cannot be used: \(reason); check --database (postgresql://USER@HOST:PORT/DATABASE) and that the server is up"
        case .backedUpByPostgreSQL:
            """
            a PostgreSQL vault is backed up with PostgreSQL's own tools (pg_dump, or base backups with WAL archiving) \
            and restored with them (pg_restore, point-in-time recovery); such a copy holds only ciphertext and wrapped \
            keys. The master key is never in the database: keep it apart from the copies (docs/operations.md)
            """
        case .dataDirectoryInaccessible(let path, let reason):
            """
            the data directory \(path) cannot be used: \(reason); check --data-dir, and that the user running \
            coffer may read and write it
            """
        case .io(let message): message
        case .auditBroken(let sequence, let reason): "audit log broken: entry \(sequence) \(reason)"
        case .snapshotRefused(let path, let reason): "refusing to restore \(path): \(reason); nothing was restored"
        case .noMasterKey:
            """
            no master key: give --master-key-file FILE or --master-key-command CMD, or set \
            \(LaunchEnvironment.masterKeyVariable) or \(LaunchEnvironment.masterKeyCommandVariable)
            """
        case .masterKeyInDataDirectory(let path):
            """
            refusing to keep the master key in the data directory (\(path)): a copy of the directory would \
            hold the key beside what it protects. Put it on another volume (--master-key-file FILE), hand it \
            over from a key manager (--master-key-command CMD), or pass --master-key-in-data-dir to accept that
            """
        case .conflictingMasterKeySources(let first, let second):
            "\(first) and \(second) both name a master key; give one"
        case .masterKeyCommandFailed(let reason): "the master-key command \(reason)"
        case .invalidConfiguration(let reason): reason
        }
    }

    var exitCode: ExitCode {
        switch self {
        case .alreadyInitialized, .io: .failure
        case .dataDirectoryInaccessible: .unavailable
        case .notInitialized, .databaseUnreachable, .noMasterKey, .masterKeyInDataDirectory, .masterKeyCommandFailed, .invalidConfiguration: .config
        case .conflictingMasterKeySources, .backedUpByPostgreSQL: .usage
        case .auditBroken, .snapshotRefused: .dataError
        }
    }
}

/// Maps any error a command throws to a message and an exit code, never printing card data.
func describe(_ error: any Error) -> (message: String, exitCode: ExitCode) {
    switch error {
    case let error as CLIError:
        (error.message, error.exitCode)
    case let error as ArgumentError:
        (error.description, error.exitCode)
    case let error as ConfigFileError:
        (error.description, .config)
    case let error as HTTPServerError:
        (error.commandLineMessage, error.exitCode)
    case let error as StorageError, VaultError.storage(let error):
        (error.commandLineMessage, error.exitCode)
    case let error as VaultError:
        switch error {
        case .masterKeyMismatch, .invalidMasterKey:
            ("\(error.message) (\(error.code))", .config)
        default:
            ("\(error.message) (\(error.code))", .failure)
        }
    case let error as KeyManagementError:
        ("\(error.message) (\(error.code))", .failure)
    case let error as AuditKeyError:
        ("\(error.message) (\(error.code))", .config)
    default:
        ("unexpected error: \(type(of: error))", .software)
    }
}
