using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Data;
using MLNetCnn.Persistence;
using MLNetCnn.Zoo;
using MLNetCnn.Scoring;
using static TorchSharp.torch;

namespace MLNetCnn;

/// <summary>How an ensemble combines its members' class probabilities.</summary>
public enum CnnEnsembleCombination
{
    /// <summary>The mean of the probabilities (AlexNet's ensemble).</summary>
    Mean,

    /// <summary>The normalised geometric mean: members must agree for a class to score high.</summary>
    GeometricMean,

    /// <summary>The share of members whose top class it is (ties go to the lower key).</summary>
    MajorityVote,
}

/// <summary>
/// Averages several trained CNN classifiers — the lecture's "train several models and average them" — into one
/// Score and PredictedLabel, so <c>Evaluate</c> judges the ensemble like any classifier. Members may be different
/// architectures; they must share the label's values and read the same image column at the same size.
/// </summary>
public sealed class CnnEnsembleTransformer : CnnBatchedTransformer
{
    internal CnnEnsembleTransformer(IReadOnlyList<CnnClassifierTransformer> members, CnnEnsembleCombination combination)
    {
        Members = members;
        Combination = combination;
        var first = members[0];
        Columns = first.Columns;
    }

    /// <summary>The members, in order.</summary>
    public IReadOnlyList<CnnClassifierTransformer> Members { get; }

    /// <summary>How probabilities are combined.</summary>
    public CnnEnsembleCombination Combination { get; }

    internal ScoreColumns Columns { get; }

    /// <inheritdoc />
    public override string ImageColumnName => Members[0].ImageColumnName;

    /// <inheritdoc />
    public override CnnPreprocessing Preprocessing => Members[0].Preprocessing;

    /// <inheritdoc />
    public override int BatchSize => Members[0].BatchSize;

    /// <inheritdoc />
    public override bool SkipUnreadableImages => Members.All(m => m.SkipUnreadableImages);

    private protected override int RowWidth => Columns.Classes;

    private protected override int AddedColumnCount => 2;

    private protected override DataViewSchema AddColumns(DataViewSchema input) => Columns.OutputSchema(input);

    private protected override ITransformer SavedChain(MLContext ml, string onnxPath)
    {
        var combination = Combination switch
        {
            CnnEnsembleCombination.GeometricMean => OnnxEnsembleCombination.GeometricMean,
            CnnEnsembleCombination.MajorityVote => OnnxEnsembleCombination.MajorityVote,
            _ => OnnxEnsembleCombination.Mean,
        };
        return NativeScoringChain.BuildEnsemble(ml, Members, combination, ImageColumnName, Columns, onnxPath);
    }

    private protected override void BeginScoring()
    {
        foreach (var member in Members)
            member.Runner.BeginScoring();
    }

    private protected override float[] Compute(PixelBatch batch)
    {
        using var scope = NewDisposeScope();
        var probabilities = stack(Members.Select(m => tensor(m.Runner.Run(batch), [batch.Count, Columns.Classes])).ToArray());  // M x N x K
        var combined = Combination switch
        {
            CnnEnsembleCombination.GeometricMean => Normalised(probabilities.clamp_min(1e-30f).log().mean([0]).exp()),
            CnnEnsembleCombination.MajorityVote => nn.functional.one_hot(probabilities.argmax(2), Columns.Classes).to_type(ScalarType.Float32).mean([0]),
            _ => probabilities.mean([0]),
        };
        return combined.contiguous().data<float>().ToArray();
    }

    private static Tensor Normalised(Tensor scores) => scores / scores.sum(1, keepdim: true);

    private protected override ValueGetter<TValue> Getter<TValue>(int addedColumn, ScoreGetters.Probabilities current) => addedColumn == 0
        ? ScoreGetters.Score<TValue>(current, Columns)
        : ScoreGetters.PredictedLabel<TValue>(current, Columns);
}
