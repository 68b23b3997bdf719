using System.CommandLine;
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Charts;

namespace MLNetCnn.Cli.Train;

/// <summary>
/// <c>mlnetcnn train</c>: trains a zoo architecture on a folder of images (or Fashion-MNIST) and writes, into <c>--out</c>,
/// the ML.NET model zip, MLNetCnn's checkpoint, the validation metrics and the training curves.
/// </summary>
internal static class TrainCommand
{
    public static Command Create(CliConsole console)
    {
        var source = new ImageSource();
        var training = new TrainingOptionSet(defaultEpochs: 10);
        var architecture = ArchitectureOption.Create("resnet20", "Architecture.");
        var output = new Option<string>("--out", "-o") { Description = "Output folder: model.zip, classifier.mlnetcnn, metrics.json, training-curves.png, report.html.", Required = true };
        var force = CliOptions.Force();
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted run with the same options and --out, from its last checkpoint." };
        var command = new Command("train", "Train a CNN on a folder of images (one sub-folder per class) or on Fashion-MNIST.");
        source.AddTo(command);
        command.Options.Add(architecture);
        training.AddTo(command);
        foreach (var option in new Option[] { output, force, resume })
            command.Options.Add(option);
        command.SetAction((parse, cancellation) =>
        {
            var settings = training.Settings(parse, parse.GetValue(architecture)!, source.IsFashionMnist(parse));
            var folder = OutputFolder.Begin(parse.GetValue(output)!, parse.GetValue(force), parse.GetValue(resume));
            return Task.FromResult(Train(console, source, parse, parse.GetValue(training.ValidationFraction), settings, folder, parse.GetValue(resume), cancellation));
        });
        return command;
    }

    private static int Train(CliConsole console, ImageSource source, ParseResult parse, double validationFraction, TrainSettings s,
        OutputFolder folder, bool resume, CancellationToken cancellation)
    {
        try
        {
            var ml = new MLContext(seed: s.Seed);
            ml.Log += (_, e) =>
            {
                if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning && e.Source.Contains("Cnn", StringComparison.Ordinal))
                    console.Error.WriteLine($"warning: {e.Message}");
            };
            var data = TrainingData.Load(ml, source, parse, validationFraction, s.Seed);
            var (trainImages, validationImages) = (data.Train, data.Validation);
            var display = new TrainingDisplay(console);
            var options = TrainingRecipe.Options(s, cancellation) with
            {
                Validation = new() { Data = validationImages },
                Checkpoint = new() { Path = folder.File(ModelFolder.TrainingState), ResumeFrom = resume ? folder.File(ModelFolder.TrainingState) : null },
                Progress = display,
            };
            console.Out.WriteLine($"training {s.Architecture} at {s.Size}x{s.Size}x{s.Channels} on {data.TrainCount:N0} images " +
                                  $"(validation {data.ValidationCount:N0}), {s.Epochs} epoch(s), batch {options.Schedule.BatchSize}, " +
                                  $"{options.Optimizer.Kind} at {options.Optimizer.LearningRate:G3}{(s.Weights is null ? "" : $", fine-tuning {s.Weights}")}");
            var clock = Stopwatch.StartNew();
            using var classifier = display.Run(() => ml.MulticlassClassification.Trainers.Cnn(options).Fit(trainImages));
            var trainSeconds = clock.Elapsed.TotalSeconds;

            var metrics = ModelFolder.Write(ml, folder, data, classifier, new Dictionary<string, object>
            {
                ["architecture"] = s.Architecture,
                ["imageSize"] = s.Size,
                ["channels"] = s.Channels,
                ["epochs"] = s.Epochs,
                ["trainImages"] = data.TrainCount,
                ["trainSeconds"] = Math.Round(trainSeconds, 1),
            });
            TrainingCurvesChart.Save(new Dictionary<string, IReadOnlyList<CnnEpochMetrics>> { [s.Architecture] = classifier.History },
                folder.File(ModelFolder.Curves), TrainingCurve.ValidationError);
            CnnReport.Write(folder.File(ModelFolder.Report), classifier, validationImages, new CnnReportOptions
            {
                Title = $"{s.Architecture} on {data.ValidationCount:N0} validation images",
                TrainingImages = data.TrainCount,
                TrainingTime = TimeSpan.FromSeconds(trainSeconds),
            });
            File.Delete(folder.File(ModelFolder.TrainingState));
            folder.Publish();

            console.Out.WriteLine($"trained in {trainSeconds:F0} s; validation:");
            metrics.Render(console.Ansi);
            console.Out.WriteLine($"wrote {folder.Target}: {ModelFolder.ModelZip}, {ModelFolder.Checkpoint}, {ModelFolder.Metrics}, {ModelFolder.Curves}, {ModelFolder.Report}");
            return ExitCode.Success;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The staging folder keeps the last epoch's checkpoint.
            console.Error.WriteLine(File.Exists(folder.File(ModelFolder.TrainingState))
                ? $"mlnetcnn: training stopped; the last checkpoint is in '{folder.Staging}': run the same command with --resume to continue."
                : "mlnetcnn: training stopped before its first checkpoint; nothing to resume.");
            if (!File.Exists(folder.File(ModelFolder.TrainingState)))
                folder.Abandon();
            throw;
        }
        catch when (!resume)
        {
            folder.Abandon();
            throw;
        }
    }
}
