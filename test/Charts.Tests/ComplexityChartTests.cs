using Microsoft.ML;
using MLNetCnn.Tests.Support;

namespace MLNetCnn.Charts.Tests;

/// <summary>The experiment's accuracy-against-G-MACs chart.</summary>
public class ComplexityChartTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("mlnetcnn-charts-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Experiment_OnTwoTinyArchitectures_GivesTwoRunsAndAPng()
    {
        var ml = new MLContext(seed: 1);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(Vectors(ml, 8, 81));
        var train = keys.Transform(Vectors(ml, 160, 82));
        var validation = keys.Transform(Vectors(ml, 60, 83));
        var settings = new CnnExperimentSettings
        {
            Architectures = ["resnet20", "plain20"],
            TrainerOptions = architecture => new CnnTrainerOptions
            {
                Model = new() { Architecture = architecture },
                Columns = new() { Image = "Pixels" },
                Input = new() { VectorShape = (3, Shapes.Size, Shapes.Size) },
                Schedule = new() { Epochs = 2, BatchSize = 32 },
                Runtime = new() { Seed = 7, Threads = 2 },
            },
        };

        var result = ml.Cnn().CreateExperiment(settings).Execute(train, validation);
        var png = Path.Combine(folder, "complexity.png");
        ComplexityChart.Save(result, png, width: 640, height: 480);

        result.Runs.Should().HaveCount(2).And.OnlyContain(r => r.Exception == null && r.Accuracy > 0 && r.Macs > 0 && r.Parameters > 0);
        var (width, height, colours) = PngImage.Inspect(png);
        (width, height).Should().Be((640, 480));
        colours.Should().BeGreaterThan(10, "axes, labels and two translucent bubbles were drawn");

        var report = Path.Combine(folder, "experiment.html");
        CnnReport.Write(report, result);
        var html = File.ReadAllText(report);
        var leaderboard = System.Text.RegularExpressions.Regex.Match(html, "<table class=\"leaderboard\">.*?</table>", System.Text.RegularExpressions.RegexOptions.Singleline).Value;
        leaderboard.Split("<tr>").Count(row => row.Contains("<td>", StringComparison.Ordinal)).Should().Be(2, "one leaderboard row per run");
        leaderboard.Should().Contain("resnet20").And.Contain("plain20");
        html.Should().Contain("Accuracy against operations").And.NotContain("<script");
        foreach (var run in result.Runs)
            run.Model!.Dispose();
    }

    [Fact]
    public void Save_WhenEveryRunFailed_SaysThereIsNothingToDraw()
    {
        var ml = new MLContext(seed: 1);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(Vectors(ml, 8, 81));
        var settings = new CnnExperimentSettings
        {
            Architectures = ["alexnet"],   // cannot take 32x32 images
            TrainerOptions = architecture => new CnnTrainerOptions
            {
                Model = new() { Architecture = architecture },
                Columns = new() { Image = "Pixels" },
                Input = new() { VectorShape = (3, Shapes.Size, Shapes.Size) },
                Schedule = new() { Epochs = 1 },
            },
        };
        var result = ml.Cnn().CreateExperiment(settings).Execute(keys.Transform(Vectors(ml, 8, 84)), keys.Transform(Vectors(ml, 8, 85)));

        var act = () => ComplexityChart.Save(result, Path.Combine(folder, "none.png"));

        act.Should().Throw<ArgumentException>().WithMessage("*no successful run to chart (1 run(s), all failed)*");
        File.Exists(Path.Combine(folder, "none.png")).Should().BeFalse();
    }

    private static IDataView Vectors(MLContext ml, int count, int seed)
        => ml.Data.LoadFromEnumerable(Shapes.Generate(count, seed).Select(e => e.AsVector()).ToList());
}
