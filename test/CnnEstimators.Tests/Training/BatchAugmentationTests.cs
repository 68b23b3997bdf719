using FluentAssertions;
using MLNetCnn.Training;
using static TorchSharp.torch;

namespace MLNetCnn.Tests.Training;

public class BatchAugmentationTests
{
    [Fact]
    public void PaddedCrop_KeepsShape_AndEachImageIsTheZeroPaddedImageCutAtOneOffset()
    {
        using var scope = NewDisposeScope();
        const int padding = 2;
        var batch = arange(16 * 3 * 8 * 8, dtype: ScalarType.Float32).reshape(16, 3, 8, 8) + 1;
        using var generator = new Generator(3);

        var augmented = new BatchAugmentation(new CnnTrainerOptions

        {
            Augmentation = new() { RandomCropPadding = padding },
        }).Apply(batch, generator);

        augmented.shape.Should().Equal(16, 3, 8, 8);
        var padded = nn.functional.pad(batch, [padding, padding, padding, padding]);
        var offsetsSeen = new HashSet<(long, long)>();
        for (var i = 0; i < 16; i++)
        {
            var offsets = (from dy in Enumerable.Range(0, 2 * padding + 1)
                           from dx in Enumerable.Range(0, 2 * padding + 1)
                           where padded[i].narrow(1, dy, 8).narrow(2, dx, 8).eq(augmented[i]).all().item<bool>()
                           select ((long)dy, (long)dx)).ToList();
            offsets.Should().ContainSingle($"image {i} must be its own padded copy cut at one offset, the same for every channel");
            offsetsSeen.Add(offsets[0]);
        }
        offsetsSeen.Count.Should().BeGreaterThan(1, "each image draws its own offset");
    }

    [Fact]
    public void HorizontalFlip_MirrorsSomeImagesAndLeavesTheOthers()
    {
        using var scope = NewDisposeScope();
        var batch = rand(64, 1, 4, 4);
        using var generator = new Generator(5);

        var augmented = new BatchAugmentation(new CnnTrainerOptions

        {
            Augmentation = new() { HorizontalFlip = true },
        }).Apply(batch, generator);

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

        var augmented = new BatchAugmentation(new CnnTrainerOptions

        {
            Augmentation = new() { RandomResizedCrop = true },
        }).Apply(batch, generator);

        augmented.shape.Should().Equal(4, 3, 32, 32);
        Same(augmented, batch).Should().BeFalse();
    }

    private static bool Same(Tensor a, Tensor b) => a.eq(b).all().item<bool>();
}
