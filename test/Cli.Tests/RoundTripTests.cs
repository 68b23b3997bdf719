using System.Globalization;
using System.Text.Json;
using FluentAssertions;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetCnn.Cli.Tests.Support;

namespace MLNetCnn.Cli.Tests;

/// <summary>train -> evaluate -> predict -> export on generated images, each command checked against another or against ML.NET.</summary>
public class RoundTripTests(TrainedModel trained) : IClassFixture<TrainedModel>
{
    [Fact]
    public void Train_WritesTheModelFolderWhole()
    {
        trained.Result.ExitCode.Should().Be(0, trained.Result.ToString());
        Directory.GetFiles(trained.Folder).Select(Path.GetFileName).Should()
            .BeEquivalentTo("model.zip", "classifier.mlnetcnn", "metrics.json", "training-curves.png", "report.html");
        File.ReadAllText(Path.Combine(trained.Folder, "report.html")).Should().Contain("<table class=\"confusion\">").And.Contain("resnet20");
        Directory.Exists(trained.Folder + ".partial").Should().BeFalse("the staging folder is renamed into place");
        trained.Result.Output.Should().Contain("epoch 3/3").And.Contain("confusion matrix");

        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(trained.Folder, "metrics.json")));
        metrics.RootElement.GetProperty("classes").EnumerateArray().Select(c => c.GetString()).Should().Equal(ShapeFolder.Classes);
        metrics.RootElement.GetProperty("images").GetInt64().Should().BeInRange(1, 3 * 30 - 1, "a fraction was held out for validation");
    }

    [Fact]
    public void Evaluate_AgreesWithPredictsTopOne_AndWithTheModelZipInMLNet()
    {
        using var outputs = new TempFolder();
        var report = Path.Combine(outputs.Path, "evaluation.html");
        var evaluation = Tool.Run("evaluate", "--model", trained.Folder, "--images", trained.Images.Path, "--json", "--report", report);
        evaluation.ExitCode.Should().Be(0, evaluation.ToString());
        using var json = JsonDocument.Parse(evaluation.Output);
        var accuracy = json.RootElement.GetProperty("microAccuracy").GetDouble();
        json.RootElement.GetProperty("images").GetInt64().Should().Be(trained.Images.Images.Count);
        File.ReadAllText(report).Should().Contain($"<dt>test images</dt><dd>{trained.Images.Images.Count}</dd>");

        var prediction = Tool.Run("predict", "--model", trained.Folder, trained.Images.Path, "--top-k", "2");
        prediction.ExitCode.Should().Be(0, prediction.ToString());
        var lines = prediction.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].Should().Be("path,label1,probability1,label2,probability2");
        var predicted = lines.Skip(1).Select(line => line.Split(',')).ToDictionary(f => f[0], f => f);
        predicted.Keys.Should().BeEquivalentTo(trained.Images.Images.Select(i => i.File));
        var correct = trained.Images.Images.Count(image => predicted[image.File][1] == image.Label);
        accuracy.Should().BeApproximately((double)correct / trained.Images.Images.Count, 1e-9, "evaluate's accuracy counts the same top-1 predictions");
        foreach (var fields in predicted.Values)
            (double.Parse(fields[2], CultureInfo.InvariantCulture) >= double.Parse(fields[4], CultureInfo.InvariantCulture)).Should().BeTrue("most probable first");

        // model.zip is an ML.NET model: ML.NET alone loads it and predicts what the tool predicted.
        var ml = new MLContext();
        using var model = (TransformerChain<ITransformer>)ml.Model.Load(Path.Combine(trained.Folder, "model.zip"), out _);
        var rows = trained.Images.Images.Select(i => new PathRow { ImagePath = i.File, Label = i.Label }).ToList();
        var zipPredictions = ml.Data.CreateEnumerable<PathPrediction>(model.Transform(ml.Data.LoadFromEnumerable(rows)), reuseRowObject: false).ToList();
        zipPredictions.Select(p => p.PredictedLabel).Should().Equal(rows.Select(r => predicted[r.ImagePath][1]));
    }

    [Fact]
    public void Export_OnnxScoresLikeTheModel_WithAndWithoutSoftmax()
    {
        using var folder = new TempFolder();
        var probabilities = Path.Combine(folder.Path, "model.onnx");
        var logits = Path.Combine(folder.Path, "logits.onnx");
        Tool.Run("export", "--model", trained.Folder, "--out", probabilities).ExitCode.Should().Be(0);
        Tool.Run("export", "--model", trained.Folder, "--out", logits, "--no-softmax").ExitCode.Should().Be(0);

        var ml = new MLContext();
        using var classifier = ml.Cnn().LoadClassifier(Path.Combine(trained.Folder, "classifier.mlnetcnn"));
        var images = trained.Images.Images.Take(12).ToList();
        var view = ml.Data.LoadFromEnumerable(images.Select(i => new PathRow { ImagePath = i.File }));
        var loaded = ml.Transforms.LoadImages("Image", null, nameof(PathRow.ImagePath)).Fit(view).Transform(view);
        var expected = ml.Data.CreateEnumerable<ScoreRow>(classifier.Transform(loaded), reuseRowObject: false).Select(r => r.Score).ToList();

        var input = Pixels(images.Select(i => i.File).ToList());
        using var probabilitySession = new InferenceSession(probabilities);
        using var logitSession = new InferenceSession(logits);
        var fromProbabilities = Run(probabilitySession, input);
        var fromLogits = Run(logitSession, input);
        for (var i = 0; i < images.Count; i++)
        {
            var row = fromProbabilities.Skip(i * 3).Take(3).ToArray();
            row.Should().BeEquivalentTo(expected[i], o => o.Using<float>(c => c.Subject.Should().BeApproximately(c.Expectation, 1e-4f)).WhenTypeIs<float>());
            var exp = fromLogits.Skip(i * 3).Take(3).Select(MathF.Exp).ToArray();
            exp.Select(e => e / exp.Sum()).Should().BeEquivalentTo(expected[i],
                o => o.Using<float>(c => c.Subject.Should().BeApproximately(c.Expectation, 1e-4f)).WhenTypeIs<float>());
        }
    }

    [Fact]
    public void Predict_ReadsPathsFromStandardInput_AsJsonLines_WhenRunAsAProcess()
    {
        var files = trained.Images.Images.Take(4).Select(i => i.File).ToList();
        var result = Tool.RunProcess(string.Join('\n', files) + "\n", "predict", "--model", trained.Folder, "--format", "jsonl", "-k", "1");
        result.ExitCode.Should().Be(0, result.ToString());
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().HaveCount(4);
        for (var i = 0; i < 4; i++)
        {
            using var line = JsonDocument.Parse(lines[i]);
            line.RootElement.GetProperty("path").GetString().Should().Be(files[i]);
            var top = line.RootElement.GetProperty("predictions").EnumerateArray().Single();
            ShapeFolder.Classes.Should().Contain(top.GetProperty("label").GetString());
            top.GetProperty("probability").GetDouble().Should().BeInRange(1.0 / 3, 1.0, "the top class of three has at least a third");
        }
    }

    /// <summary>Planar RGB floats 0-255 of 32x32 PNGs, as the exported graph (with preprocessing) takes them.</summary>
    private static DenseTensor<float> Pixels(IReadOnlyList<string> files)
    {
        const int size = ShapeFolder.Size;
        var tensor = new DenseTensor<float>([files.Count, 3, size, size]);
        for (var n = 0; n < files.Count; n++)
        {
            using var image = Microsoft.ML.Data.MLImage.CreateFromFile(files[n]);
            var pixels = image.Pixels;
            var (red, blue) = image.PixelFormat == Microsoft.ML.Data.MLPixelFormat.Bgra32 ? (2, 0) : (0, 2);
            for (var y = 0; y < size; y++)
                for (var x = 0; x < size; x++)
                {
                    var p = 4 * (y * size + x);
                    tensor[n, 0, y, x] = pixels[p + red];
                    tensor[n, 1, y, x] = pixels[p + 1];
                    tensor[n, 2, y, x] = pixels[p + blue];
                }
        }
        return tensor;
    }

    private static float[] Run(InferenceSession session, DenseTensor<float> input)
    {
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
        return results.Single().AsTensor<float>().ToArray();
    }

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = "";

        public string Label { get; set; } = "";
    }

    private sealed class PathPrediction
    {
        public string PredictedLabel { get; set; } = "";
    }

    private sealed class ScoreRow
    {
        public float[] Score { get; set; } = [];
    }
}
