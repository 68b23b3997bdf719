using System.CommandLine;
using System.Text.Json;
using Microsoft.ML;
using MLNetCnn.Charts;

namespace MLNetCnn.Cli.Compare;

/// <summary>
/// <c>mlnetcnn compare</c>: the architecture experiment on the user's images: each architecture trained with the same
/// recipe, ranked on held-out images; prints the leaderboard and writes it with the lecture's complexity chart.
/// </summary>
internal static class CompareCommand
{
    public const string Leaderboard = "leaderboard.json";
    public const string Chart = "complexity.png";
    public const string Report = "report.html";

    public static Command Create(CliConsole console)
    {
        var source = new ImageSource();
        var training = new TrainingOptionSet(defaultEpochs: 2);
        var architectures = ArchitectureOption.Create("resnet20,plain20,resnet32", "Comma-separated architectures to compare.");
        var output = new Option<string>("--out", "-o") { Description = $"Output folder: {Leaderboard}, {Chart} and {Report}.", Required = true };
        var force = CliOptions.Force();
        var command = new Command("compare", "Train several architectures on the same images and rank them: leaderboard and accuracy-against-MACs chart.");
        source.AddTo(command);
        command.Options.Add(architectures);
        training.AddTo(command);
        command.Options.Add(output);
        command.Options.Add(force);
        command.SetAction((parse, cancellation) =>
        {
            var folder = OutputFolder.Begin(parse.GetValue(output)!, parse.GetValue(force));
            try
            {
                Run(console, parse, source, training, ArchitectureOption.Split(parse.GetValue(architectures)), folder, cancellation);
                return Task.FromResult(ExitCode.Success);
            }
            catch
            {
                folder.Abandon();
                throw;
            }
        });
        return command;
    }

    private static void Run(CliConsole console, ParseResult parse, ImageSource source, TrainingOptionSet training, string[] architectures,
        OutputFolder folder, CancellationToken cancellation)
    {
        var fashion = source.IsFashionMnist(parse);
        var seed = parse.GetValue(training.Seed);
        var ml = new MLContext(seed: seed);
        var data = TrainingData.Load(ml, source, parse, parse.GetValue(training.ValidationFraction), seed);
        var settings = new CnnExperimentSettings
        {
            Architectures = architectures,
            Epochs = parse.GetValue(training.Epochs),
            TrainerOptions = architecture => TrainingRecipe.Options(training.Settings(parse, architecture, fashion), cancellation),
        };
        console.Out.WriteLine($"comparing {string.Join(", ", architectures)} on {data.TrainCount:N0} images " +
                              $"(validation {data.ValidationCount:N0}), {settings.Epochs} epoch(s) each");
        var result = ml.Cnn().CreateExperiment(settings).Execute(data.Train, data.Validation, new Progress<CnnRunResult>(run =>
            console.Out.WriteLine(run.Exception is null
                ? $"  {run.Architecture}: accuracy {run.Accuracy:P2} in {run.TrainTime.TotalSeconds:F0} s"
                : $"  {run.Architecture}: failed ({run.Exception.Message.Split('\n')[0]})")));
        try
        {
            cancellation.ThrowIfCancellationRequested();
            console.Out.WriteLine();
            console.Out.Write(result.ToString());
            File.WriteAllText(folder.File(Leaderboard), JsonSerializer.Serialize(result.Runs.Select(run => new
            {
                architecture = run.Architecture,
                accuracy = run.Accuracy,
                logLoss = run.LogLoss,
                parameters = run.Parameters,
                macs = run.Macs,
                trainSeconds = Math.Round(run.TrainTime.TotalSeconds, 1),
                imagesPerSecond = Math.Round(run.ImagesPerSecond, 1),
                error = run.Exception?.Message,
            }), new JsonSerializerOptions { WriteIndented = true }));
            if (result.BestRun is null)
                throw new CliUserException($"no architecture could be trained: {string.Join("; ", result.Runs.Select(r => $"{r.Architecture}: {r.Exception?.Message.Split('\n')[0]}"))}");
            ComplexityChart.Save(result, folder.File(Chart));
            CnnReport.Write(folder.File(Report), result, new CnnReportOptions { Title = $"{string.Join(", ", architectures)} compared" });
            folder.Publish();
            console.Out.WriteLine($"best: {result.BestRun.Architecture}; wrote {folder.Target}: {Leaderboard}, {Chart}, {Report}");
        }
        finally
        {
            foreach (var run in result.Runs)
                run.Model?.Dispose();
        }
    }
}
