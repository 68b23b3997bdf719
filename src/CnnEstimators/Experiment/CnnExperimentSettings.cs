namespace MLNetCnn;

/// <summary>The metric an experiment ranks its runs by.</summary>
public enum CnnExperimentMetric
{
    /// <summary>Micro accuracy on the validation data (higher is better).</summary>
    Accuracy,

    /// <summary>Log-loss on the validation data (lower is better).</summary>
    LogLoss,
}

/// <summary>What an architecture-comparison experiment tries, in the manner of ML.NET AutoML's experiment settings.</summary>
public sealed class CnnExperimentSettings
{
    /// <summary>Candidate architectures (registry names), tried in order.</summary>
    public IReadOnlyList<string> Architectures { get; set; } = ["resnet20", "resnet32", "plain20"];

    /// <summary>
    /// The trainer options of each run, built for the candidate architecture it is given (a fresh object per run, with
    /// <see cref="CnnModelOptions.Architecture"/> set to that candidate; a run whose options name another fails and is recorded).
    /// Default: <see cref="Epochs"/> epochs of the trainer's defaults.
    /// </summary>
    public Func<string, CnnTrainerOptions>? TrainerOptions { get; set; }

    /// <summary>Epochs per run when <see cref="TrainerOptions"/> is not given.</summary>
    public int Epochs { get; set; } = 5;

    /// <summary>No new run starts after this much time; null runs every candidate.</summary>
    public TimeSpan? MaxExperimentTime { get; set; }

    /// <summary>The ranking metric.</summary>
    public CnnExperimentMetric OptimizingMetric { get; set; } = CnnExperimentMetric.Accuracy;

    /// <summary>The key label column.</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Every invalid setting, in one list; empty when the experiment can run.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Architectures is null || Architectures.Count == 0)
            problems.Add("Architectures must name at least one candidate.");
        else if (Architectures.Distinct().Count() != Architectures.Count)
            problems.Add($"Architectures must not repeat a name; got {string.Join(", ", Architectures)}.");
        if (Epochs < 1)
            problems.Add($"Epochs must be at least 1; got {Epochs}.");
        if (MaxExperimentTime is { } limit && limit <= TimeSpan.Zero)
            problems.Add($"MaxExperimentTime must be positive; got {limit}.");
        return problems;
    }

    /// <summary>Checks the settings, reporting all problems at once.</summary>
    /// <exception cref="ArgumentException">Lists each invalid setting.</exception>
    public void Validate() => OptionProblems.ThrowIfAny("experiment settings", Problems());
}
