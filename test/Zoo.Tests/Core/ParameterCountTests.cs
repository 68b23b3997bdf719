using FluentAssertions;

namespace MLNetCnn.Zoo.Tests.Core;

/// <summary>Parameter counts at full size against the published numbers (torchvision's model docs, He et al. 2015 for CIFAR nets).</summary>
public class ParameterCountTests
{
    public static TheoryData<string, int, long> Published => new()
    {
        { "alexnet", 1000, 61_100_840 },
        { "alexnet_2012", 1000, 60_965_224 },
        { "vgg11", 1000, 132_863_336 },
        { "vgg13", 1000, 133_047_848 },
        { "vgg16", 1000, 138_357_544 },
        { "vgg19", 1000, 143_667_240 },
        { "vgg16_bn", 1000, 138_365_992 },
        { "googlenet", 1000, 6_624_904 },
        { "googlenet_aux", 1000, 13_004_888 },
        { "resnet18", 1000, 11_689_512 },
        { "resnet34", 1000, 21_797_672 },
        { "resnet50", 1000, 25_557_032 },
        { "resnet101", 1000, 44_549_160 },
        { "resnet152", 1000, 60_192_808 },
        { "resnet20", 10, 269_722 },
        { "resnet32", 10, 464_154 },
        { "resnet44", 10, 658_586 },
        { "resnet56", 10, 853_018 },
        { "resnet110", 10, 1_727_962 },
        { "plain20", 10, 269_722 },
        { "plain56", 10, 853_018 },
        { "plain110", 10, 1_727_962 },
    };

    [Theory]
    [MemberData(nameof(Published))]
    public void Create_FullSize_HasPublishedParameterCount(string name, int numClasses, long expected)
    {
        using var model = CnnZoo.Create(name, numClasses);
        model.parameters().Sum(p => p.numel()).Should().Be(expected);
    }

    [Fact]
    public void ResNet152_CountsTheLecturesLayers_152WeightLayers()
    {
        using var model = CnnZoo.Create("resnet152");
        var summary = CnnZoo.Summarize(model, 3, 64, 64);
        // Weight layers on the main path: every convolution except the 1x1 projection shortcuts, plus fc.
        summary.Layers.Count(l => (l.Kind == "Conv2d" && !l.Name.Contains("downsample")) || l.Kind == "Linear").Should().Be(152);
    }
}
