using FluentAssertions;
using MLNetCnn.Training;
using static TorchSharp.torch;
using Operation = MLNetCnn.Training.TrivialAugmentWide.Operation;

namespace MLNetCnn.Tests.Training;

/// <summary>RandomAffine and TrivialAugmentWide on batch tensors: properties that fail if a transform is wrong.</summary>
public class GeometricAugmentationTests
{
    private static bool Same(Tensor a, Tensor b) => a.eq(b).all().item<bool>();

    private static double[] Fill(int n, double value) => Enumerable.Repeat(value, n).ToArray();

    [Fact]
    public void AffineWarp_OfNoChange_IsTheIdentity_AQuarterTurnIsRot90_AndAShiftMovesPixels()
    {
        using var scope = NewDisposeScope();
        var batch = rand(2, 3, 8, 8);
        var none = AffineWarp.Apply(batch, Fill(2, 0), Fill(2, 0), Fill(2, 0), Fill(2, 1), Fill(2, 0), Fill(2, 0));
        var quarter = AffineWarp.Apply(batch, Fill(2, 90), Fill(2, 0), Fill(2, 0), Fill(2, 1), Fill(2, 0), Fill(2, 0));
        var shifted = AffineWarp.Apply(batch, Fill(2, 0), Fill(2, 2), Fill(2, 1), Fill(2, 1), Fill(2, 0), Fill(2, 0));

        none.allclose(batch, atol: 1e-5).Should().BeTrue();
        // Counter-clockwise on screen: the top row becomes the left column, read bottom to top.
        quarter.allclose(batch.rot90(1, (2, 3)), atol: 1e-5).Should().BeTrue();
        shifted[.., .., 1.., 2..].allclose(batch[.., .., ..^1, ..^2], atol: 1e-5).Should().BeTrue("2 pixels right, 1 down");
        shifted[.., .., 0, ..].abs().max().item<float>().Should().Be(0, "pixels from outside the image are black");
    }

    [Fact]
    public void RandomAffine_KeepsShapeAndRange_RepeatsWithTheSeed_AndOfZeroStrengthIsTheIdentity()
    {
        using var scope = NewDisposeScope();
        var batch = rand(8, 3, 16, 16);
        Tensor Run((double, double, double) strength, int seed)
        {
            using var generator = new Generator((ulong)seed);
            return BatchAugmentation.RandomAffine(batch, strength, generator);
        }

        var warped = Run((30, 0.1, 0.2), 1);

        warped.shape.Should().Equal(8, 3, 16, 16);
        warped.min().item<float>().Should().BeGreaterThanOrEqualTo(0);
        warped.max().item<float>().Should().BeLessThanOrEqualTo(1);
        Same(warped, Run((30, 0.1, 0.2), 1)).Should().BeTrue();
        warped.allclose(batch, atol: 1e-3).Should().BeFalse();
        Run((0, 0, 0), 2).allclose(batch, atol: 1e-5).Should().BeTrue();
    }

    [Theory]
    [InlineData(nameof(Operation.ShearX))]
    [InlineData(nameof(Operation.ShearY))]
    [InlineData(nameof(Operation.TranslateX))]
    [InlineData(nameof(Operation.TranslateY))]
    [InlineData(nameof(Operation.Rotate))]
    [InlineData(nameof(Operation.Brightness))]
    [InlineData(nameof(Operation.Color))]
    [InlineData(nameof(Operation.Contrast))]
    [InlineData(nameof(Operation.Sharpness))]
    public void TrivialAugment_SymmetricOperations_AtStepZeroAreTheIdentity_AndAtOtherStepsChangeTheImage_KeepingShapeAndRange(string name)
    {
        var operation = Enum.Parse<Operation>(name);
        using var scope = NewDisposeScope();
        var batch = rand(4, 3, 12, 12);
        Tensor At(int step, double sign) => TrivialAugmentWide.Apply(batch, [.. Enumerable.Repeat(operation, 4)], Enumerable.Repeat(step, 4).ToArray(), Fill(4, sign));

        At(0, 1).allclose(batch, atol: 1e-5).Should().BeTrue();
        foreach (var changed in new[] { At(20, 1), At(20, -1) })
        {
            changed.shape.Should().Equal(4, 3, 12, 12);
            changed.allclose(batch, atol: 1e-3).Should().BeFalse();
            changed.min().item<float>().Should().BeGreaterThanOrEqualTo(0);
            changed.max().item<float>().Should().BeLessThanOrEqualTo(1);
        }
    }

    [Fact]
    public void TrivialAugment_PosterizeSolarizeAutoContrastAndEqualize_DoWhatTheirNamesSay()
    {
        using var scope = NewDisposeScope();
        // 8-bit values in [0.4, 0.6]: a dull picture, large enough for equalising (PIL leaves a channel of fewer than 255 pixels outside its top level alone).
        var batch = ((rand(2, 3, 32, 32) * 0.2 + 0.4) * 255).round() / 255;
        Tensor Run(Operation op, int step) => TrivialAugmentWide.Apply(batch, [op, op], [step, step], Fill(2, 1));

        Run(Operation.Posterize, 0).allclose(batch, atol: 1e-6).Should().BeTrue("8 bits keep 8-bit values");
        var twoBits = Run(Operation.Posterize, 30) * 255;
        twoBits.remainder(64).abs().max().item<float>().Should().BeLessThan(1e-3f, "2 bits leave multiples of 64");
        Run(Operation.Solarize, 0).allclose(batch).Should().BeTrue("no value reaches the threshold 1");
        Run(Operation.Solarize, 30).allclose(1 - batch, atol: 1e-6).Should().BeTrue("threshold 0 inverts everything");
        var stretched = Run(Operation.AutoContrast, 0);
        stretched.amin([2, 3]).abs().max().item<float>().Should().BeLessThan(1e-6f);
        stretched.amax([2, 3]).min().item<float>().Should().BeGreaterThan(1 - 1e-6f);
        var equalized = Run(Operation.Equalize, 0);
        equalized.amax([2, 3]).min().item<float>().Should().BeGreaterThan(0.95f, "equalising spreads the values over the whole range");
        equalized.amin([2, 3]).max().item<float>().Should().BeLessThan(0.05f);
        // Order is kept: a brighter pixel stays at least as bright.
        var order = batch[0, 0].flatten().argsort();
        var sorted = equalized[0, 0].flatten()[order];
        (sorted[1..] - sorted[..^1]).min().item<float>().Should().BeGreaterThanOrEqualTo(0);
    }

    [Fact]
    public void TrivialAugment_DrawsOneOperationPerImage_RepeatsWithTheSeed_AndKeepsRange()
    {
        using var scope = NewDisposeScope();
        var batch = rand(64, 3, 16, 16);
        Tensor Run(ulong seed)
        {
            using var generator = new Generator(seed);
            return TrivialAugmentWide.Apply(batch, generator);
        }

        var augmented = Run(4);

        Same(augmented, Run(4)).Should().BeTrue();
        Same(augmented, Run(5)).Should().BeFalse();
        augmented.min().item<float>().Should().BeGreaterThanOrEqualTo(0);
        augmented.max().item<float>().Should().BeLessThanOrEqualTo(1);
        var unchanged = Enumerable.Range(0, 64).Count(i => augmented[i].allclose(batch[i], atol: 1e-6));
        unchanged.Should().BeInRange(1, 20, "identity is one of 14 operations and step 0 of the others changes nothing: about 6 of 64");
    }
}
