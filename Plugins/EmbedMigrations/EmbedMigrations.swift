import Foundation
import PackagePlugin

/// Compiles every `migrations/NNNN_name.sql` (SQLite) and `migrations/postgresql/NNNN_name.sql`
/// of the package into the target as Swift source, so a deployed `coffer` binary carries its own
/// schema for each engine and cannot run against stray files.
@main
struct EmbedMigrations: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let directory = context.package.directoryURL.appending(path: "migrations")
        func sqlFiles(in directory: URL) throws -> [URL] {
            try FileManager.default
                .contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "sql" }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
        }
        let sqlite = try sqlFiles(in: directory)
        let postgresql = try sqlFiles(in: directory.appending(path: "postgresql"))
        let sqlFiles = sqlite + postgresql
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMigrations.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(sqlFiles.count) migrations",
                executable: try context.tool(named: "MigrationEmbedder").url,
                arguments: [output.path] + sqlite.map(\.path) + ["--postgresql"] + postgresql.map(\.path),
                inputFiles: sqlFiles,
                outputFiles: [output]
            )
        ]
    }
}
