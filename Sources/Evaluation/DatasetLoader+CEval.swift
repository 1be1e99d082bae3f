import Foundation

extension DatasetLoader {
    /// C-Eval (the `ceval-exam.zip` of huggingface.co/datasets/ceval/ceval-exam): one CSV file per
    /// subject and split, `val/<subject>_val.csv`, `dev/<subject>_dev.csv`, `test/<subject>_test.csv`,
    /// with the header `id,question,A,B,C,D,answer` and, in `dev`, a further `explanation` column (the
    /// worked solutions for chain-of-thought few-shot prompts). The subject is the file name less its
    /// `_<split>` ending; the id is `<subject>/<id>`.
    ///
    /// The test split's answers are withheld (only the cevalbenchmark.com leaderboard scores them): its
    /// files have no `answer` column, or an empty one, and reading them is refused with an error
    /// saying so, rather than inventing answers. The layout and columns follow the data set card and
    /// the C-Eval repository's README (hkust-nlp/ceval, "Data" section).
    public static func ceval(path: String, limits: CSVRecords.Limits = .default) throws -> [MultipleChoiceItem] {
        let table = try CSVRecords.table(ofFile: path, limits: limits)
        var subject = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        for split in ["_val", "_dev", "_test"] where subject.hasSuffix(split) {
            subject.removeLast(split.count)
            break
        }
        let id = try table.column("id")
        let question = try table.column("question")
        let options = try ["A", "B", "C", "D"].map(table.column)
        guard let answer = table.header.firstIndex(of: "answer") else {
            throw EvaluationError.invalidFile(
                path: path, reason: "line 1: no answer column: a C-Eval test file (its answers are withheld, scored only by cevalbenchmark.com); use the val split")
        }
        let explanation = table.header.firstIndex(of: "explanation")
        return try table.rows.map { row in
            let letter = row.fields[answer].trimmingCharacters(in: .whitespaces)
            guard !letter.isEmpty else {
                throw EvaluationError.invalidFile(
                    path: path, reason: "line \(row.line): answer is empty: C-Eval withholds its test answers (scored only by cevalbenchmark.com); use the val split")
            }
            var item = try Self.item(path: path, line: row.line, id: "\(subject)/\(row.fields[id])", question: row.fields[question],
                                     choices: options.map { row.fields[$0] },
                                     answer: try answerIndex(letter, path: path, line: row.line, field: "answer"),
                                     field: "answer")
            item.subject = subject
            item.explanation = explanation.map { row.fields[$0] }.flatMap { $0.isEmpty ? nil : $0 }
            return item
        }
    }
}
