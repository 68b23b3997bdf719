using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using MLNetCnn.Zoo;

namespace MLNetCnn.Cli.Featurize;

/// <summary>
/// <c>mlnetcnn featurize</c>: a folder of images to a CSV of CNN feature vectors (path, class folder, f0..fN), from a trained
/// model or, by default, the ImageNet ResNet-18 that ships with ML.NET's DnnImageFeaturizer package (no download).
/// </summary>
internal static class FeaturizeCommand
{
    public static Command Create(CliConsole console)
    {
        var images = new Option<string>("--images", "-i") { Description = "Folder of images (searched recursively); a class sub-folder's name becomes the label column.", Required = true };
        var model = new Option<string?>("--model", "-m") { Description = "A folder 'mlnetcnn train --out' wrote; default the offline ImageNet ResNet-18 (224x224)." };
        var output = new Option<string>("--out", "-o") { Description = "The CSV file to write.", Required = true };
        var force = CliOptions.Force();
        var batchSize = new Option<int>("--batch-size", "-b") { Description = "Images per forward pass.", DefaultValueFactory = _ => 32 };
        CliOptions.RequirePositive(batchSize);
        var command = new Command("featurize", "Turn images into CNN feature vectors (CSV) for other ML.NET trainers.");
        foreach (var option in new Option[] { images, model, output, force, batchSize })
            command.Options.Add(option);
        command.SetAction(parse =>
        {
            var path = AtomicFileWriter.Check(parse.GetValue(output)!, parse.GetValue(force), "--out");
            var root = parse.GetValue(images)!;
            if (!Directory.Exists(root))
                throw new CliUserException($"--images: folder '{root}' does not exist.");
            root = Path.GetFullPath(root);
            var files = ImageFolder.Files(root);
            if (files.Count == 0)
                throw new CliUserException($"--images: '{root}' holds no images ({string.Join(", ", ImageFolder.ImageExtensions)}).");
            var rows = files.Select(f => new ImageFolderRow
            {
                ImagePath = f,
                Label = Path.GetDirectoryName(Path.GetRelativePath(root, f)) is { Length: > 0 } sub ? sub.Split(Path.DirectorySeparatorChar)[0] : "",
            }).ToList();

            var ml = new MLContext(seed: 1);
            var view = ml.Data.LoadFromEnumerable(rows);
            var load = ml.Transforms.LoadImages("Image", imageFolder: null, nameof(ImageFolderRow.ImagePath));
            using var network = parse.GetValue(model) is string folder ? ModelFolder.LoadClassifier(ml, folder) : null;
            using var pretrained = network is null ? DnnFeaturizerResNet18.Import() : null;
            var featurize = network is not null
                ? ml.Transforms.CnnFeaturize("Features", "Image", network, batchSize: parse.GetValue(batchSize))
                : ml.Transforms.CnnFeaturize("Features", "Image", pretrained!, batchSize: parse.GetValue(batchSize));
            var features = load.Append(featurize).Fit(view).Transform(view);
            var c = CultureInfo.InvariantCulture;
            AtomicFileWriter.Write(path, stream =>
            {
                using var writer = new StreamWriter(stream);
                var header = false;
                foreach (var row in ml.Data.CreateEnumerable<FeatureRow>(features, reuseRowObject: true))
                {
                    if (!header)
                    {
                        writer.WriteLine(string.Join(",", ["path", "label", .. Enumerable.Range(0, row.Features.Length).Select(i => $"f{i}")]));
                        header = true;
                    }
                    writer.Write(CsvField.Escape(row.ImagePath));
                    writer.Write(',');
                    writer.Write(CsvField.Escape(row.Label));
                    foreach (var value in row.Features)
                    {
                        writer.Write(',');
                        writer.Write(value.ToString("R", c));
                    }
                    writer.WriteLine();
                }
            });
            console.Out.WriteLine($"wrote {path}: {rows.Count} image(s)");
            return ExitCode.Success;
        });
        return command;
    }

    private sealed class FeatureRow
    {
        public string ImagePath { get; set; } = "";

        public string Label { get; set; } = "";

        public float[] Features { get; set; } = [];
    }
}
