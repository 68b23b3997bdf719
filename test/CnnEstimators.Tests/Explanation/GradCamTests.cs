using FluentAssertions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Tests.Support;
using Xunit.Abstractions;

namespace MLNetCnn.Tests.Explanation;

/// <summary>A classifier trained on shapes among clutter, shared by the Grad-CAM tests.</summary>
public sealed class ClutteredClassifier : IDisposable
{
    public ClutteredClassifier()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(ClutteredShapes.Generate(900, seed: 1).Select(e => e.AsImage()).ToList());
        var options = Pipelines.FastOptions(epochs: 8);
        options = options with
        {
            Input = options.Input with { ImageSize = ClutteredShapes.Size },
            Augmentation = options.Augmentation with { RandomCropPadding = 4 },
        };
        Model = ((IEnumerable<ITransformer>)Pipelines.Classifier(ml, options).Fit(train)).OfType<CnnClassifierTransformer>().Single();
        Test = ClutteredShapes.Generate(150, seed: 2);
    }

    public CnnClassifierTransformer Model { get; }

    public List<ClutteredExample> Test { get; }

    public void Dispose() => Model.Dispose();
}

/// <summary>Grad-CAM is checked against where the shape really is, and against the heatmaps a broken explainer would give.</summary>
public class GradCamTests(ClutteredClassifier trained, ITestOutputHelper output) : IClassFixture<ClutteredClassifier>
{
    [Fact]
    public void HeatInsideTheShapesBox_DominatesForMostCorrectlyClassifiedImages_AndUniformOrInvertedHeatmapsWouldFail()
    {
        var explained = trained.Test.Select(example =>
        {
            using var image = example.AsImage().Image;
            return (example, explanation: trained.Model.Explain(image));
        }).ToList();
        var correct = explained.Where(e => e.explanation.PredictedLabel == e.example.Label).ToList();
        correct.Count.Should().BeGreaterThan(explained.Count * 8 / 10, "the classifier must mostly be right for its explanations to mean anything");

        var share = correct.Select(e => ShareInBox(e.explanation.Heatmap, e.example)).ToList();
        var uniform = correct.Select(e => ShareInBox(Enumerable.Repeat(1f, e.explanation.Heatmap.Length).ToArray(), e.example)).ToList();
        var inverted = correct.Select(e => ShareInBox(e.explanation.Heatmap.Select(h => 1 - h).ToArray(), e.example)).ToList();
        double Fraction(List<double> shares, double atLeast) => shares.Count(s => s >= atLeast) / (double)shares.Count;
        output.WriteLine($"{correct.Count}/{explained.Count} correct; heat inside the box: median {Median(share):P0}, >= 50% for {Fraction(share, 0.5):P0} " +
                         $"and >= 60% for {Fraction(share, 0.6):P0} of them; uniform heat would put {Median(uniform):P0} there, inverted heat {Median(inverted):P0}.");

        // The heat dominates inside the box (more inside than in the rest of the picture, which is four times larger) for
        // at least 80% of the correct images, and its median share is over three times what a uniform map puts there.
        Fraction(share, 0.5).Should().BeGreaterThanOrEqualTo(0.8, "most of the heat lies inside the shape's box for at least 80% of correct images");
        Median(share).Should().BeGreaterThan(3 * Median(uniform), "the heat is concentrated on the shape, not spread evenly");
        Fraction(uniform, 0.5).Should().BeLessThan(0.8, "a uniform heatmap would fail this check");
        Fraction(inverted, 0.5).Should().BeLessThan(0.8, "an inverted heatmap would fail this check");
    }

    [Fact]
    public void Heatmaps_AreInUnitRange_WithTheirPeakAtOne_AndDependOnTheClassExplained()
    {
        var example = trained.Test.First(e => e.Label == "square");
        using var image = example.AsImage().Image;
        var predicted = trained.Model.Explain(image);
        predicted.Heatmap.Should().HaveCount(ClutteredShapes.Size * ClutteredShapes.Size).And.OnlyContain(h => h >= 0 && h <= 1);
        predicted.Heatmap.Max().Should().BeApproximately(1, 1e-5f);
        predicted.Layer.Should().Be("layer3", "resnet20's last convolutional stage");
        predicted.Probability.Should().BeInRange(0, 1);

        var other = trained.Model.Explain(image, label: ClutteredShapes.Classes.First(c => c != predicted.PredictedLabel));
        other.Label.Should().NotBe(predicted.PredictedLabel);
        other.Probability.Should().BeLessThan(predicted.Probability);
        other.Heatmap.Should().NotEqual(predicted.Heatmap, "another class's evidence lies elsewhere");
    }

    [Fact]
    public void CnnExplain_AddsTheSameHeatmapsAsExplain_ForEveryRow()
    {
        var ml = new MLContext();
        var rows = trained.Test.Take(6).Select(e => e.AsImage()).ToList();
        var view = ml.Data.LoadFromEnumerable(rows);
        var heatmaps = ml.Transforms.CnnExplain("Heatmap", trained.Model, batchSize: 4).Fit(view).Transform(view)
            .GetColumn<float[]>("Heatmap").ToList();

        heatmaps.Should().HaveCount(6);
        for (var i = 0; i < 6; i++)
        {
            using var image = trained.Test[i].AsImage().Image;
            heatmaps[i].Should().Equal(trained.Model.Explain(image).Heatmap, (a, b) => Math.Abs(a - b) < 1e-4f);
        }
    }

    [Fact]
    public void AnyNamedLayer_CanBeExplained_AndAnUnknownOneListsThoseThatExist()
    {
        using var image = trained.Test[0].AsImage().Image;
        trained.Model.Explain(image, layerName: "layer2").Layer.Should().Be("layer2");
        FluentActions.Invoking(() => trained.Model.Explain(image, layerName: "layer9")).Should().Throw<ArgumentException>()
            .WithMessage("*no layer 'layer9'*Layers that have one:*layer1*layer2*layer3*");
        FluentActions.Invoking(() => trained.Model.Explain(image, label: "circle")).Should().Throw<ArgumentException>()
            .WithMessage("*no class 'circle'*square*ring*triangle*");
    }

    [Fact]
    public void Overlay_IsAPngOfThePicturesSize_AndTheExplainerRefusesToSave()
    {
        using var image = trained.Test[0].AsImage().Image;
        var png = trained.Model.Explain(image).OverlayPng(image);
        using var decoded = Microsoft.ML.Data.MLImage.CreateFromStream(new MemoryStream(png));
        (decoded.Width, decoded.Height).Should().Be((ClutteredShapes.Size, ClutteredShapes.Size));
        decoded.Pixels.ToArray().Should().NotEqual(image.Pixels.ToArray(), "the heat is drawn over the picture");

        var ml = new MLContext();
        var view = ml.Data.LoadFromEnumerable(trained.Test.Take(1).Select(e => e.AsImage()).ToList());
        var explainer = ml.Transforms.CnnExplain("Heatmap", trained.Model).Fit(view);
        FluentActions.Invoking(() => ml.Model.Save(explainer, view.Schema, new MemoryStream())).Should().Throw<NotSupportedException>()
            .WithMessage("*needs gradients*ONNX*");
    }

    private static double ShareInBox(float[] heat, ClutteredExample example)
    {
        double inside = 0, total = 0;
        for (var y = 0; y < ClutteredShapes.Size; y++)
            for (var x = 0; x < ClutteredShapes.Size; x++)
            {
                var h = heat[y * ClutteredShapes.Size + x];
                total += h;
                if (x >= example.Left && x <= example.Right && y >= example.Top && y <= example.Bottom)
                    inside += h;
            }
        return total > 0 ? inside / total : 0;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
