import Testing
import TestSupport
@testable import ArgumentParsing

@Suite("Configuration files and settings from outside the command line", .ownThreads)
struct SettingLayerTests {
    let keys = ["data-dir", "dev", "batch-size", "reason", "tag", "dry-run"]

    func problem(_ text: String) -> (line: Int?, problem: ConfigFileError.Problem)? {
        do {
            _ = try ConfigFile.parse(text, path: "c.conf", keys: keys)
            return nil
        } catch {
            return (error.line, error.problem)
        }
    }

    @Test("key = value lines, blanks and # comments; a # inside a value is kept")
    func parsesEntries() throws {
        let file = try ConfigFile.parse("""
            # settings
              data-dir =  /var/lib/coffer\r

            reason=nightly # rotation
            dev = true
            """, path: "c.conf", keys: keys)
        #expect(file.entries == [
            .init(key: "data-dir", value: "/var/lib/coffer", line: 2),
            .init(key: "reason", value: "nightly # rotation", line: 4),
            .init(key: "dev", value: "true", line: 5),
        ])
    }

    @Test("each mistake is refused with its line and a stable problem")
    func refusesMistakes() {
        #expect(problem("dev = true\nlisten") ?? (nil, .notUTF8) == (2, .notKeyValue))
        #expect(problem(" = x") ?? (nil, .notUTF8) == (1, .notKeyValue))
        #expect(problem("\n\ndata-dri = x") ?? (nil, .notUTF8) == (3, .unknownKey("data-dri", suggestion: "data-dir")))
        #expect(problem("dev = true\n# again\ndev = false") ?? (nil, .notUTF8) == (3, .repeatedKey("dev", firstLine: 1)))
        #expect(problem("reason =") ?? (nil, .notUTF8) == (1, .missingValue("reason")))
        let error = ConfigFileError(path: "/etc/c.conf", line: 3, problem: .unknownKey("lisen", suggestion: "listen"))
        #expect(error.description == "/etc/c.conf:3: unknown key 'lisen', did you mean 'listen'?")
    }

    @Test("a missing file names the file")
    func missingFile() {
        #expect { try ConfigFile.load(path: "/nonexistent/c.conf", keys: keys) } throws: { error in
            guard let error = error as? ConfigFileError, case .unreadable = error.problem else { return false }
            return error.path == "/nonexistent/c.conf" && error.line == nil
        }
    }

    @Test("fill: the command line wins, then the first layer filled; sources are reported")
    func fillPrecedence() throws {
        var command = try #require(run(rotate + ["--batch-size", "7"]))
        try command.fill("batch-size", with: "8", from: .environment("COFFER_BATCH_SIZE"))
        try command.fill("data-dir", with: "/env", from: .environment("COFFER_DATA_DIR"))
        try command.fill("data-dir", with: "/file", from: .file(path: "c.conf", line: 1))
        try command.fill("dev", with: "false", from: .environment("COFFER_DEV"))
        try command.fill("dev", with: "true", from: .file(path: "c.conf", line: 2))
        try command.fill("dry-run", with: "yes", from: .file(path: "c.conf", line: 3))
        #expect(command.string("batch-size") == "7")
        #expect(command.source(of: "batch-size") == .commandLine)
        #expect(command.string("data-dir") == "/env")
        #expect(command.source(of: "data-dir") == .environment("COFFER_DATA_DIR"))
        #expect(!command.flag("dev"))
        #expect(command.source(of: "dev") == .environment("COFFER_DEV"))
        #expect(command.flag("dry-run"))
        #expect(command.source(of: "dry-run") == .file(path: "c.conf", line: 3))
        #expect(!command.wasGiven("data-dir"), "only the command line counts as given")
        #expect(command.source(of: "tag") == nil)
    }

    @Test("a bad value from a layer is a configuration error naming where it came from")
    func invalidSetting() throws {
        var command = try #require(run(rotate))
        #expect(throws: ArgumentError.invalidSetting(name: "dev", value: "maybe", source: .environment("COFFER_DEV"),
                                                     reason: "expected 'true' or 'false'")) {
            try command.fill("dev", with: "maybe", from: .environment("COFFER_DEV"))
        }
        try command.fill("batch-size", with: "many", from: .file(path: "c.conf", line: 4))
        #expect(throws: ArgumentError.invalidSetting(name: "batch-size", value: "many", source: .file(path: "c.conf", line: 4),
                                                     reason: "expected an integer")) {
            try command.int("batch-size")
        }
        let error = command.invalidValue("batch-size", "many", reason: "expected an integer")
        #expect(error.description == "Invalid value 'many' for 'batch-size' (c.conf:4): expected an integer.")
        #expect(error.exitCode == .config)
        #expect(ArgumentError.invalidValue(option: "--listen", value: "x", reason: "r").exitCode == .usage)
    }

    @Test("--version alone prints the root's version; help lists it")
    func version() {
        var root = coffer
        root.version = "coffer 1.2.3 (commit abc)"
        #expect(CommandLineTool.parse(["--version"], root: root) == .version("coffer 1.2.3 (commit abc)"))
        #expect(CommandLineTool.parse(["--version"], root: root).exitCode == .success)
        guard case .help(let help) = CommandLineTool.parse(["--help"], root: root) else { return #expect(Bool(false)) }
        #expect(help.contains("--version"))
        #expect(!(helpText(["--help"]) ?? "").contains("--version"), "not without a version")
        #expect(failure(["--version"]) == .unknownOption("--version", suggestion: nil))
    }
}
