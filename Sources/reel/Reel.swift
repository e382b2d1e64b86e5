import ArgumentParser

/// `reel`: every process and every operator command of Reel in one binary.
@main
struct Reel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reel",
        abstract: "Reel: short-video infrastructure on a durable PostgreSQL job queue.",
        subcommands: [
            Migrate.self, APICommand.self, Worker.self, SchedulerCommand.self, Submit.self, Jobs.self, Queues.self, Report.self,
            Periodic.self, Videos.self, Upload.self, Probe.self, Ingest.self, Transcode.self, Bench.self, Version.self,
            EdgeConfig.self, EdgeAgent.self, Edges.self, Tokens.self, WebhooksCommand.self, Sign.self, Verify.self,
        ])
}
