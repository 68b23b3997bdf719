using System.CommandLine;
using Microsoft.ML;
using MLNetCnn.Charts;

namespace MLNetCnn.Cli.Evaluate;

/// <summary><c>mlnetcnn evaluate</c>: a trained model's metrics and confusion matrix on a labelled folder of images.</summary>
internal static class EvaluateCommand
{
    public static Command Create(CliConsole console)
    {
        var source = new ImageSource();
        var model = CliOptions.Model();
        var json = new Option<bool>("--json") { Description = "Print the metrics as JSON (microAccuracy, macroAccuracy, logLoss, confusionMatrix, ...)." };
        var report = new Option<string?>("--report") { Description = "Also write the report page (HTML: metrics, confusion matrix, mistakes with Grad-CAM) to this file." };
        var force = CliOptions.Force();
        var device = CliOptions.Device();
        var skipUnreadable = CliOptions.SkipUnreadable();
        var command = new Command("evaluate", "Measure a trained model on labelled images: accuracy, log-loss, confusion matrix (Fashion-MNIST: its test set).");
        source.AddTo(command);
        foreach (var option in new Option[] { model, json, report, force, device, skipUnreadable })
            command.Options.Add(option);
        command.SetAction(parse =>
        {
            var reportPath = parse.GetValue(report) is string path ? AtomicFileWriter.Check(path, parse.GetValue(force), "--report") : null;
            var ml = new MLContext(seed: 1);
            using var classifier = ModelFolder.LoadClassifier(ml, parse.GetValue(model)!, parse.GetValue(device)!);
            var root = source.Root(parse, trainingSet: false);
            var rows = LabelledImages.Readable(ImageFolder.Read(root), parse.GetValue(skipUnreadable), console);
            var labelled = LabelledImages.Prepare(ml, rows, classifier, root);
            var scored = classifier.Transform(labelled);
            var metrics = MetricsReport.From(ml.MulticlassClassification.Evaluate(scored), classifier.LabelValues);
            if (reportPath is not null)
                CnnReport.Write(reportPath, classifier, labelled);
            if (parse.GetValue(json))
                console.Out.WriteLine(metrics.ToJson());
            else
                metrics.Render(console.Ansi);
            return ExitCode.Success;
        });
        return command;
    }
}
