namespace MLNetCnn.Zoo;

/// <summary>
/// The variant of a VGG that <see cref="CnnZoo.Create"/> builds: a width multiplier of the convolutions' channels, the units of
/// the two hidden fully connected layers and their dropout. The registry's <c>vgg16</c> is width 1, 4,096 units, dropout 0.5;
/// the configuration (depth) and batch norm come with the name.
/// </summary>
public sealed record VggArguments
{
    /// <summary>Multiplies every convolution's channels (64 to 512 at 1). Range: (0, 16].</summary>
    public double WidthMultiplier { get; init; } = 1;

    /// <summary>Units of fc6 and fc7. Range: 1 to 65,536.</summary>
    public int HiddenUnits { get; init; } = 4096;

    /// <summary>Dropout before fc7 and fc8. Range: [0, 1).</summary>
    public double Dropout { get; init; } = 0.5;

    /// <summary>What is wrong with these arguments, all at once; empty when they build.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (MLNetCnn.Zoo.WidthMultiplier.Problem(WidthMultiplier) is string width)
            problems.Add(width);
        if (HiddenUnits is < 1 or > 65_536)
            problems.Add($"HiddenUnits must be 1 to 65,536; got {HiddenUnits}");
        if (Dropout is < 0 or >= 1 || double.IsNaN(Dropout))
            problems.Add($"Dropout must be in [0, 1); got {Dropout}");
        return problems;
    }
}
