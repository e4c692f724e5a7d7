import Testing
import TestSupport
@testable import ArgumentParsing

@Suite(.ownThreads) struct HelpRequests {
    @Test(arguments: [["-h"], ["--help"], ["--dev", "-h"], ["-d", "/x", "--help"], ["nope", "-h"], ["-h", "--bogus"]])
    func rootHelp(_ arguments: [String]) throws {
        let text = try #require(helpText(arguments))
        #expect(text.hasPrefix("OVERVIEW: A card vault.\n"))
        #expect(text.contains("USAGE: coffer [<options>] <subcommand>"))
    }

    @Test(arguments: [
        ["keys", "rotate", "-h"], ["keys", "rotate", "--help"], ["-h", "keys", "rotate"],
        ["keys", "-h", "rotate"], ["keys", "rotate", "--reason", "x", "--bogus", "-h"],
        ["-d", "keys", "keys", "rotate", "--help"],  // "keys" after -d is its value
        ["keys", "rotate", "--reason", "-h"],  // -h is never a separate-word value
        ["keys", "rotate", "--help", "--", "x"],
    ])
    func nestedHelpShowsTheDeepestCommand(_ arguments: [String]) throws {
        let text = try #require(helpText(arguments))
        #expect(text.hasPrefix("OVERVIEW: Rotate the data-encryption key.\n"))
        #expect(parse(arguments).exitCode == .success)
        #expect(parse(arguments).message == text)
    }

    @Test func middleLevelHelp() throws {
        let text = try #require(helpText(["keys", "--help"]))
        #expect(text.hasPrefix("OVERVIEW: Manage encryption keys.\n"))
        #expect(text.contains("USAGE: coffer keys [<options>] <subcommand>"))
        #expect(text.contains("  rotate    Rotate the data-encryption key.\n  list      List keys."))
        #expect(text.contains("See 'coffer keys <subcommand> --help' for detailed help."))
    }

    @Test func helpOnALeafWithPositionals() throws {
        let text = try #require(helpText(["reveal", "--help"]))
        #expect(text.contains("USAGE: coffer reveal [<options>] <token> [<field>]"))
        #expect(text.contains("ARGUMENTS:\n  <token>    The card token.\n  <field>    One field only."))
        #expect(!text.contains("SUBCOMMANDS"))
        #expect(try #require(helpText(["import", "-h"])).contains("USAGE: coffer import [<options>] <files> ..."))
    }

    @Test func notHelp() {
        #expect(helpText(["reveal", "--", "-h"]) == nil)
        #expect(helpText(["keys", "rotate", "--reason=-h"]) == nil)
        #expect(helpText(["keys", "rotate", "--reason=--help"]) == nil)
        #expect(failure(["keys", "rotate", "-help"]) == .unknownOption("-help", suggestion: "--help"))
    }
}

@Suite(.ownThreads) struct HelpContent {
    @Test func rootHelpExactly() throws {
        let text = try #require(helpText(["-h"]))
        #expect(text == """
            OVERVIEW: A card vault.

            USAGE: coffer [<options>] <subcommand>

            OPTIONS:
              -d, --data-dir <DIR>    Directory holding the vault.
              --dev                   Development mode: throwaway keys.
              -h, --help              Show help information.

            SUBCOMMANDS:
              init      Create a new vault.
              keys      Manage encryption keys.
              reveal    Reveal a card.
              import    Import cards.

              See 'coffer <subcommand> --help' for detailed help.
            """)
    }

    @Test func leafHelpExactly() throws {
        let text = try #require(helpText(["keys", "rotate", "-h"]))
        #expect(text == """
            OVERVIEW: Rotate the data-encryption key.

            Re-encrypts every card.

            Safe to interrupt.

            USAGE: coffer keys rotate --reason <TEXT> [<options>]

            OPTIONS:
              --batch-size <N>        Rows per transaction. (default: 500)
              -d, --data-dir <DIR>    Directory holding the vault.
              --dev                   Development mode: throwaway keys.
              -n, --dry-run           Change nothing.
              --reason <TEXT>         Audit reason.
              --tag <TAG>             Audit tag. (repeatable)
              -h, --help              Show help information.
            """)
    }

    @Test func commandWithoutAnythingStillHasHelp() throws {
        let bare = CommandSpec("tool")
        #expect(CommandLineTool.parse(["--help"], root: bare) == .help("""
            USAGE: tool

            OPTIONS:
              -h, --help    Show help information.
            """))
        #expect(CommandLineTool.parse([], root: bare).exitCode == .success)
    }

    @Test func wrapsAtEightyColumns() throws {
        let sentence = String(repeating: "the quick brown fox jumps over the lazy dog ", count: 6)
        let root = CommandSpec(
            "wrapper", abstract: sentence, discussion: sentence + "\n\n    indented " + sentence,
            options: [
                OptionSpec("short", valueName: "S", help: sentence),
                OptionSpec("an-option-with-a-very-long-name", valueName: "VALUE", help: sentence, isRequired: true),
                OptionSpec("url", valueName: "URL", help: "See https://example.com/" + String(repeating: "x", count: 90)),
            ] + (1...6).map { OptionSpec("required-\($0)", valueName: "VALUE", isRequired: true) },
            subcommands: [CommandSpec("sub", abstract: sentence)])
        #expect(root.validationProblems() == [])
        let text = try #require({ () -> String? in
            if case .help(let text) = CommandLineTool.parse(["-h"], root: root) { return text }
            return nil
        }())
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for line in lines where !line.contains("https://") {
            #expect(line.count <= 80, "\(line)")
            #expect(!line.hasSuffix(" "), "\(line)")
        }
        #expect(lines.contains { $0.hasPrefix("OVERVIEW: the quick") })
        #expect(lines.contains { $0.hasPrefix("          ") && $0.contains("fox") })  // hanging indent
        #expect(lines.contains { $0.hasPrefix("    indented the quick") })
        // A label too wide for the column puts its help on the next line, aligned.
        let long = try #require(lines.firstIndex { $0 == "  --an-option-with-a-very-long-name <VALUE>" })
        #expect(lines[long + 1].hasPrefix(String(repeating: " ", count: 30) + "the quick"))
        // The usage line wraps too, keeping `--name <VALUE>` together.
        let usage = try #require(lines.firstIndex { $0.hasPrefix("USAGE: wrapper") })
        #expect(lines[usage + 1].hasPrefix("         --"))  // under the command name + 2
        // The failure usage block wraps the same way.
        guard case .failure(_, let block) = CommandLineTool.parse(["sub"], root: root) else {
            Issue.record("expected failure")
            return
        }
        for line in block.split(separator: "\n") { #expect(line.count <= 80) }
    }
}
