using System.Text.RegularExpressions;
using Microsoft.ML;
using MLNetCnn.Tests.Support;
using MLNetCnn.Zoo;

namespace MLNetCnn.Charts.Tests;

/// <summary>A search's accuracy-latency chart and its section of the report page.</summary>
public class SearchFrontChartTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("mlnetcnn-charts-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Search_OfFourTinyTrials_DrawsTheFront_AndReportsEveryTrial()
    {
        var ml = new MLContext(seed: 1);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(Vectors(ml, 8, 91));
        var basis = new CnnTrainerOptions
        {
            Columns = new() { Image = "Pixels" },
            Input = new() { VectorShape = (3, Shapes.Size, Shapes.Size) },
            Runtime = new() { Threads = 2 },
        };
        var space = new CnnSearchSpace
        {
            Candidates = [new("resnet20", new CifarResNetArguments { BlocksPerStage = 1, WidthMultiplier = 0.5 }), new("resnet20", new CifarResNetArguments { BlocksPerStage = 1 })],
            ImageSizes = [Shapes.Size],
            BatchSizes = [16],
            Basis = basis,
        };

        using var result = ml.Cnn().CreateSearch().SetDataset(keys.Transform(Vectors(ml, 120, 92)), keys.Transform(Vectors(ml, 40, 93))).SetSearchSpace(space)
            .SetStrategy(CnnSearchStrategy.Asha(1, 2, 2)).SetMaxTrials(4).SetTimeBudget(TimeSpan.FromMinutes(3)).Run();
        var png = Path.Combine(folder, "front.png");
        SearchFrontChart.Save(result, png, width: 640, height: 480);
        var report = Path.Combine(folder, "search.html");
        CnnReport.Write(report, result);

        var (width, height, colours) = PngImage.Inspect(png);
        (width, height).Should().Be((640, 480));
        colours.Should().BeGreaterThan(10, "axes, labels, the trials and the front were drawn");
        var html = File.ReadAllText(report);
        Rows(html, "trials").Should().Be(4, "one row per trial");
        Rows(html, "front").Should().Be(result.Front.Count);
        html.Should().Contain("Accuracy against latency").And.Contain(result.Strategy).And.NotContain("<script");
        result.Trials.Should().Contain(t => t.Rung >= 1, "two of four trials go on past the first rung");
        html.Should().Contain("Learning curves of the promoted trials");
    }

    private static int Rows(string html, string table)
        => Regex.Match(html, $"<table class=\"{table}\">.*?</table>", RegexOptions.Singleline).Value.Split("<tr>").Count(row => row.Contains("<td>", StringComparison.Ordinal));

    private static IDataView Vectors(MLContext ml, int count, int seed)
        => ml.Data.LoadFromEnumerable(Shapes.Generate(count, seed).Select(e => e.AsVector()).ToList());
}
