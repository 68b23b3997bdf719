using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MLNetCnn;

/// <summary>Estimator of <see cref="CnnEnsembleTransformer"/> over trained members: fitting checks the data only.</summary>
/// <remarks>
/// <list type="table">
/// <item><term>Does this estimator need to look at the data to train its parameters?</term><description>No: the members are trained</description></item>
/// <item><term>Input column</term><description>The members' image column</description></item>
/// <item><term>Output columns</term><description>Score: vector of Single (combined probabilities); PredictedLabel: key with the label's values</description></item>
/// <item><term>Savable</term><description>With <c>mlContext.Model.Save</c>: one ONNX graph holding every member and the combination</description></item>
/// </list>
/// </remarks>
public sealed class CnnEnsembleEstimator : IEstimator<CnnEnsembleTransformer>
{
    private readonly IHost host;
    private readonly IReadOnlyList<CnnClassifierTransformer> members;
    private readonly CnnEnsembleCombination combination;

    internal CnnEnsembleEstimator(IHostEnvironment environment, IReadOnlyList<CnnClassifierTransformer> members, CnnEnsembleCombination combination)
    {
        host = environment.Register(nameof(CnnEnsembleEstimator));
        CheckMembers(members);
        this.members = members;
        this.combination = combination;
    }

    /// <inheritdoc />
    public CnnEnsembleTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var ensemble = new CnnEnsembleTransformer(members, combination);
        ensemble.GetOutputSchema(input.Schema);
        Log( $"Ensemble of {members.Count} members ({string.Join(", ", members.Select(m => m.Model.Architecture))}), {combination}.");
        return ensemble;
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var image = members[0].ImageColumnName;
        if (!inputSchema.Any(c => c.Name == image))
            throw Messages.MissingColumn("image", image, inputSchema.Select(c => c.Name), nameof(inputSchema));
        return members[0].Outputs.OutputShape(inputSchema);
    }

    /// <summary>All problems of the member list in one exception.</summary>
    internal static void CheckMembers(IReadOnlyList<CnnClassifierTransformer> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0)
            throw new ArgumentException("An ensemble needs at least one member.", nameof(members));
        foreach (var member in members)
            member.ThrowIfDisposedFor("CnnEnsemble");
        var first = members[0];
        var labels = LabelValues(first);
        var errors = new List<string>();
        for (var i = 1; i < members.Count; i++)
        {
            var m = members[i];
            if (!LabelValues(m).SequenceEqual(labels))
                errors.Add($"member {i} ({m.Model.Architecture}) has label values [{string.Join(", ", LabelValues(m))}], member 0 has [{string.Join(", ", labels)}]");
            if (m.ImageColumnName != first.ImageColumnName)
                errors.Add($"member {i} reads column '{m.ImageColumnName}', member 0 reads '{first.ImageColumnName}'");
            var (p, q) = (m.Preprocessing, first.Preprocessing);
            if (p.InputKind != q.InputKind || p.Channels != q.Channels || p.Height != q.Height || p.Width != q.Width)
                errors.Add($"member {i} takes {p.InputKind} {p.Channels}x{p.Height}x{p.Width}, member 0 takes {q.InputKind} {q.Channels}x{q.Height}x{q.Width}");
        }
        if (errors.Count > 0)
            throw new ArgumentException("The ensemble's members must share the label's values and read the same image column at the same size: " + string.Join("; ", errors) + ".", nameof(members));
    }

    private static string[] LabelValues(CnnClassifierTransformer member)
        => member.Outputs.TextLabelValues() ?? Enumerable.Range(1, member.Outputs.Classes).Select(k => k.ToString()).ToArray();

    // Through the context's log, as ML.NET's own components report (mlContext.Log).
    private void Log(string message)
    {
        using var channel = host.Start(nameof(Log));
        channel.Info(MessageSensitivity.None, message);
    }
}
