using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MLNetCnn;

/// <summary>
/// Trains several CNN members with the same options and successive seeds, then combines them: the lecture's "train
/// several models and average them" as one estimator, <c>mlContext.MulticlassClassification.Trainers.CnnEnsemble(...)</c>.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Machine learning task</term><description>Multiclass classification</description></item>
/// <item><term>Input columns</term><description>As the CNN trainer: a key label and an image (or float vector) column</description></item>
/// <item><term>Output columns</term><description>Score (combined probabilities) and PredictedLabel, as the CNN trainer's</description></item>
/// <item><term>Training</term><description>Each member is a full CNN training run; member <c>i</c> uses seed <c>seed + i</c></description></item>
/// </list>
/// </remarks>
public sealed class CnnEnsembleTrainer : IEstimator<CnnEnsembleTransformer>
{
    private readonly IHostEnvironment environment;
    private readonly IHost host;
    private readonly Func<CnnTrainerOptions> options;
    private readonly int count;
    private readonly CnnEnsembleCombination combination;

    internal CnnEnsembleTrainer(IHostEnvironment environment, Func<CnnTrainerOptions> options, int count, CnnEnsembleCombination combination)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (count < 1)
            throw new ArgumentOutOfRangeException(nameof(count), count, "An ensemble needs at least one member.");
        this.environment = environment;
        host = environment.Register(nameof(CnnEnsembleTrainer));
        this.options = options;
        this.count = count;
        this.combination = combination;
    }

    /// <summary>Trains the members on <paramref name="input"/> (seeds <c>seed, seed + 1, ...</c> from the options' seed, or 1) and combines them.</summary>
    /// <exception cref="ArgumentException">The options hold a <see cref="CnnModelOptions.Instance"/>: one model object cannot train several members.</exception>
    public CnnEnsembleTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var members = new List<CnnClassifierTransformer>(count);
        for (var i = 0; i < count; i++)
        {
            var memberOptions = MemberOptions(i);
            Log( $"Training ensemble member {i + 1} of {count} ({memberOptions.Model.Architecture}, seed {memberOptions.Runtime.Seed}).");
            members.Add(new CnnTrainer(environment, memberOptions).Fit(input));
        }
        return new CnnEnsembleTransformer(members, combination);
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => new CnnTrainer(environment, MemberOptions(0)).GetOutputSchema(inputSchema);

    private CnnTrainerOptions MemberOptions(int index)
    {
        var memberOptions = options();
        if (memberOptions.Model.Instance is not null)
            throw new ArgumentException(
                "Ensemble members are built from Model.Architecture; leave Model.Instance unset (one model object cannot train several members).", nameof(options));
        return memberOptions with { Runtime = memberOptions.Runtime with { Seed = (memberOptions.Runtime.Seed ?? 1) + index } };
    }

    // Through the context's log, as ML.NET's own components report (mlContext.Log).
    private void Log(string message)
    {
        using var channel = host.Start(nameof(Log));
        channel.Info(MessageSensitivity.None, message);
    }
}
