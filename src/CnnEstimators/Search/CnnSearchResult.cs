using System.Globalization;
using System.Text;

namespace MLNetCnn;

/// <summary>
/// What a search found: every trial, the accuracy-latency front, the best trial and its trained classifier. Disposing it disposes
/// <see cref="Model"/>; a search with an output folder keeps every trial's classifier there (<see cref="LoadModel"/>).
/// </summary>
public sealed class CnnSearchResult : IDisposable
{
    private readonly Func<int, CnnClassifierTransformer> load;

    internal CnnSearchResult(IReadOnlyList<CnnSearchTrial> trials, CnnSearchTrial best, CnnClassifierTransformer model, string strategy, TimeSpan elapsed,
        Func<int, CnnClassifierTransformer> load, string? folder)
    {
        Trials = trials;
        BestTrial = best;
        Model = model;
        Strategy = strategy;
        Elapsed = elapsed;
        Folder = folder;
        this.load = load;
        Front = ParetoFront(trials);
    }

    /// <summary>Every trial, in the order they were drawn.</summary>
    public IReadOnlyList<CnnSearchTrial> Trials { get; }

    /// <summary>
    /// The trials no other trial beats on both validation accuracy and latency (the non-dominated set, fastest first), among those
    /// that meet the limits and were validated and measured.
    /// </summary>
    public IReadOnlyList<CnnSearchTrial> Front { get; }

    /// <summary>The trial with the best validation score among those that meet the limits.</summary>
    public CnnSearchTrial BestTrial { get; }

    /// <summary>The best trial's classifier, ready to append to a pipeline and save with <c>mlContext.Model.Save</c>.</summary>
    public CnnClassifierTransformer Model { get; }

    /// <summary>The strategy and its rungs, in words.</summary>
    public string Strategy { get; }

    /// <summary>Wall time of this run of the search (an interrupted search continued counts this part only).</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>The search folder when one was set (trials, their classifiers and checkpoints), else null.</summary>
    public string? Folder { get; }

    /// <summary>The classifier of trial <paramref name="number"/> as its last rung left it (for an ensemble of the top trials with <c>CnnEnsemble</c>). The caller disposes it.</summary>
    /// <exception cref="ArgumentException">That trial has no trained classifier (rejected, failed, or the search had no folder and it is not the best).</exception>
    public CnnClassifierTransformer LoadModel(int number) => load(number);

    /// <summary>
    /// The classifiers of the <paramref name="count"/> trials with the highest validation accuracy that meet the limits and take the best
    /// trial's input size, best first: the members of an ensemble (<c>mlContext.Transforms.CnnEnsemble(members)</c>, whose members read
    /// one image size). The caller disposes them.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="count"/> is less than 1 or more than the trials that have a classifier, or the search had no folder.</exception>
    public IReadOnlyList<CnnClassifierTransformer> LoadBestModels(int count)
    {
        var ranked = Trials.Where(t => t.Status is CnnSearchTrialStatus.Completed or CnnSearchTrialStatus.StoppedEarly && MeetsLimits(t) && t.ValidationAccuracy is not null
                                       && t.ImageSize == BestTrial.ImageSize)
            .OrderByDescending(t => t.ValidationAccuracy).ThenByDescending(t => t.Epochs).ThenBy(t => t.Number).ToList();
        if (count < 1 || count > ranked.Count)
            throw new ArgumentException($"count must be from 1 to the {ranked.Count} trial(s) at {BestTrial.ImageSize} px that were trained, validated and meet the limits; got {count}.", nameof(count));
        var models = new List<CnnClassifierTransformer>();
        try
        {
            foreach (var trial in ranked.Take(count))
                models.Add(load(trial.Number));
        }
        catch
        {
            models.ForEach(m => m.Dispose());
            throw;
        }
        return models;
    }

    /// <summary>The trials ranked by validation score, best first, then those without one, then rejected and failed trials with their reasons.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(string.Create(c, $"{Strategy}: {Trials.Count} trial(s) in {Elapsed.TotalSeconds:F0} s; best #{BestTrial.Number} {BestTrial.Candidate} at {BestTrial.ImageSize} px"));
        text.AppendLine(string.Create(c, $"{"#",4}  {"network",-34} {"px",4} {"status",-13} {"epochs",6} {"accuracy",9} {"latency ms",10} {"params",11} {"train s",8}  front"));
        foreach (var t in Trials.OrderByDescending(t => t.ValidationAccuracy ?? double.NegativeInfinity).ThenBy(t => t.Number))
        {
            var line = string.Create(c, $"{t.Number,4}  {Clip(t.Candidate, 34),-34} {t.ImageSize,4} {t.Status,-13} {t.Epochs,6:F1} {Percent(t.ValidationAccuracy),9} {t.LatencyMs?.ToString("F2", c) ?? "-",10} {t.Parameters,11:N0} {t.TrainSeconds,8:F1}  {(Front.Contains(t) ? "*" : "")}");
            text.AppendLine(t.Reason is null || t.Status == CnnSearchTrialStatus.StoppedEarly && t.Reason.StartsWith("not promoted", StringComparison.Ordinal) ? line : $"{line}  {t.Reason}");
        }
        return text.ToString();
    }

    /// <summary>Disposes <see cref="Model"/>.</summary>
    public void Dispose() => Model.Dispose();

    internal static IReadOnlyList<CnnSearchTrial> ParetoFront(IEnumerable<CnnSearchTrial> trials)
    {
        var measured = trials.Where(t => t.Status is CnnSearchTrialStatus.Completed or CnnSearchTrialStatus.StoppedEarly && MeetsLimits(t)
                                         && t.ValidationAccuracy is not null && t.LatencyMs is not null).ToList();
        return measured.Where(t => !measured.Any(u => u != t && u.ValidationAccuracy >= t.ValidationAccuracy && u.LatencyMs <= t.LatencyMs
                                                       && (u.ValidationAccuracy > t.ValidationAccuracy || u.LatencyMs < t.LatencyMs)))
            .OrderBy(t => t.LatencyMs).ThenBy(t => t.Number).ToList();
    }

    // A trial stopped for its latency is recorded with that reason; it is never on the front nor the best.
    internal static bool MeetsLimits(CnnSearchTrial trial) => trial.Reason is null || !trial.Reason.StartsWith(TooSlowPrefix, StringComparison.Ordinal);

    internal const string TooSlowPrefix = "latency";

    private static string Percent(double? value) => value is double v ? v.ToString("P2", CultureInfo.InvariantCulture) : "-";

    private static string Clip(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "…";
}
