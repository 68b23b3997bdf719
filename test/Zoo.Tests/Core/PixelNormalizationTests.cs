using FluentAssertions;

namespace MLNetCnn.Zoo.Tests.Core;

/// <summary>The one normalisation record that training, TorchSharp scoring and ONNX export read.</summary>
public class PixelNormalizationTests
{
    [Fact]
    public void Validated_ListsEveryProblemAtOnce()
    {
        var bad = new PixelNormalization(3, 0, 224, float.NaN, [0.5f, 0.5f], [1f, 0f, 1f]);

        bad.Problems().Should().HaveCount(4);
        FluentActions.Invoking(() => bad.Validated()).Should().Throw<ArgumentException>()
            .WithMessage("*input size*3x0x224*pixel scale*NaN*mean needs one finite value per channel (3)*std needs one finite positive value*");
    }

    [Fact]
    public void Presets_AreUsable_AndImageNetIsTorchvisions()
    {
        PixelNormalization.UnitScale(1, 28, 28).Problems().Should().BeEmpty();
        var imageNet = PixelNormalization.ImageNet();

        imageNet.Problems().Should().BeEmpty();
        (imageNet.Channels, imageNet.Height, imageNet.Width, imageNet.Scale).Should().Be((3, 224, 224, 1f / 255f));
        imageNet.Mean.Should().Equal(0.485f, 0.456f, 0.406f);
        imageNet.Std.Should().Equal(0.229f, 0.224f, 0.225f);
    }

    [Fact]
    public void CreatedModels_CarryNoNormalization()
    {
        using var fresh = CnnZoo.Create("resnet20", numClasses: 4);

        fresh.DefaultNormalization.Should().BeNull("freshly initialised weights were trained with nothing");
    }
}
