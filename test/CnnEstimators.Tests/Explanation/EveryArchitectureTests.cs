using FluentAssertions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Persistence;
using MLNetCnn.Scoring;
using MLNetCnn.Tests.Support;
using MLNetCnn.Zoo;

namespace MLNetCnn.Tests.Explanation;

/// <summary>Grad-CAM runs on every family of the zoo, at its last convolutional stage by default.</summary>
public class EveryArchitectureTests
{
    public static TheoryData<string, string> Architectures => new()
    {
        { "alexnet", "features.11" },
        { "vgg11", "features.19" },
        { "vgg11_bn", "features.27" },
        { "googlenet", "inception5b" },
        { "resnet18", "layer4" },
        { "resnet50", "layer4" },
        { "resnet20", "layer3" },
        { "plain20", "layer3" },
    };

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Explain_WeighsTheLastConvolutionalStage_AndGivesAHeatmapInUnitRange(string architecture, string lastStage)
    {
        const int size = 64;
        using var network = CnnZoo.Create(architecture, numClasses: 3);
        using var classifier = new CnnClassifierTransformer(new ClassifierCheckpoint.Contents(network, CnnPreprocessing.ForImages(network, size), "Image",
            ClassifierOutputs.ForLabelValues("Score", "PredictedLabel", ["a", "b", "c"]), 4, false, []), CnnInferenceEngine.Auto);
        var random = new Random(architecture.Length);
        var pixels = new byte[4 * size * size];
        random.NextBytes(pixels);
        using var image = MLImage.CreateFromPixels(size, size, MLPixelFormat.Rgba32, pixels);

        var explanation = classifier.Explain(image, label: "b");

        explanation.Layer.Should().Be(lastStage);
        explanation.Heatmap.Should().HaveCount(size * size).And.OnlyContain(h => float.IsFinite(h) && h >= 0 && h <= 1);
        explanation.Label.Should().Be("b");
    }
}
