// The minicpm command-line tool: thin subcommands over the suite's libraries.
import ArgumentParser
import Foundation

@main
struct MiniCPMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "minicpm",
        abstract: "Run MiniCPM models on the CPU.",
        subcommands: [ChatCommand.self, GenerateCommand.self, LogitsCommand.self, QuantizeCommand.self, ScheduleCommand.self, TokenizeCommand.self,
                      PrepareCorpusCommand.self, PrepareInstructionsCommand.self, TrainCommand.self, SFTCommand.self, DPOCommand.self, EvalCommand.self, UpcycleCommand.self]
    )

    /// ArgumentParser's `main()`, after checking that every argument is UTF-8: Swift's
    /// `CommandLine.arguments` would replace ill-formed bytes with U+FFFD, so a `--prompt` or
    /// `--text` would be run on text nobody wrote.
    static func main() {
        do {
            try TextInput.validateArguments()
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            exit(withError: ExitCode.validationFailure)
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
