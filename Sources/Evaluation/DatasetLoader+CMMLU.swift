import Foundation

extension DatasetLoader {
    /// CMMLU (haonan-li/CMMLU, `data/{test,dev}/<subject>.csv`): one CSV file per subject with the
    /// header `,Question,A,B,C,D,Answer` — the first column, unnamed, is pandas' row index (the files
    /// were written by `DataFrame.to_csv`) — and `Answer` one of the letters A–D. The subject is the
    /// file's name; the id is `<subject>/<index>`.
    ///
    /// The layout and header follow the repository's README; its prompt code (`format_example`, seen
    /// in public copies) takes the question, then the options, then the answer as the last column —
    /// the order read here, by column name rather than position.
    public static func cmmlu(path: String, limits: CSVRecords.Limits = .default) throws -> [MultipleChoiceItem] {
        let table = try CSVRecords.table(ofFile: path, limits: limits)
        let subject = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let question = try table.column("Question")
        let options = try ["A", "B", "C", "D"].map(table.column)
        let answer = try table.column("Answer")
        // The unnamed index column, when present (it is in every released file).
        let index = table.header.first == "" ? 0 : nil
        return try table.rows.map { row in
            let id = index.map { row.fields[$0] } ?? String(row.line)
            let letter = row.fields[answer].trimmingCharacters(in: .whitespaces)
            var item = try Self.item(path: path, line: row.line, id: "\(subject)/\(id)", question: row.fields[question],
                                     choices: options.map { row.fields[$0] },
                                     answer: try answerIndex(letter, path: path, line: row.line, field: "Answer"),
                                     field: "Answer")
            item.subject = subject
            return item
        }
    }

    /// The index of an answer letter among A–D, or an error naming the file, line and field (an empty
    /// letter is C-Eval's withheld test answer, said so).
    static func answerIndex(_ letter: String, path: String, line: Int, field: String) throws -> Int {
        guard !letter.isEmpty else {
            throw EvaluationError.invalidFile(path: path, reason: "line \(line): \(field) is empty (a test split whose answers are withheld?)")
        }
        guard let index = ["A", "B", "C", "D"].firstIndex(of: letter) else {
            throw EvaluationError.invalidFile(path: path, reason: "line \(line): \(field) \"\(letter)\" is not one of A, B, C, D")
        }
        return index
    }
}
