using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Data;
using MLNetCnn.Persistence;
using MLNetCnn.Scoring;
using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn;

/// <summary>
/// A trained CNN in an ML.NET pipeline: <see cref="Transform"/> adds <c>Score</c> (softmax probabilities)
/// and <c>PredictedLabel</c> (a key with the training label's values), scoring lazily in batches.
/// </summary>
public sealed class CnnClassifierTransformer : ITransformer, IDisposable, IBatchOutputs
{
    internal CnnClassifierTransformer(CnnModel model, CnnPreprocessing preprocessing, string imageColumnName, ScoreColumns columns,
        int batchSize, bool skipUnreadableImages, Device device, IReadOnlyList<CnnEpochMetrics> history)
    {
        Model = model;
        Preprocessing = preprocessing;
        ImageColumnName = imageColumnName;
        Columns = columns;
        BatchSize = batchSize;
        SkipUnreadableImages = skipUnreadableImages;
        History = history;
        Scorer = new BatchScorer(model, preprocessing, device);
    }

    /// <summary>The trained network (on the device it was trained on).</summary>
    public CnnModel Model { get; }

    /// <summary>How rows become network input: size, channels, scale, mean and standard deviation.</summary>
    public CnnPreprocessing Preprocessing { get; }

    /// <summary>Per-epoch training history.</summary>
    public IReadOnlyList<CnnEpochMetrics> History { get; }

    /// <summary>The image column read.</summary>
    public string ImageColumnName { get; }

    /// <summary>Rows per forward pass when scoring.</summary>
    public int BatchSize { get; }

    /// <summary>Whether unreadable images score as NaN with a missing PredictedLabel instead of failing.</summary>
    public bool SkipUnreadableImages { get; }

    /// <summary>Name of the Score column.</summary>
    public string ScoreColumnName => Columns.ScoreName;

    /// <summary>Name of the PredictedLabel column.</summary>
    public string PredictedLabelColumnName => Columns.PredictedLabelName;

    internal ScoreColumns Columns { get; }

    internal BatchScorer Scorer { get; }

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        InputColumns.CheckImage(inputSchema, ImageColumnName, Preprocessing);
        return Columns.OutputSchema(inputSchema);
    }

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
    /// Saves as the equivalent chain of ML.NET's own transformers (pixels, <c>ApplyOnnxModel</c> over the exported
    /// network, a key map), so <c>mlContext.Model.Save</c>/<c>Load</c> work and loading needs no MLNetCnn.
    /// </summary>
    /// <exception cref="NotSupportedException">The label has no text key values, or vector input needs resizing.</exception>
    public void Save(ModelSaveContext ctx)
    {
        var onnx = Path.Combine(Path.GetTempPath(), $"mlnetcnn-{Guid.NewGuid():N}.onnx");
        try
        {
            var chain = NativeScoringChain.Build(new MLContext(), Model, Preprocessing, ImageColumnName, Columns, onnx);
            ((ICanSaveModel)chain).Save(ctx);
        }
        finally
        {
            File.Delete(onnx);
        }
    }

    /// <summary>
    /// Saves in MLNetCnn's own format (weights, architecture, preprocessing, label values), which
    /// <c>mlContext.Cnn().LoadClassifier</c> reloads as this TorchSharp transformer, whose <see cref="Model"/> can train further.
    /// </summary>
    /// <param name="path">The file to write (atomically: write, then rename).</param>
    public void SaveCheckpoint(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        ClassifierCheckpoint.Save(this, path);
    }

    int IBatchOutputs.ValuesPerRow => Columns.Classes;

    int IBatchOutputs.AddedColumns => 2;

    DataViewSchema IBatchOutputs.OutputSchema(DataViewSchema input) => Columns.OutputSchema(input);

    float[] IBatchOutputs.Compute(Tensor rawImages) => Scorer.Probabilities(rawImages);

    ValueGetter<TValue> IBatchOutputs.Getter<TValue>(int addedColumn, ScoreGetters.Probabilities current) => addedColumn == 0
        ? ScoreGetters.Score<TValue>(current, Columns)
        : ScoreGetters.PredictedLabel<TValue>(current, Columns);

    /// <summary>Frees the network's native memory.</summary>
    public void Dispose() => Model.Dispose();
}
