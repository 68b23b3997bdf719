using FluentAssertions;
using static TorchSharp.torch;

namespace MLNetCnn.Zoo.Tests.Core;

/// <summary>Tests that read libtorch's default generator run alone: any test beside them that builds a network draws from it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DefaultGeneratorReaders
{
    public const string Name = "Readers of the default generator";
}

/// <summary>
/// <see cref="CnnModel.InitialiseFrom"/>: the zoo's architectures draw their initial weights from a generator of the caller's,
/// as torchvision initialises them, without reading or moving libtorch's default generator.
/// </summary>
[Collection(DefaultGeneratorReaders.Name)]
public class InitialisationTests
{
    private static readonly (string Architecture, object? Arguments)[] Small =
    [
        ("resnet20", null),
        ("resnet18", new ResNetArguments { Blocks = [1, 1, 1, 1], WidthMultiplier = 0.25 }),
        ("vgg11_bn", new VggArguments { WidthMultiplier = 0.125, HiddenUnits = 32 }),
        ("googlenet", null),
        ("alexnet", null),
    ];

    private static Dictionary<string, float[]> Drawn(string architecture, object? arguments, ulong seed, long processSeed)
    {
        using var model = CnnZoo.Create(architecture, numClasses: 7, arguments: arguments);
        manual_seed(processSeed);
        using var generator = new Generator(seed);
        model.InitialiseFrom(generator).Should().BeTrue(architecture);
        return model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.Float32).data<float>().ToArray());
    }

    [Fact]
    public void TheSameGeneratorSeed_GivesTheSameWeights_WhateverTheDefaultGenerator_AndOtherSeedsOthers()
    {
        foreach (var (architecture, arguments) in Small)
        {
            var first = Drawn(architecture, arguments, seed: 3, processSeed: 1);
            var again = Drawn(architecture, arguments, seed: 3, processSeed: 2);
            var other = Drawn(architecture, arguments, seed: 4, processSeed: 1);
            foreach (var (key, values) in first)
                again[key].Should().Equal(values, $"{architecture} {key} comes from the generator alone");
            var weight = first.Keys.First(k => k.EndsWith(".weight", StringComparison.Ordinal) && first[k].Distinct().Count() > 2);
            other[weight].Should().NotEqual(first[weight], $"{architecture}: another seed draws other weights");
        }
    }

    [Fact]
    public void InitialiseFrom_NeitherReadsNorMovesTheDefaultGenerator()
    {
        using var model = CnnZoo.Create("resnet20", numClasses: 10);
        manual_seed(21);
        using var expected = rand(8);
        manual_seed(21);
        using var generator = new Generator(5);
        model.InitialiseFrom(generator);
        using var after = rand(8);

        after.eq(expected).all().item<bool>().Should().BeTrue("the default generator is where it was");
    }

    [Fact]
    public void TheDrawnWeights_HaveTorchvisionsDistributions()
    {
        using var resnet = CnnZoo.Create("resnet18", numClasses: 1000);
        using var generator = new Generator(8);
        resnet.InitialiseFrom(generator);
        var state = resnet.state_dict();

        // He normal, fan-out: layer4.0.conv1 is 512 x 256 x 3 x 3, std sqrt(2 / (512 * 9)).
        state["layer4.0.conv1.weight"].std().item<float>().Should().BeApproximately((float)Math.Sqrt(2.0 / (512 * 9)), 0.0005f);
        state["layer4.0.conv1.weight"].mean().item<float>().Should().BeApproximately(0, 0.0005f);
        // PyTorch's linear default: uniform in +-1/sqrt(fan_in), fan_in 512; its std is that bound over sqrt(3).
        var bound = 1 / Math.Sqrt(512);
        state["fc.weight"].abs().max().item<float>().Should().BeLessThanOrEqualTo((float)bound);
        state["fc.weight"].std().item<float>().Should().BeApproximately((float)(bound / Math.Sqrt(3)), 0.0005f);
        state["fc.bias"].abs().max().item<float>().Should().BeLessThanOrEqualTo((float)bound);
        state["bn1.weight"].eq(1).all().item<bool>().Should().BeTrue();
        state["bn1.bias"].eq(0).all().item<bool>().Should().BeTrue();

        using var vgg = CnnZoo.Create("vgg11", numClasses: 10, arguments: new VggArguments { WidthMultiplier = 0.25, HiddenUnits = 512 });
        vgg.InitialiseFrom(generator);
        vgg.state_dict()["classifier.3.weight"].std().item<float>().Should().BeApproximately(0.01f, 0.0005f, "torchvision's VGG draws linear layers from N(0, 0.01)");
        vgg.state_dict()["classifier.3.bias"].eq(0).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void ResetClassifier_WithAGenerator_DrawsTheNewHeadFromIt()
    {
        using var model = CnnZoo.Create("resnet20", numClasses: 10);
        float[] Head(ulong seed)
        {
            using var generator = new Generator(seed);
            model.ResetClassifier(4, generator);
            return model.state_dict()["fc.weight"].data<float>().ToArray();
        }

        var first = Head(9);
        manual_seed(77);
        Head(9).Should().Equal(first);
        Head(10).Should().NotEqual(first);
        first.Max(Math.Abs).Should().BeLessThanOrEqualTo((float)(1 / Math.Sqrt(64)), "PyTorch's linear default for 64 features");
    }
}
