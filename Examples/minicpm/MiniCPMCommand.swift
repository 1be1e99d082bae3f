// The minicpm command-line tool: thin subcommands over the suite's libraries.
import ArgumentParser

@main
struct MiniCPMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "minicpm",
        abstract: "Run MiniCPM models on the CPU.",
        subcommands: [ChatCommand.self, GenerateCommand.self, LogitsCommand.self, ScheduleCommand.self, TokenizeCommand.self]
    )
}
