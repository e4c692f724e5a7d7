import ArgumentParsing
import Foundation
import VaultCrypto

/// Typed readings of `serve` settings that the option parser leaves as text.
extension ParsedCommand {
    /// A positive number of seconds (fractions allowed), or nil when unset.
    func seconds(_ name: String) throws(ArgumentError) -> Duration? {
        guard let text = string(name) else { return nil }
        guard let seconds = Double(text), seconds > 0, seconds <= 86_400 * 365 else {
            throw invalidValue(name, text, reason: "expected a positive number of seconds")
        }
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }

    /// A positive integer, or nil when unset.
    func positiveInt(_ name: String) throws(ArgumentError) -> Int? {
        guard let value = try int(name) else { return nil }
        guard value > 0 else { throw invalidValue(name, String(value), reason: "expected a positive integer") }
        return value
    }

    /// The secret in the file `name` names, read into wiped storage, one trailing line break
    /// (and spaces) dropped: secrets are files, never command-line values, which `ps` would show.
    func secretFile(_ name: String) throws -> SecretBytes? {
        guard let path = string(name) else { return nil }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw CLIError.invalidConfiguration("\(name) \(path): cannot be read (\(String(cString: strerror(errno))))")
        }
        defer { close(descriptor) }
        let secret: SecretBytes
        do throws(SecretInputError) {
            secret = try SecretBytes.read(from: descriptor, atMost: 4096)
        } catch {
            throw CLIError.invalidConfiguration("\(name) \(path): cannot be read (\(error))")
        }
        let trimmed = secret.withUnsafeBytes { bytes in
            var end = bytes.count
            while end > 0, [0x0A, 0x0D, 0x20, 0x09].contains(bytes[end - 1]) { end -= 1 }
            return SecretBytes(count: end) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[..<end])) }
        }
        guard trimmed.count > 0 else { throw CLIError.invalidConfiguration("\(name) \(path): the file is empty") }
        return trimmed
    }
}
