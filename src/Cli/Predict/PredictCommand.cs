using System.CommandLine;
using Microsoft.ML;

namespace MLNetCnn.Cli.Predict;

/// <summary><c>mlnetcnn predict</c>: the top-k classes of image files, folders, or a list of paths on standard input.</summary>
internal static class PredictCommand
{
    public static Command Create(CliConsole console)
    {
        var inputs = new Argument<string[]>("paths")
        {
            Description = "Image files and folders (searched recursively); none: read one path per line from standard input.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var model = CliOptions.Model();
        var topK = new Option<int>("--top-k", "-k") { Description = "Classes per image, most probable first.", DefaultValueFactory = _ => 3 };
        var format = new Option<string>("--format") { Description = "csv (a header, one line per image) or jsonl (one JSON object per line).", DefaultValueFactory = _ => "csv" };
        format.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is not ("csv" or "jsonl"))
                result.AddError($"--format: '{result.GetValueOrDefault<string>()}' is not a format; use csv or jsonl.");
        });
        var output = new Option<string?>("--out", "-o") { Description = "Write to this file (whole or not at all) instead of standard output." };
        var force = CliOptions.Force();
        var device = CliOptions.Device();
        var skipUnreadable = CliOptions.SkipUnreadable();
        CliOptions.RequirePositive(topK);
        var command = new Command("predict", "Classify images with a trained model: top-k labels and probabilities as CSV or JSON lines.") { inputs };
        foreach (var option in new Option[] { model, topK, format, output, force, device, skipUnreadable })
            command.Options.Add(option);
        command.SetAction(parse =>
        {
            var outputPath = parse.GetValue(output) is string path ? AtomicFileWriter.Check(path, parse.GetValue(force), "--out") : null;
            var ml = new MLContext(seed: 1);
            using var classifier = ModelFolder.LoadClassifier(ml, parse.GetValue(model)!, parse.GetValue(device)!);
            var k = Math.Min(parse.GetValue(topK), classifier.LabelValues.Count);
            var files = ImagePaths(parse.GetValue(inputs) ?? []);
            var rows = LabelledImages.Readable(files.Select(f => new ImageFolderRow { ImagePath = f }).ToList(), parse.GetValue(skipUnreadable), console);
            var view = ml.Data.LoadFromEnumerable(rows);
            var scored = ml.Transforms.LoadImages(classifier.ImageColumnName, imageFolder: null, nameof(ImageFolderRow.ImagePath)).Fit(view).Transform(view);
            var predictions = ml.Data.CreateEnumerable<ScoredImage>(classifier.Transform(scored), reuseRowObject: false);
            void WriteAll(TextWriter writer)
            {
                var predictionWriter = new PredictionWriter(writer, parse.GetValue(format)!, k);
                predictionWriter.WriteHeader();
                foreach (var prediction in predictions)
                    predictionWriter.Write(prediction.ImagePath, Top(prediction.Score, classifier.LabelValues, k));
            }
            if (outputPath is null)
                WriteAll(console.Out);
            else
            {
                AtomicFileWriter.Write(outputPath, stream =>
                {
                    using var writer = new StreamWriter(stream);
                    WriteAll(writer);
                });
                console.Error.WriteLine($"wrote {rows.Count} prediction(s) to {outputPath}");
            }
            return ExitCode.Success;
        });
        return command;
    }

    private sealed class ScoredImage
    {
        public string ImagePath { get; set; } = "";

        public float[] Score { get; set; } = [];
    }

    private static List<(string Label, float Probability)> Top(float[] scores, IReadOnlyList<string> labels, int k)
        => scores.Select((p, i) => (Label: labels[i], Probability: p)).OrderByDescending(t => t.Probability).Take(k).ToList();

    /// <summary>The image files named by <paramref name="arguments"/> (folders searched recursively), or by the lines of standard input.</summary>
    /// <exception cref="CliUserException">A path does not exist, or there are no images.</exception>
    private static List<string> ImagePaths(string[] arguments)
    {
        var named = arguments.Length > 0 ? arguments : ReadStandardInput();
        var files = new List<string>();
        foreach (var path in named)
        {
            if (Directory.Exists(path))
                files.AddRange(ImageFolder.Files(path));
            else if (File.Exists(path))
            {
                CnnImageLimits.CheckFile(path);
                files.Add(Path.GetFullPath(path));
            }
            else
                throw new CliUserException($"paths: '{path}' does not exist.");
        }
        if (files.Count == 0)
            throw new CliUserException($"paths: no images ({string.Join(", ", ImageFolder.ImageExtensions)}) in {string.Join(", ", named.Select(p => $"'{p}'"))}.");
        return files;
    }

    private static string[] ReadStandardInput()
    {
        if (!Console.IsInputRedirected)
            throw new CliUserException("paths: give image files or folders, or pipe a list of paths into standard input.");
        var lines = new List<string>();
        while (Console.In.ReadLine() is { } line)
            if (line.Trim() is { Length: > 0 } path)
                lines.Add(path);
        return lines.ToArray();
    }
}
