namespace MLNetCnn;

/// <summary>
/// How a search spends its budget: which trial runs next, for how many epochs. <see cref="Asha"/> (the default) trains new trials
/// for a few epochs and continues only the best fraction at each rung; <see cref="Random"/> trains every trial to the end, the
/// baseline a smarter strategy must beat. Both draw the same configurations from the same seed.
/// </summary>
public abstract class CnnSearchStrategy
{
    private protected CnnSearchStrategy(IReadOnlyList<int> rungs) => Rungs = rungs;

    /// <summary>The epochs a trial has trained at the end of each rung, ascending; the last is its whole schedule.</summary>
    public IReadOnlyList<int> Rungs { get; }

    /// <summary>Epochs of a trial's whole schedule: the last rung.</summary>
    public int MaxEpochs => Rungs[^1];

    /// <summary>
    /// Asynchronous successive halving (Li et al., "A System for Massively Parallel Hyperparameter Tuning", 2020), epochs as the resource:
    /// rungs at <paramref name="minEpochs"/> x <paramref name="reductionFactor"/>^k up to <paramref name="maxEpochs"/>. Whenever a worker
    /// is free, the best trial in the top 1/<paramref name="reductionFactor"/> of a rung that has not gone on yet continues to the next rung
    /// (higher rungs first); otherwise a new trial starts. A trial continues from its checkpoint, on one schedule of <paramref name="maxEpochs"/> epochs.
    /// </summary>
    /// <exception cref="ArgumentException">An argument is out of range.</exception>
    public static CnnSearchStrategy Asha(int minEpochs = 1, int maxEpochs = 9, int reductionFactor = 3)
    {
        if (minEpochs < 1)
            throw new ArgumentException($"minEpochs must be at least 1; got {minEpochs}.", nameof(minEpochs));
        if (maxEpochs < minEpochs)
            throw new ArgumentException($"maxEpochs ({maxEpochs}) must be at least minEpochs ({minEpochs}).", nameof(maxEpochs));
        if (reductionFactor < 2)
            throw new ArgumentException($"reductionFactor must be at least 2; got {reductionFactor}.", nameof(reductionFactor));
        var rungs = new List<int>();
        for (long epochs = minEpochs; epochs < maxEpochs; epochs *= reductionFactor)
            rungs.Add((int)epochs);
        rungs.Add(maxEpochs);
        return new SuccessiveHalving(rungs, reductionFactor);
    }

    /// <summary>Random search: every trial trains its whole schedule of <paramref name="epochs"/> epochs; the baseline.</summary>
    /// <exception cref="ArgumentException"><paramref name="epochs"/> is less than 1.</exception>
    public static CnnSearchStrategy Random(int epochs = 9)
    {
        if (epochs < 1)
            throw new ArgumentException($"epochs must be at least 1; got {epochs}.", nameof(epochs));
        return new RandomSearch(epochs);
    }

    /// <summary>The strategy's name and rungs, as the search records it.</summary>
    public abstract override string ToString();

    /// <summary>What to run next, given every trial so far; <paramref name="mayStartTrial"/> is false when no new trial may start (trial limit, budget).</summary>
    internal abstract SearchDecision Decide(IReadOnlyList<TrialProgress> trials, bool mayStartTrial);

    private sealed class SuccessiveHalving(IReadOnlyList<int> rungs, int reductionFactor) : CnnSearchStrategy(rungs)
    {
        public override string ToString() => $"asha(rungs {string.Join("/", Rungs)} epochs, reduction {reductionFactor})";

        internal override SearchDecision Decide(IReadOnlyList<TrialProgress> trials, bool mayStartTrial)
        {
            for (var rung = Rungs.Count - 2; rung >= 0; rung--)
            {
                var scored = trials.Where(t => t.Eligible && t.Scores.ContainsKey(rung)).ToList();
                var promotable = scored.OrderByDescending(t => t.Scores[rung]).ThenBy(t => t.Number).Take(scored.Count / reductionFactor);
                if (promotable.FirstOrDefault(t => t.ClaimedRung == rung && !t.Running) is { } next)
                    return SearchDecision.Continue(next.Number, rung + 1);
            }
            return mayStartTrial ? SearchDecision.StartTrial : trials.Any(t => t.Running) ? SearchDecision.Wait : SearchDecision.Finished;
        }
    }

    private sealed class RandomSearch(int epochs) : CnnSearchStrategy([epochs])
    {
        public override string ToString() => $"random({epochs} epochs)";

        internal override SearchDecision Decide(IReadOnlyList<TrialProgress> trials, bool mayStartTrial)
            => mayStartTrial ? SearchDecision.StartTrial : trials.Any(t => t.Running) ? SearchDecision.Wait : SearchDecision.Finished;
    }
}

/// <summary>What a strategy sees of a trial: its validation score at each finished rung, the highest rung it was sent to, whether that job still runs.</summary>
/// <param name="Number">The trial's number.</param>
/// <param name="Eligible">Still in the race: not rejected, failed or over the latency limit.</param>
/// <param name="Scores">Score (higher is better) at each rung it finished.</param>
/// <param name="ClaimedRung">The highest rung a job of it was started for.</param>
/// <param name="Running">That job has no result yet.</param>
internal sealed record TrialProgress(int Number, bool Eligible, IReadOnlyDictionary<int, double> Scores, int ClaimedRung, bool Running);

/// <summary>A strategy's answer: start a new trial, continue one to a rung, wait for running jobs, or end the search.</summary>
internal sealed record SearchDecision(SearchDecisionKind Kind, int Trial = -1, int Rung = 0)
{
    public static readonly SearchDecision StartTrial = new(SearchDecisionKind.StartTrial);
    public static readonly SearchDecision Wait = new(SearchDecisionKind.Wait);
    public static readonly SearchDecision Finished = new(SearchDecisionKind.Finished);

    public static SearchDecision Continue(int trial, int rung) => new(SearchDecisionKind.Continue, trial, rung);
}

/// <summary>The kinds of <see cref="SearchDecision"/>.</summary>
internal enum SearchDecisionKind
{
    StartTrial,
    Continue,
    Wait,
    Finished,
}
