using FluentAssertions;
using MLNetCnn.Zoo.Tests.Support;
using static TorchSharp.torch;

namespace MLNetCnn.Zoo.Tests.Core;

/// <summary>Contract tests over every registered architecture, at small input sizes.</summary>
public class RegistryContractTests
{
    public static TheoryData<string> AllNames => new(CnnZoo.Names);

    private static int SmallSize(CnnModel model) => model.FixedImageSize ?? Math.Max(model.MinImageSize, 32);

    [Theory]
    [MemberData(nameof(AllNames))]
    public void Forward_SmallBatch_GivesFiniteLogitsOfClassCount(string name)
    {
        // Grey input for all but the imported ML.NET ResNet-18, whose BGR swap and mean image take colour only.
        var channels = name == DnnFeaturizerResNet18.RegistryName ? 3 : 1;
        using var model = CnnZoo.Create(name, numClasses: 7, inChannels: channels);
        model.eval();
        var size = SmallSize(model);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(1);
        var logits = model.call(randn(2, channels, size, size));
        logits.shape.Should().Equal(2, 7);
        isfinite(logits).all().item<bool>().Should().BeTrue();
        model.Architecture.Should().Be(name);
    }

    [Theory]
    [MemberData(nameof(AllNames))]
    public void ForwardHeadOfForwardFeatures_EqualsForward(string name)
    {
        using var model = CnnZoo.Create(name, numClasses: 5);
        model.eval();
        var size = SmallSize(model);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(2, 3, size, size);
        var features = model.ForwardFeatures(x);
        features.shape.Should().Equal(2, model.NumFeatures);
        TorchAssert.Close(model.ForwardHead(features), model.call(x), 1e-6);
    }

    [Theory]
    [MemberData(nameof(AllNames))]
    public void ResetClassifier_NewClassCount_KeepsFeaturesAndChangesHead(string name)
    {
        using var model = CnnZoo.Create(name, numClasses: 5);
        model.eval();
        var size = SmallSize(model);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(1, 3, size, size);
        var before = model.ForwardFeatures(x);
        var keysBefore = model.state_dict().Keys.ToList();

        model.ResetClassifier(3);

        model.NumClasses.Should().Be(3);
        model.call(x).shape.Should().Equal(1, 3);
        TorchAssert.Close(model.ForwardFeatures(x), before, 1e-6);
        model.state_dict().Keys.Should().Equal(keysBefore, "state_dict keys keep their torchvision names");
    }
}
