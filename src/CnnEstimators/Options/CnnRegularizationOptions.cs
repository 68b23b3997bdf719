namespace MLNetCnn;

/// <summary>What keeps the network from fitting the training rows too closely or too unevenly: label smoothing, mixing, weight averaging, class balance.</summary>
public sealed record CnnRegularizationOptions
{
    /// <summary>Label smoothing of the cross-entropy loss. Range: [0, 1).</summary>
    public double LabelSmoothing { get; init; }

    /// <summary>MixUp: blend each batch with a shuffled copy of itself, weight drawn from Beta(alpha, alpha), targets blended alike (0: off).</summary>
    public double MixUpAlpha { get; init; }

    /// <summary>CutMix: paste a box of a shuffled copy (area from Beta(alpha, alpha)), targets mixed by the pasted area (0: off).</summary>
    public double CutMixAlpha { get; init; }

    /// <summary>Probability that a batch is mixed at all; when both MixUp and CutMix are on, each mixed batch uses one of them at even odds.</summary>
    public double MixProbability { get; init; } = 1;

    /// <summary>
    /// Keep an exponential moving average of the weights with this decay (e.g. 0.999; timm's ModelEmaV2, with warm-up): when set,
    /// validation, early stopping, the kept best weights and the trained model use the averaged weights. Null: off.
    /// </summary>
    public double? EmaDecay { get; init; }

    /// <summary>Per-class loss weights, in the label key's order (rare classes weighted up); null for none.</summary>
    public float[]? ClassWeights { get; init; }

    /// <summary>Weigh each class by the inverse of its frequency in the training data (N / (classes x count)), instead of <see cref="ClassWeights"/>.</summary>
    public bool BalanceClasses { get; init; }

    /// <summary>
    /// Draw each epoch's rows with replacement, each with probability inversely proportional to its class's frequency (as
    /// PyTorch's WeightedRandomSampler does), so every class fills batches equally often; the epoch keeps its length.
    /// An alternative to weighting the loss (<see cref="BalanceClasses"/>); needs the training rows in memory
    /// (<see cref="CnnRuntimeOptions.MemoryBudgetBytes"/>).
    /// </summary>
    public bool BalancedSampling { get; init; }

    /// <summary>Whether batches are mixed (MixUp or CutMix).</summary>
    internal bool Mixes => MixUpAlpha > 0 || CutMixAlpha > 0;

    internal IEnumerable<string> Problems()
    {
        if (LabelSmoothing is not (>= 0 and < 1))
            yield return $"Regularization.LabelSmoothing must be in [0, 1); got {LabelSmoothing}.";
        if (!(MixUpAlpha >= 0 && double.IsFinite(MixUpAlpha)))
            yield return $"Regularization.MixUpAlpha must be 0 or more; got {MixUpAlpha}.";
        if (!(CutMixAlpha >= 0 && double.IsFinite(CutMixAlpha)))
            yield return $"Regularization.CutMixAlpha must be 0 or more; got {CutMixAlpha}.";
        if (MixProbability is not (>= 0 and <= 1))
            yield return $"Regularization.MixProbability must be in [0, 1]; got {MixProbability}.";
        if (EmaDecay is not (null or (> 0 and < 1)))
            yield return $"Regularization.EmaDecay must be in (0, 1); got {EmaDecay}.";
        if ((ClassWeights is null ? 0 : 1) + (BalanceClasses ? 1 : 0) + (BalancedSampling ? 1 : 0) > 1)
            yield return "Set one of Regularization.ClassWeights, BalanceClasses (both weigh the loss) and BalancedSampling (draws rows), not several: each alone balances the classes.";
        if (ClassWeights is not null && !ClassWeights.All(w => w > 0 && float.IsFinite(w)))
            yield return $"Regularization.ClassWeights must all be positive and finite; got [{string.Join(", ", ClassWeights)}].";
    }
}
