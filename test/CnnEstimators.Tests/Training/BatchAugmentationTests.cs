using FluentAssertions;
using MLNetCnn.Training;
using static TorchSharp.torch;

namespace MLNetCnn.Tests.Training;

public class BatchAugmentationTests
{
    [Fact]
    public void PaddedCrop_KeepsShape_AndEachImageIsAShiftedCopy()
    {
        using var scope = NewDisposeScope();
        var batch = arange(2 * 3 * 8 * 8, dtype: ScalarType.Float32).reshape(2, 3, 8, 8) + 1;
        using var generator = new Generator(3);

        var augmented = new BatchAugmentation(new CnnTrainerOptions { RandomCropPadding = 2 }).Apply(batch, generator);

        augmented.shape.Should().Equal(2, 3, 8, 8);
        for (var i = 0; i < 2; i++)
        {
            // Every non-padding value comes from the same image, in order: the crop is a translation.
            var values = augmented[i].flatten();
            var kept = values.masked_select(values.gt(0));
            kept.numel().Should().BeGreaterThanOrEqualTo(3 * 6 * 6);
            var original = batch[i].flatten();
            isin(kept, original).all().item<bool>().Should().BeTrue();
        }
    }

    [Fact]
    public void HorizontalFlip_MirrorsSomeImagesAndLeavesTheOthers()
    {
        using var scope = NewDisposeScope();
        var batch = rand(64, 1, 4, 4);
        using var generator = new Generator(5);

        var augmented = new BatchAugmentation(new CnnTrainerOptions { HorizontalFlip = true }).Apply(batch, generator);

        var flipped = 0;
        for (var i = 0; i < 64; i++)
        {
            var same = Same(augmented[i], batch[i]);
            var mirrored = Same(augmented[i], batch[i].flip(2));
            (same || mirrored).Should().BeTrue();
            if (mirrored) flipped++;
        }
        flipped.Should().BeInRange(16, 48);
    }

    [Fact]
    public void RandomResizedCrop_KeepsShape_AndChangesTheImages()
    {
        using var scope = NewDisposeScope();
        var batch = rand(4, 3, 32, 32);
        using var generator = new Generator(7);

        var augmented = new BatchAugmentation(new CnnTrainerOptions { RandomResizedCrop = true }).Apply(batch, generator);

        augmented.shape.Should().Equal(4, 3, 32, 32);
        Same(augmented, batch).Should().BeFalse();
    }

    private static bool Same(Tensor a, Tensor b) => a.eq(b).all().item<bool>();
}
