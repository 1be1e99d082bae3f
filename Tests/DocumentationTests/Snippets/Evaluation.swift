import Evaluation
import Foundation
import MiniCPMModel

/// The Swift snippet of the Evaluation DocC catalogue, verbatim (run by `EvaluationSnippetTests`).
enum EvaluationSnippets {
    static func runningATask(modelURL: URL, tasksDirectory: URL, outputDirectory: URL) throws -> EvaluationReport {
        let model = try LanguageModel(ggufFile: modelURL)                  // or any EvaluatedModel
        let runner = TaskRunner(model: model, loader: .fromEnvironment())   // $MINICPM_DATA/pkg (make eval-data)
        let task = try TaskSpecification.load(named: "arc_easy", in: tasksDirectory)
        let result = try runner.run(task, limit: 50, outputDirectory: outputDirectory)   // resumes from <out>/arc_easy.jsonl
        let report = EvaluationReport(model: modelURL.lastPathComponent, results: [result])
        try report.write(to: outputDirectory)                                  // report.md, report.json
        print(report.markdown)
        return report
    }
}
