import ArgumentParsing

/// `coffer migrate`: applies pending migrations and says which.
enum MigrateCommand {
    static func run(_ command: ParsedCommand) async throws {
        let storage = try await StorageLocation.given(command).openForMigration()
        let applied = storage.appliedMigrations
        await storage.close()
        Output.result(applied.isEmpty ? "schema up to date" : applied.map { "applied \($0)" }.joined(separator: "\n"))
    }
}
