using FluentAssertions;
using Microsoft.ML;
using MLNetCnn.Tests.Support;
using MLNetCnn.Zoo;

namespace MLNetCnn.Tests.Training;

/// <summary>The learning-rate range test: its rates, its stop on divergence, its suggestion, and the model left as it was.</summary>
public class LearningRateFinderTests
{
    private static IDataView Data(MLContext ml, int rows)
    {
        var view = Pipelines.ImagesView(ml, Shapes.Generate(rows, seed: 25));
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(view).Transform(view);
    }

    [Fact]
    public void Curve_RisesExponentially_StopsWhenTheLossDiverges_AndSuggestsARateBeforeTheMinimum()
    {
        var ml = new MLContext(seed: 1);
        using var model = CnnZoo.Create("resnet20", numClasses: 4);
        using (var generator = new TorchSharp.torch.Generator(5))
            model.InitialiseFrom(generator);   // the same untrained network whatever ran before in this process
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var options = new CnnTrainerOptions
        {
            Model = new() { Instance = model },
            Input = new() { ImageSize = 32 },
            Schedule = new() { BatchSize = 16 },
            Runtime = new() { Seed = 5, Threads = 2 },
        };

        var curve = ml.Cnn().FindLearningRate(Data(ml, 160), options, steps: 80, minRate: 1e-5, maxRate: 100);

        curve.Points[0].Rate.Should().BeApproximately(1e-5, 1e-12);
        var ratio = curve.Points[1].Rate / curve.Points[0].Rate;
        curve.Points.Zip(curve.Points.Skip(1)).Should().OnlyContain(pair => Math.Abs(pair.Second.Rate / pair.First.Rate - ratio) < 1e-9, "rates rise by a constant factor");
        // Untrained ResNet-20s with 4 classes start between 1.3 and 2.9 on a batch (16 initialisations measured on random images,
        // ln 4 = 1.39); a first point smoothed or bias-corrected wrongly would be off by a factor (50 for a missing correction).
        curve.Points[0].Loss.Should().BeInRange(0.5 * Math.Log(4), 2.5 * Math.Log(4), "the first point is the untrained network's loss");
        curve.Diverged.Should().BeTrue("SGD at learning rates up to 100 blows up");
        curve.Points.Should().HaveCountLessThan(80, "the run stops once the loss diverges");
        curve.SuggestedRate.Should().BeGreaterThan(1e-5).And.BeLessThanOrEqualTo(curve.MinimumLossRate);
        foreach (var (key, value) in before)
            model.state_dict()[key].eq(value).all().item<bool>().Should().BeTrue($"{key} is put back after the test");
    }

    [Fact]
    public void OneBatch_TooFewSteps_AndInvertedRates_AreRefused()
    {
        var ml = new MLContext(seed: 1);
        var options = new CnnTrainerOptions
        {
            Model = new() { Architecture = "resnet20" },
            Input = new() { ImageSize = 32 },
            Schedule = new() { BatchSize = 16 },
            Runtime = new() { Threads = 2 },
        };
        FluentActions.Invoking(() => ml.Cnn().FindLearningRate(Data(ml, 12), options)).Should().Throw<ArgumentException>()
            .WithMessage("*at least 2 batches*12 row(s) at Schedule.BatchSize 16*");
        FluentActions.Invoking(() => ml.Cnn().FindLearningRate(Data(ml, 40), options, steps: 2)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => ml.Cnn().FindLearningRate(Data(ml, 40), options, minRate: 1, maxRate: 0.1)).Should().Throw<ArgumentException>()
            .WithMessage("*0 < minRate < maxRate*");
    }
}
