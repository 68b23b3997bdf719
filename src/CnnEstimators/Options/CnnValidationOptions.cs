using System.Text.Json.Serialization;
using Microsoft.ML;

namespace MLNetCnn;

/// <summary>Validation after each epoch, and what it decides: the best weights, early stopping, the plateau schedule.</summary>
public sealed record CnnValidationOptions
{
    /// <summary>Fraction of the training rows held out for validation when <see cref="Data"/> is not given. Range: [0, 1).</summary>
    public double Fraction { get; init; }

    /// <summary>Validation rows, scored after each epoch, instead of a <see cref="Fraction"/>. Not part of the JSON form: data is not a configuration.</summary>
    [JsonIgnore]
    public IDataView? Data { get; init; }

    /// <summary>Stop when the validation <see cref="SelectionMetric"/> has not improved for this many epochs; null trains all epochs.</summary>
    public int? EarlyStoppingPatience { get; init; }

    /// <summary>With validation, end with the weights of the epoch of the best validation <see cref="SelectionMetric"/>.</summary>
    public bool KeepBestWeights { get; init; } = true;

    /// <summary>
    /// What "best" and "improved" mean for <see cref="KeepBestWeights"/>, <see cref="EarlyStoppingPatience"/> and the plateau schedule:
    /// validation accuracy (default), macro accuracy (for unbalanced classes) or log-loss.
    /// </summary>
    public CnnSelectionMetric SelectionMetric { get; init; } = CnnSelectionMetric.Accuracy;

    /// <summary>Whether there is validation: rows given, or a fraction held out.</summary>
    internal bool IsActive => Data is not null || Fraction > 0;

    internal IEnumerable<string> Problems()
    {
        if (Fraction is not (>= 0 and < 1))
            yield return $"Validation.Fraction must be in [0, 1); got {Fraction}.";
        if (Data is not null && Fraction != 0)
            yield return "Set Validation.Data or Validation.Fraction, not both.";
        if (!Enum.IsDefined(SelectionMetric))
            yield return $"Validation.SelectionMetric must be Accuracy, MacroAccuracy or LogLoss; got {SelectionMetric}.";
        if (EarlyStoppingPatience is not (null or >= 1))
            yield return $"Validation.EarlyStoppingPatience must be at least 1; got {EarlyStoppingPatience}.";
        if (EarlyStoppingPatience is not null && !IsActive)
            yield return "Validation.EarlyStoppingPatience needs validation: set Validation.Data or Validation.Fraction.";
    }
}
