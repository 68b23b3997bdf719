namespace MLNetCnn;

/// <summary>Why a training run ended.</summary>
public enum CnnTrainingEndReason
{
    /// <summary>Every epoch ran.</summary>
    Completed,

    /// <summary>Validation stopped improving for <see cref="CnnValidationOptions.EarlyStoppingPatience"/> epochs.</summary>
    EarlyStopping,

    /// <summary><see cref="CnnRuntimeOptions.MaxTrainingTime"/> ran out; the run stopped within one batch of it.</summary>
    Deadline,

    /// <summary>The <see cref="CnnTrainerOptions.EpochEnd"/> callback asked the run to stop.</summary>
    Requested,
}

/// <summary>
/// How a training run ended: why, after how much training, and which weights the model holds. A run that stopped early
/// (by its deadline or on request) still returns a usable model.
/// </summary>
/// <param name="Reason">Why it ended.</param>
/// <param name="Message">The reason in words: the deadline, the callback's reason, the patience that ran out.</param>
/// <param name="EpochsCompleted">Whole epochs trained (and validated, with validation).</param>
/// <param name="StepsIntoNextEpoch">Optimiser steps of an epoch cut short by the deadline (not validated, not in the history); 0 otherwise.</param>
/// <param name="StepsPerEpoch">Optimiser steps in a whole epoch.</param>
/// <param name="Seconds">Wall time from the start of <c>Fit</c> (reading the data included) to the end of training.</param>
/// <param name="WeightsFromEpoch">The epoch whose weights the model holds (the best validated epoch when <see cref="CnnValidationOptions.KeepBestWeights"/>
/// kept it); null when it holds the weights as training left them.</param>
public sealed record CnnTrainingEnd(
    CnnTrainingEndReason Reason, string Message, int EpochsCompleted, int StepsIntoNextEpoch, int StepsPerEpoch, double Seconds, int? WeightsFromEpoch)
{
    /// <summary>Epochs trained, counting the part of an epoch cut short: e.g. 2.5.</summary>
    public double EpochsTrained => EpochsCompleted + (StepsPerEpoch == 0 ? 0 : (double)StepsIntoNextEpoch / StepsPerEpoch);
}
