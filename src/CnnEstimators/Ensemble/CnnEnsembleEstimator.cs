using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Scoring;

namespace MLNetCnn;

/// <summary>Estimator of <see cref="CnnEnsembleTransformer"/>: the members are already trained, so fitting checks the data only.</summary>
public sealed class CnnEnsembleEstimator : IEstimator<CnnEnsembleTransformer>
{
    private readonly IReadOnlyList<CnnClassifierTransformer> members;
    private readonly CnnEnsembleCombination combination;

    internal CnnEnsembleEstimator(IReadOnlyList<CnnClassifierTransformer> members, CnnEnsembleCombination combination)
    {
        Check(members);
        this.members = members;
        this.combination = combination;
    }

    /// <inheritdoc />
    public CnnEnsembleTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var ensemble = new CnnEnsembleTransformer(members, combination);
        ensemble.GetOutputSchema(input.Schema);
        return ensemble;
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var image = members[0].ImageColumnName;
        if (!inputSchema.Any(c => c.Name == image))
            throw new ArgumentException($"The image column '{image}' is not in the data. Columns: {string.Join(", ", inputSchema.Select(c => $"'{c.Name}'"))}.", nameof(inputSchema));
        var score = Internal.MLNetInternals.NewColumn(members[0].ScoreColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, null);
        var predicted = Internal.MLNetInternals.NewColumn(members[0].PredictedLabelColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true, null);
        return new SchemaShape(inputSchema.Where(c => c.Name != score.Name && c.Name != predicted.Name).Append(score).Append(predicted));
    }

    // All problems of the member list in one exception.
    private static void Check(IReadOnlyList<CnnClassifierTransformer> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0)
            throw new ArgumentException("An ensemble needs at least one member.", nameof(members));
        var first = members[0];
        var labels = LabelValues(first.Columns);
        var errors = new List<string>();
        for (var i = 1; i < members.Count; i++)
        {
            var m = members[i];
            if (!LabelValues(m.Columns).SequenceEqual(labels))
                errors.Add($"member {i} ({m.Model.Architecture}) has label values [{string.Join(", ", LabelValues(m.Columns))}], member 0 has [{string.Join(", ", labels)}]");
            if (m.ImageColumnName != first.ImageColumnName)
                errors.Add($"member {i} reads column '{m.ImageColumnName}', member 0 reads '{first.ImageColumnName}'");
            var (p, q) = (m.Preprocessing, first.Preprocessing);
            if (p.InputKind != q.InputKind || p.Channels != q.Channels || p.Height != q.Height || p.Width != q.Width)
                errors.Add($"member {i} takes {p.InputKind} {p.Channels}x{p.Height}x{p.Width}, member 0 takes {q.InputKind} {q.Channels}x{q.Height}x{q.Width}");
        }
        if (errors.Count > 0)
            throw new ArgumentException("The ensemble's members must share the label's values and read the same image column at the same size: " + string.Join("; ", errors) + ".", nameof(members));
    }

    private static string[] LabelValues(ScoreColumns columns)
    {
        if (columns.LabelAnnotations.Schema.GetColumnOrNull(ScoreColumns.KeyValues) is not { Type: VectorDataViewType { ItemType: TextDataViewType } })
            return Enumerable.Range(1, columns.Classes).Select(k => k.ToString()).ToArray();
        var names = default(VBuffer<ReadOnlyMemory<char>>);
        columns.LabelAnnotations.GetValue(ScoreColumns.KeyValues, ref names);
        return names.DenseValues().Select(n => n.ToString()).ToArray();
    }
}
