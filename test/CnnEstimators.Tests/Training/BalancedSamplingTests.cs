using FluentAssertions;
using Microsoft.ML;
using MLNetCnn.Data;
using MLNetCnn.Tests.Support;
using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn.Tests.Training;

/// <summary>The balanced sampler: what it draws, and what it does for the rare classes.</summary>
public class BalancedSamplingTests
{
    // 9:1 data: many squares and discs, few bars and crosses (randomly coloured, so only the shape tells them apart).
    private static List<ShapeExample> NineToOne(int count, int seed) =>
        Shapes.Generate(count, seed, randomColours: true).Where((e, i) => e.Label is "square" or "disc" || i % 9 == 0).ToList();

    private static InMemoryBatchSource Source(MLContext ml, List<ShapeExample> examples)
    {
        var view = ml.Transforms.Conversion.MapValueToKey("Label").Fit(Pipelines.VectorsView(ml, examples)).Transform(Pipelines.VectorsView(ml, examples));
        var preprocessing = new CnnPreprocessing(CnnInputKind.Vector,
            new PixelNormalization(3, Shapes.Size, Shapes.Size, 1f / 255, [0f, 0f, 0f], [1f, 1f, 1f]), (3, Shapes.Size, Shapes.Size));
        return InMemoryBatchSource.TryRead(view, view.Schema["Pixels"], view.Schema["Label"], preprocessing, false, 1L << 30, CancellationToken.None)!;
    }

    private static long[] DrawnPerClass(InMemoryBatchSource source, Generator generator, int epochs)
    {
        var counts = new long[source.Classes.Count];
        for (var epoch = 0; epoch < epochs; epoch++)
            foreach (var batch in source.Batches(16, generator))
                using (batch)
                    foreach (var label in batch.Labels.data<long>())
                        counts[label]++;
        return counts;
    }

    [Fact]
    public void BalancedSampling_DrawsEveryClassEquallyOften_KeepsTheEpochLength_AndRepeatsWithTheSeed()
    {
        var ml = new MLContext(seed: 1);
        using var source = Source(ml, NineToOne(400, seed: 40));
        using (var generator = new Generator(3))
        {
            var plain = DrawnPerClass(source, generator, epochs: 1);
            (plain.Max() / (double)plain.Min()).Should().BeGreaterThan(5, "the data is 9:1 and a plain epoch visits each row once");
        }

        source.BalancedSampling = true;
        using var first = new Generator(3);
        var balanced = DrawnPerClass(source, first, epochs: 20);
        balanced.Sum().Should().Be(20 * source.Count, "an epoch keeps its length");
        foreach (var count in balanced)
            (count / (double)balanced.Sum()).Should().BeApproximately(0.25, 0.03, "each of the 4 classes is drawn a quarter of the time");
        using var second = new Generator(3);
        DrawnPerClass(source, second, epochs: 20).Should().Equal(balanced, "the same seed draws the same rows");
    }

    [Fact]
    public void BalancedSampling_RaisesTheMinorityClassesRecall_OnNineToOneData()
    {
        double MinorityRecall(bool balance)
        {
            var ml = new MLContext(seed: 1);
            var view = Pipelines.ImagesView(ml, NineToOne(400, seed: 19));
            var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(Pipelines.ImagesView(ml, Shapes.Generate(8, seed: 20)));
            var options = Pipelines.FastOptions(epochs: 2, seed: 4);
            options = options with { Regularization = options.Regularization with { BalancedSampling = balance } };
            using var trained = ml.MulticlassClassification.Trainers.Cnn(options).Fit(keys.Transform(view));
            var test = keys.Transform(Pipelines.ImagesView(ml, Shapes.Generate(200, seed: 21, randomColours: true)));
            var recall = ml.MulticlassClassification.Evaluate(trained.Transform(test)).ConfusionMatrix.PerClassRecall;
            var classes = trained.LabelValues.ToList();
            return (recall[classes.IndexOf("bar")] + recall[classes.IndexOf("cross")]) / 2;
        }

        MinorityRecall(balance: true).Should().BeGreaterThan(MinorityRecall(balance: false));
    }

    [Fact]
    public void BalancedSampling_WithLossWeights_IsRefusedBeforeTraining()
    {
        var options = Pipelines.FastOptions();
        options = options with { Regularization = options.Regularization with { BalancedSampling = true, BalanceClasses = true } };
        FluentActions.Invoking(options.Validate).Should().Throw<ArgumentException>()
            .WithMessage("*one of Regularization.ClassWeights, BalanceClasses*BalancedSampling*");
    }
}
