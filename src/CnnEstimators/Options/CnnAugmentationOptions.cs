namespace MLNetCnn;

/// <summary>Augmentation of each training batch, on the device: crops, flips, warps, colour, erasing. All off by default.</summary>
public sealed record CnnAugmentationOptions
{
    /// <summary>Pad by this many pixels and crop back at a random offset (CIFAR-style); 0 turns it off.</summary>
    public int RandomCropPadding { get; init; }

    /// <summary>Mirror half the images left to right.</summary>
    public bool HorizontalFlip { get; init; }

    /// <summary>Crop a random 8%-100% area with aspect 3/4-4/3 and resize it back (ImageNet-style, for large images).</summary>
    public bool RandomResizedCrop { get; init; }

    /// <summary>Colour jitter: each image's brightness, contrast and saturation scaled by a factor drawn from [1 - s, 1 + s] (0: off).</summary>
    public (double Brightness, double Contrast, double Saturation) ColorJitter { get; init; }

    /// <summary>
    /// Random affine transform per image, as torchvision's RandomAffine: rotation by up to ±<c>Degrees</c>, a shift by up to ±<c>Translate</c>
    /// of the width and height, a zoom from [1 - <c>Scale</c>, 1 + <c>Scale</c>]; uncovered pixels are black (all 0: off).
    /// </summary>
    public (double Degrees, double Translate, double Scale) RandomAffine { get; init; }

    /// <summary>
    /// TrivialAugmentWide, as torchvision defines it: one of 14 operations per image (shears, shifts, rotation, brightness, colour, contrast,
    /// sharpness, posterize, solarize, autocontrast, equalize, identity) at one of 31 strengths, both drawn at random. No settings to tune.
    /// </summary>
    public bool TrivialAugment { get; init; }

    /// <summary>Probability of erasing a random box (2%-33% of the image, aspect 0.3-3.3) to the image's mean colour, as torchvision's RandomErasing.</summary>
    public double RandomErasingProbability { get; init; }

    internal bool Warps => RandomAffine.Degrees > 0 || RandomAffine.Translate > 0 || RandomAffine.Scale > 0;

    internal bool Jitters => ColorJitter.Brightness > 0 || ColorJitter.Contrast > 0 || ColorJitter.Saturation > 0;

    /// <summary>Whether any augmentation is on.</summary>
    internal bool IsActive => RandomCropPadding > 0 || HorizontalFlip || RandomResizedCrop || Warps || TrivialAugment || Jitters || RandomErasingProbability > 0;

    internal IEnumerable<string> Problems()
    {
        if (RandomCropPadding < 0)
            yield return $"Augmentation.RandomCropPadding must be 0 or more; got {RandomCropPadding}.";
        var (brightness, contrast, saturation) = ColorJitter;
        if (!(brightness >= 0 && contrast >= 0 && saturation >= 0))
            yield return $"Augmentation.ColorJitter strengths must be 0 or more; got {ColorJitter}.";
        if (!(brightness <= 1 && contrast <= 1 && saturation <= 1))
            yield return $"Augmentation.ColorJitter strengths must be at most 1 (a factor below 0 would invert the image); got {ColorJitter}.";
        if (!(RandomAffine.Degrees is >= 0 and <= 180 && RandomAffine.Translate is >= 0 and <= 1 && RandomAffine.Scale is >= 0 and < 1))
            yield return $"Augmentation.RandomAffine needs Degrees in [0, 180], Translate in [0, 1] (a share of the size) and Scale in [0, 1); got {RandomAffine}.";
        if (RandomErasingProbability is not (>= 0 and <= 1))
            yield return $"Augmentation.RandomErasingProbability must be in [0, 1]; got {RandomErasingProbability}.";
    }
}
