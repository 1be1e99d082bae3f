/// The failures of opening and mapping a file, as a reader's own error type spells them.
///
/// ``MemoryMappedFile`` throws whatever conforming type its caller names, so the open-and-map code
/// exists once while each format keeps its errors typed: ``SafetensorsError`` and ``GGUFError``
/// conform with enum cases of these names, each carrying the file's path.
public protocol FileMappingError: Error {
    /// The file could not be opened or inspected, or is not a regular file (`reason` is the system's
    /// message).
    static func cannotOpenFile(path: String, reason: String) -> Self
    /// The file is empty.
    static func emptyFile(path: String) -> Self
    /// The file could not be memory-mapped (`reason` is the system's message).
    static func mappingFailed(path: String, reason: String) -> Self
}
