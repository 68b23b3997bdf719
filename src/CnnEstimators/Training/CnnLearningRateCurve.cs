namespace MLNetCnn;

/// <summary>One step of the learning-rate range test.</summary>
/// <param name="Rate">The learning rate of the step.</param>
/// <param name="Loss">The batch's training loss.</param>
/// <param name="SmoothedLoss">An exponential moving average of the losses so far (bias-corrected), which the suggestion reads.</param>
public sealed record CnnLearningRatePoint(double Rate, double Loss, double SmoothedLoss);

/// <summary>
/// The result of <see cref="CnnOperationsCatalog.FindLearningRate"/>: the loss at exponentially increasing learning rates, as
/// fastai's <c>lr_find</c> draws it, and a suggested rate.
/// </summary>
/// <param name="Points">One per step, in increasing rate.</param>
/// <param name="SuggestedRate">Where the smoothed loss falls fastest (the steepest slope against log rate), before its minimum.</param>
/// <param name="MinimumLossRate">The rate at the smoothed loss's minimum; a tenth of it is the other common choice.</param>
/// <param name="Diverged">True when the run stopped early because the smoothed loss passed four times its minimum (or stopped being finite).</param>
public sealed record CnnLearningRateCurve(IReadOnlyList<CnnLearningRatePoint> Points, double SuggestedRate, double MinimumLossRate, bool Diverged);
