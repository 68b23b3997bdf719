using FluentAssertions;
using TorchSharp.Modules;
using static TorchSharp.torch.nn;

namespace MLNetCnn.Zoo.Tests.Analysis;

/// <summary>The CS231n lecture's numbers, computed by <see cref="CnnZoo.Summarize"/> from the modules themselves.</summary>
public class LectureNumbersTests
{
    [Fact]
    public void AlexNet2012_Conv1_Is55x55x96With35KParameters()
    {
        using var model = CnnZoo.Create("alexnet_2012");
        var summary = CnnZoo.Summarize(model, 3, 227, 227);

        var conv1 = summary["features.0"];
        conv1.OutputShape.Should().Equal(96, 55, 55);
        conv1.Parameters.Should().Be(34_944, "(11*11*3)*96 = 34,848 weights, the lecture's 35K, plus 96 biases");
        conv1.ReceptiveField.Should().Be(11);
        var pool1 = summary["features.3"];
        pool1.Kind.Should().Be("MaxPool2d");
        pool1.OutputShape.Should().Equal(96, 27, 27);
        pool1.Parameters.Should().Be(0);
        summary.TotalParameters.Should().Be(60_965_224);
        summary.Layers.Count(l => l.Kind == "LocalResponseNorm").Should().Be(2);
    }

    [Fact]
    public void Vgg16_At224_HasTheLecturesActivationsParametersAndMacs()
    {
        using var model = CnnZoo.Create("vgg16");
        var summary = CnnZoo.Summarize(model, 3, 224, 224);

        // The lecture's VGG16 memory table: CONV3-64 224x224x64 = 3.2M twice, POOL 112x112x64 = 800K, ...
        long[] expected =
        [
            3_211_264, 3_211_264, 802_816,
            1_605_632, 1_605_632, 401_408,
            802_816, 802_816, 802_816, 200_704,
            401_408, 401_408, 401_408, 100_352,
            100_352, 100_352, 100_352, 25_088,
            4_096, 4_096, 1_000,
        ];
        summary.Layers.Where(l => l.Kind is "Conv2d" or "MaxPool2d" or "Linear").Select(l => l.Activations).Should().Equal(expected);
        summary.TotalParameters.Should().Be(138_357_544);
        ((double)summary.TotalMacs).Should().BeApproximately(15.47e9, 0.01e9);
        summary.Layers.Where(l => l.Kind == "Conv2d").Should().OnlyContain(l => l.Name.StartsWith("features."));
    }

    [Fact]
    public void ThreeStacked3x3Convs_SeeA7x7Field_WithFewerParametersThanOne7x7()
    {
        const int c = 64;
        using var stack = Sequential(
            ("0", Conv2d(c, c, 3, padding: 1, bias: false)),
            ("1", Conv2d(c, c, 3, padding: 1, bias: false)),
            ("2", Conv2d(c, c, 3, padding: 1, bias: false)));
        using var single = Sequential(("0", Conv2d(c, c, 7, padding: 3, bias: false)));

        var stacked = CnnZoo.Summarize(stack, c, 28, 28);
        var large = CnnZoo.Summarize(single, c, 28, 28);

        stacked.Layers.Select(l => l.ReceptiveField).Should().Equal(3L, 5L, 7L);
        large.Layers.Single().ReceptiveField.Should().Be(7);
        stacked.TotalParameters.Should().Be(3 * 9 * c * c, "3 x (9 C^2) = 27 C^2");
        large.TotalParameters.Should().Be(49 * c * c);
    }

    [Fact]
    public void InceptionModule_256x28x28_NaiveCosts854MMacs_BottleneckCosts271M()
    {
        using var naive = InceptionModule.Naive(256, ch1x1: 128, ch3x3: 192, ch5x5: 96);
        using var bottleneck = InceptionModule.Bottleneck(256, ch1x1: 128, ch3x3Reduce: 64, ch3x3: 192, ch5x5Reduce: 64, ch5x5: 96, poolProjection: 64);

        var naiveSummary = CnnZoo.Summarize(naive, 256, 28, 28);
        var bottleneckSummary = CnnZoo.Summarize(bottleneck, 256, 28, 28);

        naiveSummary.TotalMacs.Should().Be(854_196_224);
        naive.OutChannels.Should().Be(128 + 192 + 96 + 256, "the pool branch keeps all 256 input channels");
        // The lecture prints 358M, but the sum of its own terms is 271,351,808 (see README).
        bottleneckSummary.TotalMacs.Should().Be(271_351_808);
        bottleneck.OutChannels.Should().Be(480);
    }

    [Theory]
    [InlineData("alexnet", 0.714e9)]
    [InlineData("resnet18", 1.814e9)]
    [InlineData("resnet50", 4.089e9)]
    [InlineData("googlenet", 1.498e9)]
    public void TotalMacs_At224_MatchTorchvisionsPublishedCounts(string name, double expected)
    {
        using var model = CnnZoo.Create(name);
        var summary = CnnZoo.Summarize(model, 3, 224, 224);
        ((double)summary.TotalMacs).Should().BeApproximately(expected, expected * 0.01);
    }

    [Fact]
    public void Summarize_ResNet_ReceptiveFieldGrowsThroughResidualAdds()
    {
        using var model = CnnZoo.Create("resnet18");
        var summary = CnnZoo.Summarize(model, 3, 224, 224);

        summary["conv1"].ReceptiveField.Should().Be(7);
        summary["maxpool"].ReceptiveField.Should().Be(11);
        summary["layer1.0.conv1"].ReceptiveField.Should().Be(19);
        // The second block reads the first block's sum F(x) + x, whose field is the residual branch's.
        summary["layer1.1.conv1"].ReceptiveField.Should().Be(35);
        summary["fc"].ReceptiveField.Should().BeNull();
    }

    [Fact]
    public void ToString_PrintsOneRowPerLayerAndTotals()
    {
        using var model = CnnZoo.Create("resnet20", numClasses: 10);
        var summary = CnnZoo.Summarize(model, 3, 32, 32);

        var text = summary.ToString();

        text.Should().Contain("layer3.2.conv2").And.Contain("269,722 parameters");
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(summary.Layers.Count + 2);
    }

    [Fact]
    public void Indexer_UnknownLayer_ListsLayers()
    {
        using var model = CnnZoo.Create("resnet20", numClasses: 10);
        var summary = CnnZoo.Summarize(model, 3, 32, 32);

        var act = () => summary["nope"];

        act.Should().Throw<KeyNotFoundException>().WithMessage("*'nope'*conv1*");
    }
}
