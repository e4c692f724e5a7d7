import Foundation
import PackagePlugin

/// Compiles the package's `VERSION` file and the commit checked out into the target as
/// `BuildInfo`, so `coffer --version` names the source it was built from without running
/// `git` at build or run time: the commit is read from the files under `.git` (a worktree's
/// `.git` file is followed), which are the command's inputs, so a new commit rebuilds it.
@main
struct EmbedBuildInfo: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let versionFile = root.appending(path: "VERSION")
        let output = context.pluginWorkDirectoryURL.appending(path: "BuildInfo.swift")
        var arguments = [output.path, versionFile.path]
        var inputs = [versionFile]
        if let git = GitDirectory(packageRoot: root) {
            arguments += [git.directory.path, git.commonDirectory.path]
            inputs += git.filesNamingTheCommit
        }
        return [
            .buildCommand(
                displayName: "Embedding the version and commit",
                executable: try context.tool(named: "BuildInfoEmbedder").url,
                arguments: arguments,
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}

/// Where a checkout keeps `HEAD` and its refs: `.git` itself, or for a worktree the directory
/// its `.git` file names, whose `commondir` holds the shared refs.
struct GitDirectory {
    let directory: URL
    let commonDirectory: URL

    init?(packageRoot: URL) {
        let dotGit = packageRoot.appending(path: ".git")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dotGit.path, isDirectory: &isDirectory) else { return nil }
        let directory: URL
        if isDirectory.boolValue {
            directory = dotGit
        } else {
            guard let text = try? String(contentsOf: dotGit, encoding: .utf8), text.hasPrefix("gitdir:") else { return nil }
            let path = text.dropFirst("gitdir:".count).trimmingCharacters(in: .whitespacesAndNewlines)
            directory = URL(fileURLWithPath: path, relativeTo: packageRoot).standardizedFileURL
        }
        let common = (try? String(contentsOf: directory.appending(path: "commondir"), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        self.directory = directory
        commonDirectory = common.map { URL(fileURLWithPath: $0, relativeTo: directory).standardizedFileURL } ?? directory
    }

    /// `HEAD`, the branch file it points to, and `packed-refs`: whichever exist.
    var filesNamingTheCommit: [URL] {
        let head = directory.appending(path: "HEAD")
        var files = [head, commonDirectory.appending(path: "packed-refs")]
        if let text = try? String(contentsOf: head, encoding: .utf8), text.hasPrefix("ref:") {
            files.append(commonDirectory.appending(path: text.dropFirst(4).trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        return files.filter { FileManager.default.fileExists(atPath: $0.path) }
    }
}
