using System.Globalization;
using System.Text;

namespace MLNetCnn;

/// <summary>One candidate of an experiment: its metrics and cost, or the exception that ended it.</summary>
/// <param name="Architecture">The registry name.</param>
/// <param name="Accuracy">Micro accuracy on the validation data.</param>
/// <param name="LogLoss">Log-loss on the validation data.</param>
/// <param name="Parameters">Learnable parameters.</param>
/// <param name="Macs">Multiply-accumulates per image at the training size.</param>
/// <param name="TrainTime">Wall time of training.</param>
/// <param name="ImagesPerSecond">Training throughput of the last epoch.</param>
/// <param name="Exception">Why the run failed (out of memory, an input size the architecture cannot take, ...); null when it ran.</param>
/// <param name="Model">The trained classifier; null when the run failed.</param>
public sealed record CnnRunResult(
    string Architecture, double? Accuracy, double? LogLoss, long Parameters, long Macs, TimeSpan TrainTime, double ImagesPerSecond,
    Exception? Exception, CnnClassifierTransformer? Model);

/// <summary>Every run of an experiment and the best one.</summary>
public sealed class CnnExperimentResult
{
    internal CnnExperimentResult(IReadOnlyList<CnnRunResult> runs, CnnExperimentMetric metric)
    {
        Runs = runs;
        Metric = metric;
        var succeeded = runs.Where(r => r.Exception is null).ToList();
        BestRun = succeeded.Count == 0
            ? null
            : metric == CnnExperimentMetric.LogLoss ? succeeded.MinBy(r => r.LogLoss) : succeeded.MaxBy(r => r.Accuracy);
    }

    /// <summary>All runs, in the order they ran.</summary>
    public IReadOnlyList<CnnRunResult> Runs { get; }

    /// <summary>The ranking metric.</summary>
    public CnnExperimentMetric Metric { get; }

    /// <summary>The best successful run; null when every run failed.</summary>
    public CnnRunResult? BestRun { get; }

    /// <summary>The leaderboard: runs ranked by the metric, failed runs last with their error.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var ranked = Runs.Where(r => r.Exception is null)
            .OrderBy(r => Metric == CnnExperimentMetric.LogLoss ? r.LogLoss : -r.Accuracy)
            .Concat(Runs.Where(r => r.Exception is not null));
        var text = new StringBuilder();
        text.AppendLine(string.Create(c, $"{"rank",4}  {"architecture",-16} {"accuracy",9} {"log-loss",9} {"params",12} {"G-MACs",8} {"train s",8} {"img/s",7}"));
        var rank = 0;
        foreach (var r in ranked)
        {
            rank++;
            text.AppendLine(r.Exception is null
                ? string.Create(c, $"{rank,4}  {r.Architecture,-16} {r.Accuracy,9:P2} {r.LogLoss,9:F4} {r.Parameters,12:N0} {r.Macs / 1e9,8:F3} {r.TrainTime.TotalSeconds,8:F1} {r.ImagesPerSecond,7:F0}")
                : string.Create(c, $"{rank,4}  {r.Architecture,-16} failed: {r.Exception.GetType().Name}: {r.Exception.Message.Split('\n')[0]}"));
        }
        return text.ToString();
    }
}
