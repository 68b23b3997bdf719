using System.Text.RegularExpressions;
using Microsoft.ML;
using MLNetCnn.Tests.Support;
using SkiaSharp;

namespace MLNetCnn.Charts.Tests.Report;

/// <summary>The report's content, read back from the file: what it says must be what ML.NET's evaluator says.</summary>
public class CnnReportTests(ReportedClassifier reported) : IClassFixture<ReportedClassifier>
{
    [Fact]
    public void Report_IsSelfContained_EveryImageAnEmbeddedPng()
    {
        reported.Html.Should().NotContainAny(["<script", "http://", "https://", "<link"], "the page fetches nothing and runs nothing");
        var sources = Regex.Matches(reported.Html, "<img [^>]*src=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        sources.Should().HaveCountGreaterThanOrEqualTo(2 + 2 * 1, "two training charts and at least one mistake with its overlay");
        foreach (var source in sources)
        {
            source.Should().StartWith("data:image/png;base64,");
            using var bitmap = SKBitmap.Decode(Convert.FromBase64String(source["data:image/png;base64,".Length..]));
            bitmap.Should().NotBeNull("each embedded image decodes");
            bitmap.Width.Should().BeGreaterThan(0);
        }
        Directory.GetFiles(reported.Folder).Should().Equal([reported.Path], "the page is written whole, with no temporary file left");
    }

    [Fact]
    public void ConfusionMatrix_HasARowPerClass_WithCountsThatMatchMLNetsEvaluator()
    {
        var ml = new MLContext();
        var keys = ml.Data.LoadFromEnumerable(reported.Classifier.LabelValues.Select(v => new { Label = v }));
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label", keyData: keys).Fit(reported.TestData).Transform(reported.TestData);
        var counts = ml.MulticlassClassification.Evaluate(reported.Classifier.Transform(keyed)).ConfusionMatrix.Counts;

        var table = Regex.Match(reported.Html, "<table class=\"confusion\">.*?</table>", RegexOptions.Singleline).Value;
        var rows = Regex.Matches(table, "<tbody>.*</tbody>", RegexOptions.Singleline).Single().Value
            .Split("</tr>").Where(r => r.Contains("<td", StringComparison.Ordinal)).ToList();
        rows.Should().HaveCount(reported.Classifier.LabelValues.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var cells = Regex.Matches(rows[i], "<td[^>]*>([^<]*)</td>").Select(m => m.Groups[1].Value).ToList();
            cells[0].Should().Be(reported.Classifier.LabelValues[i]);
            cells.Skip(1).Select(double.Parse).Should().Equal(counts[i]);
        }
    }

    [Fact]
    public void Summary_StatesTheArchitectureParametersAndAccuracy()
    {
        reported.Html.Should().Contain("<dt>architecture</dt><dd>resnet20</dd>")
            .And.Contain("<dt>parameters</dt><dd>269,332</dd>")   // ResNet-20: 269,722 with 10 classes (the paper's 0.27M), 6 x 65 fewer with 4
            .And.Contain("<dt>training images</dt><dd>96</dd>")
            .And.Contain("<dt>test images</dt><dd>40</dd>")
            .And.Contain("Most confident mistakes");
    }

    [Fact]
    public void BadInput_IsRefusedWithTheReason_AndWritesNothing()
    {
        var ml = new MLContext();
        var path = Path.Combine(reported.Folder, "bad.html");
        var stranger = ml.Data.LoadFromEnumerable(Shapes.Generate(4, seed: 5).Select(e => e.AsImage()).Select(r => { r.Label = r.Label == "disc" ? "star" : r.Label; return r; }).ToList());
        FluentActions.Invoking(() => CnnReport.Write(path, reported.Classifier, stranger)).Should().Throw<ArgumentException>()
            .WithMessage("*classes the model does not know: star*");
        var empty = ml.Data.LoadFromEnumerable(new List<ImageRow>());
        FluentActions.Invoking(() => CnnReport.Write(path, reported.Classifier, empty)).Should().Throw<InvalidDataException>().WithMessage("*empty*");
        FluentActions.Invoking(() => CnnReport.Write("/no/such/folder/report.html", reported.Classifier, reported.TestData))
            .Should().Throw<DirectoryNotFoundException>().WithMessage("*/no/such/folder*");
        File.Exists(path).Should().BeFalse();
    }
}

/// <summary>A classifier of pixel vectors gets the same report, its mistakes drawn from the vectors and explained from them.</summary>
public class VectorReportTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("mlnetcnn-report-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void VectorClassifier_Report_ShowsItsMistakesAsPicturesWithOverlays()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Shapes.Generate(64, seed: 41).Select(e => e.AsVector()).ToList());
        var options = new CnnTrainerOptions
        {
            Model = new() { Architecture = "resnet20" },
            Columns = new() { Image = "Pixels" },
            Input = new() { VectorShape = (3, Shapes.Size, Shapes.Size) },
            Schedule = new() { Epochs = 1, BatchSize = 32 },
            Runtime = new() { Seed = 7, Threads = 2 },
        };
        using var classifier = ml.MulticlassClassification.Trainers.Cnn(options).Fit(ml.Transforms.Conversion.MapValueToKey("Label").Fit(train).Transform(train));
        var test = ml.Data.LoadFromEnumerable(Shapes.Generate(24, seed: 42).Select(e => e.AsVector()).ToList());
        var path = Path.Combine(folder, "report.html");

        CnnReport.Write(path, classifier, test, new CnnReportOptions { Mistakes = 4 });

        var html = File.ReadAllText(path);
        var figures = Regex.Matches(html, "<figure><img [^>]*src=\"data:image/png;base64,([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        figures.Should().NotBeEmpty("a barely trained classifier makes mistakes, each shown with its overlay").And.HaveCount(figures.Count / 2 * 2);
        foreach (var png in figures)
        {
            using var bitmap = SKBitmap.Decode(Convert.FromBase64String(png));
            (bitmap.Width, bitmap.Height).Should().Be((Shapes.Size, Shapes.Size));
        }
    }
}
