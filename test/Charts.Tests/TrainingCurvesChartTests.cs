using Microsoft.ML;
using Microsoft.ML.Data;
namespace MLNetCnn.Charts.Tests;

/// <summary>Per-epoch curves of several runs, e.g. the degradation figure.</summary>
public class TrainingCurvesChartTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("mlnetcnn-curves-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Save_TwoHistories_WritesAPng()
    {
        var histories = new Dictionary<string, IReadOnlyList<CnnEpochMetrics>>
        {
            ["plain56"] = [Epoch(1, 0.6), Epoch(2, 0.7), Epoch(3, 0.75)],
            ["resnet56"] = [Epoch(1, 0.7), Epoch(2, 0.8), Epoch(3, 0.9)],
        };
        var png = Path.Combine(folder, "curves.png");

        TrainingCurvesChart.Save(histories, png, TrainingCurve.TrainingError, width: 500, height: 400);

        var (width, height, colours) = PngImage.Inspect(png);
        (width, height).Should().Be((500, 400));
        colours.Should().BeGreaterThan(10);
    }

    [Fact]
    public void TrainingLoss_OfOneEpochWithSteps_DrawsTheStepsAsALine()
    {
        var dot = Path.Combine(folder, "dot.png");
        var line = Path.Combine(folder, "line.png");
        var steps = Enumerable.Range(0, 60).Select(i => 2.0 * Math.Exp(-i / 20.0)).ToList();

        TrainingCurvesChart.Save(new Dictionary<string, IReadOnlyList<CnnEpochMetrics>> { ["resnet20"] = [Epoch(1, 0.5)] }, dot, TrainingCurve.TrainingLoss);
        TrainingCurvesChart.Save(new Dictionary<string, IReadOnlyList<CnnEpochMetrics>> { ["resnet20"] = [Epoch(1, 0.5) with { StepLosses = steps }] }, line, TrainingCurve.TrainingLoss);

        PngImage.Inspect(line).DistinctColours.Should().BeGreaterThan(PngImage.Inspect(dot).DistinctColours, "the steps' line and its legend entry were drawn");
    }

    [Fact]
    public void Charts_AndMLNetsImageTransforms_WorkInOneProcess()
    {
        var png = Path.Combine(folder, "curves.png");
        TrainingCurvesChart.Save(new Dictionary<string, IReadOnlyList<CnnEpochMetrics>> { ["resnet20"] = [Epoch(1, 0.5), Epoch(2, 0.7)] }, png);
        var ml = new Microsoft.ML.MLContext(seed: 1);
        var images = ml.Data.LoadFromEnumerable(MLNetCnn.Tests.Support.Shapes.Generate(4, seed: 3).Select(e => e.AsImage()).ToList());

        // With the charts' SkiaSharp loaded, ML.NET's image transforms (which need the 2.88 line) still run.
        var pixels = ml.Transforms.ResizeImages("Resized", 16, 16, "Image").Append(ml.Transforms.ExtractPixels("Pixels", "Resized"))
            .Fit(images).Transform(images).GetColumn<float[]>("Pixels").ToList();

        pixels.Should().HaveCount(4).And.OnlyContain(p => p.Length == 3 * 16 * 16 && p.Any(v => v > 0));
        PngImage.Inspect(png).DistinctColours.Should().BeGreaterThan(10);
    }

    [Fact]
    public void Save_ValidationCurveWithoutValidation_NamesTheRun()
    {
        var histories = new Dictionary<string, IReadOnlyList<CnnEpochMetrics>> { ["resnet20"] = [Epoch(1, 0.5)] };

        var act = () => TrainingCurvesChart.Save(histories, Path.Combine(folder, "x.png"), TrainingCurve.ValidationError);

        act.Should().Throw<ArgumentException>().WithMessage("*history of 'resnet20' has no epoch with a ValidationError value*");
    }

    [Fact]
    public void Save_NoHistory_Throws()
    {
        var act = () => TrainingCurvesChart.Save(new Dictionary<string, IReadOnlyList<CnnEpochMetrics>>(), Path.Combine(folder, "x.png"));

        act.Should().Throw<ArgumentException>().WithMessage("*at least one run's history*");
    }

    private static CnnEpochMetrics Epoch(int epoch, double trainAccuracy)
        => new(epoch, TrainLoss: 1 - trainAccuracy, trainAccuracy, ValidationLoss: null, ValidationAccuracy: null, LearningRate: 0.1, Seconds: 1, ImagesPerSecond: 100);
}

/// <summary>The learning-rate finder's chart.</summary>
public class LearningRateChartTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("mlnetcnn-charts-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Curve_IsDrawnWithItsSuggestion()
    {
        var points = Enumerable.Range(0, 50).Select(i =>
        {
            var rate = 1e-5 * Math.Pow(10, i / 10.0);
            var loss = 2 - Math.Tanh(i / 10.0) + (i > 40 ? (i - 40) * 0.5 : 0);
            return new CnnLearningRatePoint(rate, loss, loss);
        }).ToList();
        var png = Path.Combine(folder, "lr.png");

        LearningRateChart.Save(new CnnLearningRateCurve(points, 1e-4, 1e-1, Diverged: true), png, 640, 480);

        var (width, height, colours) = PngImage.Inspect(png);
        (width, height).Should().Be((640, 480));
        colours.Should().BeGreaterThan(5, "the axes, the curve and the marked suggestion were drawn");
        FluentActions.Invoking(() => LearningRateChart.ToPng(new CnnLearningRateCurve([], 1, 1, false))).Should().Throw<ArgumentException>();
    }
}
