import Foundation
import TesseraSupport

/// Finds a target file from what a user typed: a path, or the name of a bundled target.
///
/// Names are looked up as `NAME.yaml` in, in order: `$TESSERA_TARGETS` (a folder),
/// `./targets`, and the `targets` folder of the package the running executable was built in
/// (found by walking up from the executable), then the bundled targets compiled into the
/// program (``BundledTargets``, read from ``bundledFolder``), so `--target truenorth` works
/// from any folder, and a checkout's edited `targets/` files win while developing.
public enum TargetLocator {
    /// The path a compiled-in target is given: no such folder is read from disk.
    public static let bundledFolder = "/tessera-bundled-targets"

    /// The compiled-in text of `path`, if it names a bundled target.
    public static func bundledText(_ path: String) -> String? {
        guard path.hasPrefix(bundledFolder + "/") else { return nil }
        return BundledTargets.files[String(path.dropFirst(bundledFolder.count + 1))]
    }

    public static func resolve(_ nameOrPath: String) throws(DiagnosticError) -> String {
        let fm = FileManager.default
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml") {
            guard fm.fileExists(atPath: nameOrPath) else {
                throw DiagnosticError("target file '\(nameOrPath)' not found")
            }
            return nameOrPath
        }
        let folders = searchFolders()
        for folder in folders {
            let candidate = (folder as NSString).appendingPathComponent(nameOrPath + ".yaml")
            if fm.fileExists(atPath: candidate) { return candidate }
        }
        if BundledTargets.files[nameOrPath + ".yaml"] != nil { return bundledFolder + "/" + nameOrPath + ".yaml" }
        let known = Set(folders.flatMap { folder in
            ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }
        } + BundledTargets.files.keys.map { String($0.dropLast(5)) }).sorted()
        throw DiagnosticError("unknown target '\(nameOrPath)'\(Suggestion.hint(for: nameOrPath, among: known)); known targets: \(known.isEmpty ? "none found" : known.joined(separator: ", ")) (searched \(folders.joined(separator: ", ")) and the bundled targets)")
    }

    /// The folders searched for bundled targets, most specific first.
    public static func searchFolders() -> [String] {
        var folders: [String] = []
        if let env = ProcessInfo.processInfo.environment["TESSERA_TARGETS"], !env.isEmpty { folders.append(env) }
        folders.append(FileManager.default.currentDirectoryPath + "/targets")
        var url = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = url.appendingPathComponent("targets").path
            if FileManager.default.fileExists(atPath: candidate + "/truenorth.yaml") { folders.append(candidate) }
            url = url.deletingLastPathComponent()
        }
        var seen = Set<String>()
        return folders.filter { seen.insert(URL(fileURLWithPath: $0).standardizedFileURL.path).inserted }
    }
}
