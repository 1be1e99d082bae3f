import AtomicWrite
import Foundation
import MiniCPMModel
import Optimizers

/// One checkpoint of a training run: a directory holding the model as a Hugging Face checkpoint
/// (`config.json`, `model.safetensors`), the optimizer state (`optimizer.json`,
/// `optimizer.safetensors`), the trainer's state (`trainer.json`), any bundled files (the tokenizer,
/// so the checkpoint loads in `minicpm generate` and `chat`), and last a `manifest.json` with the
/// size and `ContentDigest` of every other file.
///
/// A checkpoint is written into a hidden sibling directory and renamed into place once complete
/// and synced, so a process killed at any moment leaves either the whole checkpoint or none under
/// its name; ``verify(_:)`` checks the manifest, so a checkpoint damaged afterwards is not trusted.
public enum TrainingCheckpoint {
    public static let stateFileName = "trainer.json"
    public static let manifestFileName = "manifest.json"

    /// The manifest: file names with their sizes and digests.
    struct Manifest: Codable {
        struct Entry: Codable {
            var name: String
            var size: Int
            var digest: String
        }
        var format = "minicpm-swift checkpoint manifest"
        var version = 1
        var files: [Entry]
    }

    /// Writes a complete checkpoint at `directory`, replacing a previous one there.
    ///
    /// - Parameters:
    ///   - directory: The checkpoint's directory (its parent is created if needed).
    ///   - model: Saved as `config.json` and `model.safetensors` (F32).
    ///   - optimizer: Saved as `optimizer.json` and `optimizer.safetensors`.
    ///   - state: Saved as `trainer.json`.
    ///   - bundledFiles: Further files by name (e.g. `tokenizer.model`).
    public static func write(to directory: URL, model: MiniCPM, optimizer: any Optimizer, state: TrainerState,
                             bundledFiles: [String: Data] = [:]) throws {
        let fm = FileManager.default
        let parent = directory.deletingLastPathComponent()
        let staging = parent.appendingPathComponent(".\(directory.lastPathComponent).partial-\(getpid())")
        do {
            try fm.createDirectory(at: parent, withIntermediateDirectories: true)
            if fm.fileExists(atPath: staging.path) { try fm.removeItem(at: staging) }
            try fm.createDirectory(at: staging, withIntermediateDirectories: false)
        } catch {
            throw TrainingError.io(path: staging.path, reason: error.localizedDescription)
        }
        do {
            try model.save(to: staging)
            try optimizer.save(to: staging)
            try AtomicWrite.write(try encoder.encode(state), to: staging.appendingPathComponent(stateFileName))
            for (name, data) in bundledFiles.sorted(by: { $0.key < $1.key }) {
                try AtomicWrite.write(data, to: staging.appendingPathComponent(name))
            }
            var entries: [Manifest.Entry] = []
            for name in try fm.contentsOfDirectory(atPath: staging.path).sorted() where !name.hasPrefix(".") {
                let (digest, size) = try ContentDigest.ofFile(at: staging.appendingPathComponent(name))
                entries.append(.init(name: name, size: size, digest: digest))
            }
            try AtomicWrite.write(try encoder.encode(Manifest(files: entries)),
                                  to: staging.appendingPathComponent(manifestFileName))
            syncDirectory(staging)
            if fm.fileExists(atPath: directory.path) { try fm.removeItem(at: directory) }
            guard rename(staging.path, directory.path) == 0 else {
                throw TrainingError.io(path: directory.path, reason: "rename failed: \(String(cString: strerror(errno)))")
            }
            syncDirectory(parent)
        } catch {
            try? fm.removeItem(at: staging)
            if let error = error as? TrainingError { throw error }
            throw TrainingError.io(path: directory.path, reason: "\(error)")
        }
    }

    /// Checks that every file the manifest lists is present with its recorded size and digest.
    ///
    /// - Throws: ``TrainingError/invalidCheckpoint(path:reason:)`` naming the first fault.
    public static func verify(_ directory: URL) throws {
        let manifestURL = directory.appendingPathComponent(manifestFileName)
        guard let data = try? Data(contentsOf: manifestURL) else {
            throw TrainingError.invalidCheckpoint(path: directory.path, reason: "no \(manifestFileName) (an unfinished write)")
        }
        let manifest: Manifest
        do { manifest = try JSONDecoder().decode(Manifest.self, from: data) } catch {
            throw TrainingError.invalidCheckpoint(path: manifestURL.path, reason: "unreadable manifest: \(error)")
        }
        for required in ["config.json", stateFileName] where !manifest.files.contains(where: { $0.name == required }) {
            throw TrainingError.invalidCheckpoint(path: directory.path, reason: "the manifest does not list \(required)")
        }
        for entry in manifest.files {
            let url = directory.appendingPathComponent(entry.name)
            guard !entry.name.contains("/"), let (digest, size) = try? ContentDigest.ofFile(at: url) else {
                throw TrainingError.invalidCheckpoint(path: url.path, reason: "missing or unreadable")
            }
            guard size == entry.size else {
                throw TrainingError.invalidCheckpoint(path: url.path, reason: "\(size) bytes, the manifest says \(entry.size)")
            }
            guard digest == entry.digest else {
                throw TrainingError.invalidCheckpoint(path: url.path, reason: "content digest \(digest), the manifest says \(entry.digest)")
            }
        }
    }

    /// The trainer state of a verified checkpoint.
    public static func readState(from directory: URL) throws -> TrainerState {
        let url = directory.appendingPathComponent(stateFileName)
        let state: TrainerState
        do { state = try JSONDecoder().decode(TrainerState.self, from: Data(contentsOf: url)) } catch {
            throw TrainingError.invalidCheckpoint(path: url.path, reason: "\(error)")
        }
        guard state.format == TrainerState.formatName, state.version <= TrainerState.currentVersion else {
            throw TrainingError.invalidCheckpoint(path: url.path, reason: "format \(state.format) version \(state.version)")
        }
        guard state.step >= 0, state.tokensSeen >= 0 else {
            throw TrainingError.invalidCheckpoint(path: url.path, reason: "negative step \(state.step) or tokens \(state.tokensSeen)")
        }
        return state
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }()

    /// Makes a directory's entries (new files, a rename) durable.
    static func syncDirectory(_ url: URL) {
        let fd = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }
}
