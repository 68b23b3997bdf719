namespace MLNetCnn;

/// <summary>Optimisers the trainer offers.</summary>
public enum CnnOptimizer
{
    /// <summary>SGD with momentum and weight decay: the lecture's AlexNet recipe.</summary>
    Sgd,

    /// <summary>Adam, with L2 weight decay in the gradient.</summary>
    Adam,

    /// <summary>AdamW, with decoupled weight decay.</summary>
    AdamW,
}

/// <summary>The optimiser and its step: which one, at what rate, with what momentum, weight decay and gradient clipping.</summary>
public sealed record CnnOptimizerOptions
{
    /// <summary>The optimiser. AdamW by default.</summary>
    public CnnOptimizer Kind { get; init; } = CnnOptimizer.AdamW;

    /// <summary>Peak learning rate of <see cref="Kind"/>: about 1e-4 to 1e-2 for Adam and AdamW, 0.01 to 0.2 for SGD. Range: greater than 0.</summary>
    public double LearningRate { get; init; } = 0.002;

    /// <summary>SGD momentum. Range: [0, 1).</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>Use Nesterov momentum with SGD.</summary>
    public bool Nesterov { get; init; }

    /// <summary>Weight decay: L2 in the gradient for SGD and Adam, decoupled for AdamW. Range: 0 or more.</summary>
    public double WeightDecay { get; init; } = 5e-4;

    /// <summary>Clip the gradients' total L2 norm to this before each step; null for no clipping.</summary>
    public double? GradientClipNorm { get; init; }

    internal IEnumerable<string> Problems()
    {
        if (!Enum.IsDefined(Kind))
            yield return $"Optimizer.Kind must be Sgd, Adam or AdamW; got {Kind}.";
        if (!(LearningRate > 0 && double.IsFinite(LearningRate)))
            yield return $"Optimizer.LearningRate must be greater than 0; got {LearningRate}.";
        if (Momentum is not (>= 0 and < 1))
            yield return $"Optimizer.Momentum must be in [0, 1); got {Momentum}.";
        if (!(WeightDecay >= 0))
            yield return $"Optimizer.WeightDecay must be 0 or more; got {WeightDecay}.";
        if (GradientClipNorm is not (null or > 0))
            yield return $"Optimizer.GradientClipNorm must be greater than 0; got {GradientClipNorm}.";
    }
}
