namespace MLNetCnn.Zoo;

/// <summary>
/// The variant of an ImageNet ResNet that <see cref="CnnZoo.Create"/> builds: the blocks of each of the four stages and a width
/// multiplier of every stage's channels (the stem's too). The registry's <c>resnet18</c> is blocks [2, 2, 2, 2] at width 1;
/// the block type (basic or bottleneck) comes with the name. The arguments are part of the model's identity: checkpoints and
/// ONNX metadata record them and a reload rebuilds the same variant.
/// </summary>
public sealed record ResNetArguments
{
    /// <summary>Residual blocks in each of the four stages, each at least 1.</summary>
    public required IReadOnlyList<int> Blocks { get; init; }

    /// <summary>Multiplies the channels of the stem and every stage (64, 128, 256, 512 at 1). Range: (0, 16].</summary>
    public double WidthMultiplier { get; init; } = 1;

    /// <summary>What is wrong with these arguments, all at once; empty when they build.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Blocks is null || Blocks.Count != 4 || Blocks.Any(b => b is < 1 or > 64))
            problems.Add($"Blocks must give 4 stages of 1 to 64 blocks each; got [{string.Join(", ", Blocks ?? [])}]");
        if (MLNetCnn.Zoo.WidthMultiplier.Problem(WidthMultiplier) is string width)
            problems.Add(width);
        return problems;
    }

    /// <inheritdoc />
    public bool Equals(ResNetArguments? other) => other is not null && Blocks.SequenceEqual(other.Blocks) && WidthMultiplier == other.WidthMultiplier;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Blocks.Count, Blocks.Sum(), WidthMultiplier);
}

/// <summary>
/// The variant of a CIFAR ResNet or plain net that <see cref="CnnZoo.Create"/> builds: blocks per stage <c>n</c> (depth 6n + 2)
/// and a width multiplier of the three stages' 16, 32 and 64 channels. The registry's <c>resnet20</c> is n = 3 at width 1.
/// </summary>
public sealed record CifarResNetArguments
{
    /// <summary>Blocks in each of the three stages (the depth is 6n + 2). Range: 1 to 64.</summary>
    public required int BlocksPerStage { get; init; }

    /// <summary>Multiplies the channels of the stem and every stage (16, 32, 64 at 1). Range: (0, 16].</summary>
    public double WidthMultiplier { get; init; } = 1;

    /// <summary>Weight layers: 6 x <see cref="BlocksPerStage"/> + 2.</summary>
    public int Depth => 6 * BlocksPerStage + 2;

    /// <summary>What is wrong with these arguments, all at once; empty when they build.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (BlocksPerStage is < 1 or > 64)
            problems.Add($"BlocksPerStage must be 1 to 64; got {BlocksPerStage}");
        if (MLNetCnn.Zoo.WidthMultiplier.Problem(WidthMultiplier) is string width)
            problems.Add(width);
        return problems;
    }
}
