import Testing
import TestSupport
@testable import ArgumentParsing

/// coffer [-d DIR] [--dev] {init | keys {rotate | list} | reveal TOKEN [FIELD] | import FILE...}
let coffer = CommandSpec(
    "coffer", abstract: "A card vault.",
    options: [OptionSpec("data-dir", short: "d", valueName: "DIR", help: "Directory holding the vault.")],
    flags: [FlagSpec("dev", help: "Development mode: throwaway keys.")],
    subcommands: [
        CommandSpec("init", abstract: "Create a new vault."),
        CommandSpec(
            "keys", abstract: "Manage encryption keys.",
            subcommands: [
                CommandSpec(
                    "rotate", abstract: "Rotate the data-encryption key.",
                    discussion: "Re-encrypts every card.\n\nSafe to interrupt.",
                    options: [
                        OptionSpec("batch-size", valueName: "N", help: "Rows per transaction.", defaultValue: "500"),
                        OptionSpec("reason", valueName: "TEXT", help: "Audit reason.", isRequired: true),
                        OptionSpec("tag", valueName: "TAG", help: "Audit tag.", isRepeatable: true),
                    ],
                    flags: [FlagSpec("dry-run", short: "n", help: "Change nothing.")]),
                CommandSpec("list", abstract: "List keys."),
            ]),
        CommandSpec(
            "reveal", abstract: "Reveal a card.",
            positionals: [
                PositionalSpec("token", help: "The card token."),
                PositionalSpec("field", help: "One field only.", isRequired: false),
            ]),
        CommandSpec("import", abstract: "Import cards.", positionals: [PositionalSpec("files", isVariadic: true)]),
    ])

func parse(_ arguments: [String]) -> ParseOutcome {
    CommandLineTool.parse(arguments, root: coffer)
}

/// The parsed command, or nil (recording an issue) when the outcome is not `.run`.
func run(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) -> ParsedCommand? {
    let outcome = parse(arguments)
    guard case .run(let parsed) = outcome else {
        Issue.record("expected .run, got \(outcome)", sourceLocation: sourceLocation)
        return nil
    }
    return parsed
}

/// The error, or nil when the outcome is not `.failure`.
func failure(_ arguments: [String]) -> ArgumentError? {
    if case .failure(let error, _) = parse(arguments) { return error }
    return nil
}

func helpText(_ arguments: [String]) -> String? {
    if case .help(let text) = parse(arguments) { return text }
    return nil
}

let rotate = ["keys", "rotate", "--reason", "scheduled"]

@Suite(.ownThreads) struct OptionForms {
    @Test func separateAndEqualsFormsGiveTheSameValue() throws {
        let separate = try #require(run(["--data-dir", "/srv/v"] + rotate))
        let equals = try #require(run(["--data-dir=/srv/v"] + rotate))
        let short = try #require(run(["-d", "/srv/v"] + rotate))
        #expect(separate.string("data-dir") == "/srv/v")
        #expect(equals == separate)
        #expect(short == separate)
    }

    @Test func ancestorOptionsAreAcceptedAfterSubcommands() throws {
        let parsed = try #require(run(rotate + ["-d", "/x", "--dev"]))
        #expect(parsed.string("data-dir") == "/x")
        #expect(parsed.flag("dev"))
        #expect(parsed.path == ["keys", "rotate"])
        #expect(parsed.commandName == "coffer keys rotate")
    }

    @Test func subcommandOptionBeforeItsSubcommandIsUnknown() {
        #expect(failure(["--batch-size", "5"] + rotate) == .unknownOption("--batch-size", suggestion: nil))
    }

    @Test func equalsSplitsOnTheFirstEqualsSign() throws {
        let parsed = try #require(run(["keys", "rotate", "--reason=a=b=c"]))
        #expect(parsed.string("reason") == "a=b=c")
        #expect(try #require(run(["keys", "rotate", "--reason="])).string("reason") == "")
    }

    /// A value may start with a dash — a random identifier does one time in 64 — unless it spells
    /// something the command knows: then the value is missing.
    @Test func valueStartingWithDash() throws {
        let parsed = try #require(run(["keys", "rotate", "--reason=-x", "--batch-size=-5"]))
        #expect(parsed.string("reason") == "-x")
        #expect(try parsed.int("batch-size") == -5)
        let separate = try #require(run(["keys", "rotate", "--reason", "-al85FcPrP_JQOzPXWn91w", "--batch-size", "-5"]))
        #expect(separate.string("reason") == "-al85FcPrP_JQOzPXWn91w")
        #expect(try separate.int("batch-size") == -5)
        #expect(try #require(run(["keys", "rotate", "--reason", "--no-such-option"])).string("reason") == "--no-such-option")
        #expect(failure(["keys", "rotate", "--reason", "--batch-size", "5"]) == .missingValue(option: "--reason"))
        #expect(failure(["keys", "rotate", "--reason", "-d", "x"]) == .missingValue(option: "--reason"))
    }

    @Test func singleDashIsAValue() throws {
        #expect(try #require(run(["-d", "-"] + rotate)).string("data-dir") == "-")
    }

    @Test func missingValueAtTheEnd() {
        #expect(failure(["keys", "rotate", "--reason"]) == .missingValue(option: "--reason"))
        #expect(failure(rotate + ["-d"]) == .missingValue(option: "-d"))
        #expect(failure(rotate + ["--data-dir", "--", "x"]) == .missingValue(option: "--data-dir"))
    }

    @Test func defaultsAndWasGiven() throws {
        let parsed = try #require(run(rotate))
        #expect(parsed.string("batch-size") == "500")
        #expect(try parsed.int("batch-size") == 500)
        #expect(!parsed.wasGiven("batch-size"))
        #expect(parsed.wasGiven("reason"))
        #expect(parsed.string("data-dir") == nil)
        #expect(!parsed.flag("dev") && !parsed.flag("dry-run") && !parsed.wasGiven("dev"))
        #expect(parsed.strings("tag") == [])
    }

    @Test func repeatableOptionKeepsEveryValueInOrder() throws {
        let parsed = try #require(run(rotate + ["--tag", "b", "--tag=a", "--tag", "b"]))
        #expect(parsed.strings("tag") == ["b", "a", "b"])
        #expect(parsed.string("tag") == "b")
    }

    @Test func repeatedNonRepeatableOption() {
        #expect(failure(rotate + ["--reason", "again"]) == .repeatedOption("--reason"))
        #expect(failure(["-d", "a"] + rotate + ["--data-dir=b"]) == .repeatedOption("--data-dir"))
        #expect(failure(rotate + ["--dev", "--dev"]) == .repeatedOption("--dev"))
        #expect(failure(rotate + ["-n", "--dry-run"]) == .repeatedOption("--dry-run"))
    }

    @Test func flagsTakeNoValue() throws {
        #expect(failure(rotate + ["--dev=1"]) == .unexpectedValue(flag: "--dev", value: "1"))
        #expect(failure(rotate + ["--dev="]) == .unexpectedValue(flag: "--dev", value: ""))
        #expect(failure(rotate + ["--help=yes"]) == .unexpectedValue(flag: "--help", value: "yes"))
        // A word after a flag is not its value.
        #expect(failure(rotate + ["--dry-run", "1"]) == .unexpectedArgument("1"))
        #expect(try #require(run(rotate + ["-n"])).flag("dry-run"))
    }
}

@Suite(.ownThreads) struct Terminator {
    @Test func doubleDashMakesEverythingPositional() throws {
        let parsed = try #require(run(["reveal", "--", "-abc", "--data-dir"]))
        #expect(parsed.positional("token") == "-abc")
        #expect(parsed.positional("field") == "--data-dir")
    }

    @Test func secondDoubleDashIsAPositional() throws {
        let parsed = try #require(run(["reveal", "--", "tok", "--"]))
        #expect(parsed.positional("field") == "--")
    }

    @Test func optionsStillWorkBeforeDoubleDash() throws {
        let parsed = try #require(run(["reveal", "--dev", "-d", "/v", "--", "-1"]))
        #expect(parsed.flag("dev"))
        #expect(parsed.string("data-dir") == "/v")
        #expect(parsed.positional("token") == "-1")
    }

    @Test func doubleDashDoesNotSelectSubcommands() {
        #expect(failure(["--", "keys"]) == .unexpectedArgument("keys"))
    }

    @Test func helpAfterDoubleDashIsData() throws {
        let parsed = try #require(run(["reveal", "--", "-h", "--help"]))
        #expect(parsed.positional("token") == "-h")
        #expect(parsed.positional("field") == "--help")
    }
}

@Suite(.ownThreads) struct Positionals {
    @Test func requiredAndOptional() throws {
        let one = try #require(run(["reveal", "tok_1"]))
        #expect(one.positional("token") == "tok_1")
        #expect(one.positional("field") == nil)
        #expect(!one.wasGiven("field"))
        let two = try #require(run(["reveal", "tok_1", "last4"]))
        #expect(two.positional("field") == "last4")
        #expect(two.string("field") == "last4")
    }

    @Test func missingAndUnexpected() {
        #expect(failure(["reveal"]) == .missingRequiredArgument("<token>"))
        #expect(failure(["reveal", "a", "b", "c"]) == .unexpectedArgument("c"))
        #expect(failure(["init", "now"]) == .unexpectedArgument("now"))
    }

    @Test func unknownSingleDashWordIsAnOptionNotAPositional() {
        #expect(failure(["reveal", "-5"]) == .unknownOption("-5", suggestion: nil))
    }

    @Test func variadicTakesTheRest() throws {
        let parsed = try #require(run(["import", "a.csv", "b.csv", "--dev", "c.csv"]))
        #expect(parsed.strings("files") == ["a.csv", "b.csv", "c.csv"])
        #expect(parsed.positional("files") == "a.csv")
        #expect(failure(["import"]) == .missingRequiredArgument("<files>"))
    }
}

@Suite(.ownThreads) struct Errors {
    @Test func unknownOptionSuggestsTheNearestName() {
        let error = failure(rotate + ["--data-dri", "/x"])
        #expect(error == .unknownOption("--data-dri", suggestion: "--data-dir"))
        #expect(error?.description == "Unknown option '--data-dri'. Did you mean '--data-dir'?")
        #expect(failure(rotate + ["--batchsize=3"]) == .unknownOption("--batchsize", suggestion: "--batch-size"))
        #expect(failure(rotate + ["-data-dir", "x"]) == .unknownOption("-data-dir", suggestion: "--data-dir"))
        #expect(failure(rotate + ["--hlep"]) == .unknownOption("--hlep", suggestion: "--help"))
    }

    @Test func unknownOptionWithoutAnythingClose() {
        let error = failure(rotate + ["--verbose"])
        #expect(error == .unknownOption("--verbose", suggestion: nil))
        #expect(error?.description == "Unknown option '--verbose'.")
        #expect(failure(rotate + ["-x"]) == .unknownOption("-x", suggestion: nil))
        #expect(failure(rotate + ["-dn"]) == .unknownOption("-dn", suggestion: nil))
    }

    @Test func suggestionsOnlyCoverNamesInScope() {
        // --batch-size belongs to `keys rotate`, not `keys list`.
        #expect(failure(["keys", "list", "--batch-size=1"]) == .unknownOption("--batch-size", suggestion: nil))
    }

    @Test func unknownSubcommandSuggestion() {
        let error = failure(["keys", "rotat"])
        #expect(error == .unknownSubcommand("rotat", command: "coffer keys", suggestion: "rotate"))
        #expect(error?.description == "Unknown subcommand 'rotat' for 'coffer keys'. Did you mean 'rotate'?")
        #expect(failure(["kyes", "rotate"]) == .unknownSubcommand("kyes", command: "coffer", suggestion: "keys"))
        #expect(failure(["serve"]) == .unknownSubcommand("serve", command: "coffer", suggestion: nil))
    }

    @Test func requiredOptionMissing() {
        guard case .failure(let error, let usage) = parse(["keys", "rotate", "--batch-size", "9"]) else {
            Issue.record("expected failure")
            return
        }
        #expect(error == .missingRequiredOption("--reason"))
        #expect(error.description == "Missing required option '--reason'.")
        #expect(usage.hasPrefix("Usage: coffer keys rotate --reason <TEXT> [<options>]"))
        #expect(usage.hasSuffix("See 'coffer keys rotate --help' for more information."))
    }

    @Test func failureMessageIsErrorLineThenUsage() {
        let outcome = parse(rotate + ["--bogus"])
        #expect(outcome.exitCode == .usage)
        let lines = outcome.message?.split(separator: "\n").map(String.init) ?? []
        #expect(lines == [
            "Error: Unknown option '--bogus'.",
            "Usage: coffer keys rotate --reason <TEXT> [<options>]",
            "  See 'coffer keys rotate --help' for more information.",
        ])
    }

    @Test func usageIsForTheCommandReachedSoFar() {
        guard case .failure(_, let usage) = parse(["keys", "nope", "--bogus"]) else {
            Issue.record("expected failure")
            return
        }
        #expect(usage.hasPrefix("Usage: coffer keys [<options>] <subcommand>\n"))
    }

    @Test func descriptionsAreOneLineEvenForHostileInput() {
        let error = failure(["keys\nrm -rf", "x"])
        #expect(error?.description == #"Unknown subcommand 'keys\nrm -rf' for 'coffer'."#)
        let all: [ArgumentError] = [
            .unknownOption("--a\u{1B}[31m", suggestion: nil), .missingValue(option: "--a"),
            .unexpectedValue(flag: "--dev", value: "\r\n"), .missingRequiredOption("--a"),
            .missingRequiredArgument("<a>"), .unexpectedArgument("a\nb"),
            .unknownSubcommand("a", command: "b", suggestion: "c"), .missingSubcommand(command: "coffer"),
            .repeatedOption("--a"), .invalidValue(option: "--a", value: "\n", reason: "expected an integer"),
        ]
        for error in all {
            #expect(!error.description.contains("\n") && !error.description.contains("\r"))
            #expect(!error.description.unicodeScalars.contains("\u{1B}"))
        }
        #expect(ArgumentError.missingSubcommand(command: "coffer keys").description
            == "Missing subcommand for 'coffer keys'.")
        #expect(ArgumentError.unexpectedValue(flag: "--dev", value: "1").description
            == "Flag '--dev' does not take a value (got '1').")
    }

    @Test func emptyCommandLineOnAGroupFailsWithItsHelp() {
        let outcome = parse([])
        guard case .failure(let error, let usage) = outcome else {
            Issue.record("expected failure, got \(outcome)")
            return
        }
        #expect(error == .missingSubcommand(command: "coffer"))
        #expect(usage == helpText(["--help"]))
        #expect(outcome.message == usage)
        #expect(outcome.exitCode == .usage)
        #expect(outcome.exitCode.rawValue == 64)
    }

    @Test func nestedGroupWithoutSubcommand() {
        guard case .failure(let error, let usage) = parse(["--dev", "keys"]) else {
            Issue.record("expected failure")
            return
        }
        #expect(error == .missingSubcommand(command: "coffer keys"))
        #expect(usage == helpText(["keys", "-h"]))
    }

    @Test func missingSubcommandComesBeforeMissingRequiredOptions() {
        let root = CommandSpec(
            "tool", options: [OptionSpec("x", isRequired: true)], subcommands: [CommandSpec("go")])
        if case .failure(let error, _) = CommandLineTool.parse([], root: root) {
            #expect(error == .missingSubcommand(command: "tool"))
        } else {
            Issue.record("expected failure")
        }
        if case .failure(let error, _) = CommandLineTool.parse(["go"], root: root) {
            #expect(error == .missingRequiredOption("--x"))
        } else {
            Issue.record("expected failure")
        }
    }
}

@Suite(.ownThreads) struct Conversions {
    @Test func integerConversionErrorNamesTheOption() throws {
        let parsed = try #require(run(rotate + ["--batch-size", "lots"]))
        #expect(throws: ArgumentError.invalidValue(option: "--batch-size", value: "lots", reason: "expected an integer")) {
            try parsed.int("batch-size")
        }
        do {
            _ = try parsed.int("batch-size")
        } catch {
            #expect(error.description == "Invalid value 'lots' for '--batch-size': expected an integer.")
            #expect(parsed.diagnostic(for: error).hasPrefix(
                "Error: Invalid value 'lots' for '--batch-size': expected an integer.\nUsage: coffer keys rotate"))
        }
    }

    @Test(arguments: ["1.5", "", " 5", "5 ", "0x10", "99999999999999999999", "５"])
    func notIntegers(_ text: String) throws {
        let parsed = try #require(run(rotate + ["--batch-size=\(text)"]))
        #expect(throws: ArgumentError.self) { try parsed.int("batch-size") }
    }

    @Test func otherTypes() throws {
        let parsed = try #require(run(rotate + ["--batch-size=-3", "--tag", "2.5"]))
        #expect(throws: ArgumentError.invalidValue(option: "--batch-size", value: "-3", reason: "expected a non-negative integer")) {
            try parsed.value("batch-size", as: UInt.self)
        }
        #expect(try parsed.value("tag", as: Double.self) == 2.5)
        #expect(try parsed.value("batch-size", as: Int32.self) == -3)
        #expect(throws: ArgumentError.invalidValue(option: "--reason", value: "scheduled", reason: "expected a number")) {
            try parsed.value("reason", as: Double.self)
        }
        #expect(try parsed.value("data-dir", as: Int.self) == nil)
    }

    @Test func positionalConversionNamesThePositional() throws {
        let parsed = try #require(run(["reveal", "abc"]))
        #expect(throws: ArgumentError.invalidValue(option: "<token>", value: "abc", reason: "expected an integer")) {
            try parsed.int("token")
        }
    }

    @Test func requireThrowsAUsageError() throws {
        let parsed = try #require(run(rotate))
        #expect(try parsed.require("reason") == "scheduled")
        #expect(try parsed.require("batch-size") == "500")
        #expect(throws: ArgumentError.missingRequiredOption("--data-dir")) { try parsed.require("data-dir") }
        let reveal = try #require(run(["reveal", "t"]))
        #expect(throws: ArgumentError.missingRequiredArgument("<field>")) { try reveal.require("field") }
    }
}

@Suite(.ownThreads) struct Unicode {
    @Test func valuesPassThroughUntouched() throws {
        let decomposed = "Ame\u{301}lie Zu\u{308}rich"  // not normalised to é / ü
        let emoji = "🇨🇭 日本語 👩‍👩‍👧 مرحبا"
        let parsed = try #require(run(["--data-dir=/tmp/\(emoji)", "keys", "rotate", "--reason", decomposed, "--tag", "\u{FEFF}x\u{200B}"]))
        #expect(Array(parsed.string("reason")!.unicodeScalars) == Array(decomposed.unicodeScalars))
        #expect(Array(parsed.string("data-dir")!.unicodeScalars) == Array("/tmp/\(emoji)".unicodeScalars))
        #expect(Array(parsed.strings("tag")[0].unicodeScalars) == Array("\u{FEFF}x\u{200B}".unicodeScalars))
        let reveal = try #require(run(["reveal", "—", "ключ"]))
        #expect(reveal.positional("token") == "—")
        #expect(reveal.positional("field") == "ключ")
    }

    @Test func unicodeInErrorsIsQuotedVerbatim() {
        #expect(failure(["ключи"])?.description == "Unknown subcommand 'ключи' for 'coffer'.")
        #expect(failure(rotate + ["--dév"]) == .unknownOption("--dév", suggestion: "--dev"))
    }
}

@Suite(.ownThreads) struct ExitCodes {
    @Test func sysexitsValues() {
        #expect(ExitCode.success.rawValue == 0)
        #expect(ExitCode.failure.rawValue == 1)
        #expect(ExitCode.usage.rawValue == 64)
        #expect(ExitCode.dataError.rawValue == 65)
        #expect(ExitCode.unavailable.rawValue == 69)
        #expect(ExitCode.software.rawValue == 70)
        #expect(ExitCode.config.rawValue == 78)
        #expect(ExitCode(rawValue: 3) == ExitCode(3))
    }

    @Test func outcomeExitCodes() {
        #expect(parse(rotate).exitCode == .success)
        #expect(parse(rotate).message == nil)
        #expect(parse(["-h"]).exitCode == .success)
        #expect(parse(["bogus"]).exitCode == .usage)
    }
}

@Suite(.ownThreads) struct Internals {
    @Test func editDistance() {
        #expect(ArgumentParsing.editDistance("", "") == 0)
        #expect(ArgumentParsing.editDistance("", "abc") == 3)
        #expect(ArgumentParsing.editDistance("abc", "") == 3)
        #expect(ArgumentParsing.editDistance("kitten", "sitting") == 3)
        #expect(ArgumentParsing.editDistance("data-dri", "data-dir") == 2)
        #expect(ArgumentParsing.editDistance("🇨🇭a", "🇨🇭b") == 1)
    }

    @Test func validationFindsBrokenTrees() {
        #expect(coffer.validationProblems() == [])
        let broken = CommandSpec(
            "t", options: [OptionSpec("help"), OptionSpec("x", short: "h"), OptionSpec("y", defaultValue: "1", isRequired: true)],
            flags: [FlagSpec("x")],
            positionals: [PositionalSpec("p", isRequired: false), PositionalSpec("q"), PositionalSpec("r", isVariadic: true), PositionalSpec("s")],
            subcommands: [CommandSpec("a", options: [OptionSpec("y")]), CommandSpec("a")])
        let problems = broken.validationProblems()
        for fragment in ["'help'", "'x'", "short name 'h'", "'--y' has a default", "cannot take positionals",
                         "'q' follows an optional", "'r' is not the last", "duplicate subcommand", "t a: name 'y'"] {
            #expect(problems.contains { $0.contains(fragment) }, "\(fragment)")
        }
    }
}
