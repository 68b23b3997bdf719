using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Data;
using MLNetCnn.Persistence;
using MLNetCnn.Scoring;
using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn;

/// <summary>
/// A trained CNN in an ML.NET pipeline: <see cref="CnnBatchedTransformer.Transform"/> adds <c>Score</c> (softmax probabilities)
/// and <c>PredictedLabel</c> (a key with the training label's values), scoring lazily in batches.
/// </summary>
public sealed class CnnClassifierTransformer : CnnBatchedTransformer, IDisposable
{
    internal CnnClassifierTransformer(CnnModel model, CnnPreprocessing preprocessing, string imageColumnName, ScoreColumns columns,
        int batchSize, bool skipUnreadableImages, CnnInferenceEngine engine, IReadOnlyList<CnnEpochMetrics> history)
    {
        Model = model;
        Preprocessing = preprocessing;
        ImageColumnName = imageColumnName;
        Columns = columns;
        BatchSize = batchSize;
        SkipUnreadableImages = skipUnreadableImages;
        History = history;
        InferenceEngine = engine;
        Runner = NetworkRunner.Create(model, preprocessing, NetworkOutput.Probabilities, engine);
    }

    /// <summary>The trained network (on the device it was trained on).</summary>
    public CnnModel Model { get; }

    /// <summary>How rows become network input: size, channels, scale, mean and standard deviation.</summary>
    public override CnnPreprocessing Preprocessing { get; }

    /// <summary>Per-epoch training history.</summary>
    public IReadOnlyList<CnnEpochMetrics> History { get; }

    /// <inheritdoc />
    public override string ImageColumnName { get; }

    /// <inheritdoc />
    public override int BatchSize { get; }

    /// <summary>Whether unreadable images score as NaN with a missing PredictedLabel instead of failing.</summary>
    public override bool SkipUnreadableImages { get; }

    /// <summary>Name of the Score column.</summary>
    public string ScoreColumnName => Columns.ScoreName;

    /// <summary>Name of the PredictedLabel column.</summary>
    public string PredictedLabelColumnName => Columns.PredictedLabelName;

    internal ScoreColumns Columns { get; }

    /// <summary>What runs the network when this transformer scores (see <see cref="CnnTrainerOptions.InferenceEngine"/>).</summary>
    public CnnInferenceEngine InferenceEngine { get; }

    internal NetworkRunner Runner { get; }

    private protected override ITransformer SavedChain(MLContext ml, string onnxPath)
        => NativeScoringChain.Build(ml, Model, Preprocessing, ImageColumnName, Columns, onnxPath);

    private protected override DataViewSchema AddColumns(DataViewSchema input) => Columns.OutputSchema(input);

    private protected override int RowWidth => Columns.Classes;

    private protected override int AddedColumnCount => 2;

    private protected override void BeginScoring() => Runner.BeginScoring();

    private protected override float[] Compute(PixelBatch batch) => Runner.Run(batch);

    private protected override ValueGetter<TValue> Getter<TValue>(int addedColumn, ScoreGetters.Probabilities current) => addedColumn == 0
        ? ScoreGetters.Score<TValue>(current, Columns)
        : ScoreGetters.PredictedLabel<TValue>(current, Columns);

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

    /// <summary>Frees the network's native memory and its inference session.</summary>
    public void Dispose()
    {
        Runner.Dispose();
        Model.Dispose();
    }
}
