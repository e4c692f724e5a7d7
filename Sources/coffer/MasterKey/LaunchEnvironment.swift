import Foundation
import VaultCore
import VaultCrypto

/// What `main` takes from the process before anything else runs: the hardening it applied, and
/// the master key sources in the environment. `COFFER_MASTER_KEY` is moved into wiped storage
/// and scrubbed from the environment block at once, so `/proc/PID/environ` never shows it
/// after start-up and no child process inherits it.
struct LaunchEnvironment: Sendable {
    static let masterKeyVariable = MasterKey.environmentVariable
    /// A shell command that prints the master key (a KMS command line); not itself a secret.
    static let masterKeyCommandVariable = "COFFER_MASTER_KEY_COMMAND"
    /// The path of a master key file; not itself a secret.
    static let masterKeyFileVariable = "COFFER_MASTER_KEY_FILE"

    let hardening: ProcessHardening.Report
    let masterKey: SecretBytes?
    let masterKeyCommand: String?
    let masterKeyFile: String?

    /// Call first thing in `main`: the secure heap must exist before the key is copied into it,
    /// and the key must be scrubbed before Foundation copies the environment.
    static func capture() -> LaunchEnvironment {
        let hardening = ProcessHardening.apply()
        let masterKey = ProcessHardening.takeEnvironmentVariable(masterKeyVariable)
        let environment = ProcessInfo.processInfo.environment
        return LaunchEnvironment(hardening: hardening, masterKey: masterKey,
                                 masterKeyCommand: environment[masterKeyCommandVariable],
                                 masterKeyFile: environment[masterKeyFileVariable])
    }
}
