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
public sealed class CnnEnsembleTransformer : ITransformer, IBatchOutputs
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
    public string ImageColumnName => Members[0].ImageColumnName;

    /// <inheritdoc />
    public CnnPreprocessing Preprocessing => Members[0].Preprocessing;

    /// <inheritdoc />
    public int BatchSize => Members[0].BatchSize;

    /// <inheritdoc />
    public bool SkipUnreadableImages => Members.All(m => m.SkipUnreadableImages);

    int IBatchOutputs.ValuesPerRow => Columns.Classes;

    int IBatchOutputs.AddedColumns => 2;

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        InputColumns.CheckImage(inputSchema, ImageColumnName, Preprocessing);
        return Columns.OutputSchema(inputSchema);
    }

    DataViewSchema IBatchOutputs.OutputSchema(DataViewSchema input) => Columns.OutputSchema(input);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        GetOutputSchema(inputSchema);
        return new BatchedRowMapper(this, inputSchema);
    }

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(input.Schema);
        return new BatchedDataView(input, this);
    }

    /// <summary>
    /// Saves as ML.NET's own chain, like a single classifier: pixels, then <c>ApplyOnnxModel</c> over one ONNX graph
    /// that holds every member and their combination, then the key map.
    /// </summary>
    /// <exception cref="NotSupportedException">The label has no text key values, or vector input needs resizing.</exception>
    public void Save(ModelSaveContext ctx)
    {
        var onnx = Path.Combine(Path.GetTempPath(), $"mlnetcnn-{Guid.NewGuid():N}.onnx");
        try
        {
            var combination = Combination switch
            {
                CnnEnsembleCombination.GeometricMean => OnnxEnsembleCombination.GeometricMean,
                CnnEnsembleCombination.MajorityVote => OnnxEnsembleCombination.MajorityVote,
                _ => OnnxEnsembleCombination.Mean,
            };
            ((ICanSaveModel)NativeScoringChain.BuildEnsemble(new MLContext(), Members, combination, ImageColumnName, Columns, onnx)).Save(ctx);
        }
        finally
        {
            File.Delete(onnx);
        }
    }

    float[] IBatchOutputs.Compute(Tensor rawImages)
    {
        using var scope = NewDisposeScope();
        var probabilities = stack(Members.Select(m => tensor(m.Scorer.Probabilities(rawImages), [rawImages.shape[0], Columns.Classes])).ToArray());  // M x N x K
        var combined = Combination switch
        {
            CnnEnsembleCombination.GeometricMean => Normalised(probabilities.clamp_min(1e-30f).log().mean([0]).exp()),
            CnnEnsembleCombination.MajorityVote => nn.functional.one_hot(probabilities.argmax(2), Columns.Classes).to_type(ScalarType.Float32).mean([0]),
            _ => probabilities.mean([0]),
        };
        return combined.contiguous().data<float>().ToArray();
    }

    private static Tensor Normalised(Tensor scores) => scores / scores.sum(1, keepdim: true);

    ValueGetter<TValue> IBatchOutputs.Getter<TValue>(int addedColumn, ScoreGetters.Probabilities current) => addedColumn == 0
        ? ScoreGetters.Score<TValue>(current, Columns)
        : ScoreGetters.PredictedLabel<TValue>(current, Columns);
}
