namespace MLNetCnn;

/// <summary>How a pretrained network is fine-tuned: the head alone first, the backbone at its own rate, batch-norm statistics kept.</summary>
public sealed record CnnFineTuningOptions
{
    /// <summary>Epochs at the start in which only the head learns: the backbone's weights and batch-norm statistics stay frozen.</summary>
    public int FreezeEpochs { get; init; }

    /// <summary>The backbone's learning rate as a multiple of the head's (discriminative learning rates), e.g. 0.1; 1 learns alike.</summary>
    public double BackboneLearningRateFactor { get; init; } = 1;

    /// <summary>Keep the backbone's batch-norm statistics fixed throughout (small batches, or data much like the pretraining data).</summary>
    public bool FreezeBatchNorm { get; init; }

    internal IEnumerable<string> Problems()
    {
        if (FreezeEpochs < 0)
            yield return $"FineTuning.FreezeEpochs must be 0 or more; got {FreezeEpochs}.";
        if (!(BackboneLearningRateFactor > 0 && double.IsFinite(BackboneLearningRateFactor)))
            yield return $"FineTuning.BackboneLearningRateFactor must be greater than 0; got {BackboneLearningRateFactor}.";
    }
}
