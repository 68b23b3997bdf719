using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Persistence;
using MLNetCnn.Quantization;
using MLNetCnn.Scoring;
using MLNetCnn.Zoo;

namespace MLNetCnn;

/// <summary>
/// A trained CNN in an ML.NET pipeline: <see cref="CnnBatchedTransformer.Transform"/> adds <c>Score</c> (softmax probabilities)
/// and <c>PredictedLabel</c> (a key with the training label's values), scoring lazily in batches.
/// </summary>
public sealed class CnnClassifierTransformer : CnnBatchedTransformer, IDisposable
{
    private readonly bool ownsModel;
    private bool disposed;

    internal CnnClassifierTransformer(ClassifierCheckpoint.Contents parts, CnnInferenceEngine engine, bool ownsModel = true)
        : base(new BatchScoring(parts.ImageColumnName, parts.Preprocessing, parts.BatchSize, parts.SkipUnreadableImages, parts.Outputs,
            NetworkRunner.Create(parts.Model, parts.Preprocessing, NetworkOutput.Probabilities, engine, parts.TestTime, parts.QuantizedGraph)))
    {
        Model = parts.Model;
        Outputs = parts.Outputs;
        History = parts.History;
        TrainingEnd = parts.TrainingEnd;
        TrainerOptions = parts.TrainerOptions;
        InferenceEngine = engine;
        TestTime = parts.TestTime ?? TestTimeAugmentation.None;
        QuantizedGraph = parts.QuantizedGraph;
        Runner = (NetworkRunner)Scoring.Computation;
        this.ownsModel = ownsModel;
    }

    /// <summary>The trained network (on the device it was trained on).</summary>
    public CnnModel Model { get; }

    /// <summary>Per-epoch training history.</summary>
    public IReadOnlyList<CnnEpochMetrics> History { get; }

    /// <summary>
    /// How its training ended: all epochs, early stopping, the deadline (<see cref="CnnRuntimeOptions.MaxTrainingTime"/>) or a
    /// request (<see cref="CnnTrainerOptions.EpochEnd"/>), after how much training, and which epoch's weights it holds.
    /// Null for a classifier not trained by <c>Fit</c> (or loaded from a checkpoint written before this was recorded).
    /// </summary>
    public CnnTrainingEnd? TrainingEnd { get; }

    /// <summary>
    /// The configuration it was trained with, as <see cref="CnnTrainerOptions.ToJson"/> writes it (the model's architecture and
    /// arguments as built; no hooks, model object or validation rows): kept in classifier checkpoints and, as the ONNX metadata
    /// <c>mlnetcnn.trainer_options</c>, in the graph <c>mlContext.Model.Save</c> writes. Null for a classifier not trained by <c>Fit</c>.
    /// </summary>
    public CnnTrainerOptions? TrainerOptions { get; }

    /// <summary>
    /// The classes, in the order of the <c>Score</c> vector's slots and the <c>PredictedLabel</c> key's values (the key numbers
    /// "1".."n" when the training label had no text values).
    /// </summary>
    public IReadOnlyList<string> LabelValues => Outputs.TextLabelValues()
        ?? Enumerable.Range(1, Outputs.Classes).Select(key => key.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    /// <summary>Whether scores are the mean of each image's and its mirror image's (test-time augmentation, also in the saved model).</summary>
    public bool TestTimeFlip => TestTime.Flip;

    /// <summary>
    /// Side of the five test-time crops (corners and centre, each resized back to the input size) whose scores are averaged with
    /// the whole image's (also in the saved model); null for none. See <see cref="CnnTestTimeOptions.CropSize"/>.
    /// </summary>
    public int? TestTimeCropSize => TestTime.CropSize;

    internal TestTimeAugmentation TestTime { get; }

    /// <summary>Name of the Score column.</summary>
    public string ScoreColumnName => Outputs.ScoreName;

    /// <summary>Name of the PredictedLabel column.</summary>
    public string PredictedLabelColumnName => Outputs.PredictedLabelName;

    /// <summary>What runs the network when this transformer scores (see <see cref="CnnRuntimeOptions.InferenceEngine"/>).</summary>
    public CnnInferenceEngine InferenceEngine { get; }

    /// <summary>
    /// Whether this classifier scores through an int8 graph (<see cref="Quantize"/>) in ONNX Runtime. <see cref="Model"/> is then the float
    /// network it was quantized from, which Grad-CAM (<see cref="CnnClassifierExplanations"/>) uses.
    /// </summary>
    public bool IsQuantized => QuantizedGraph is not null;

    internal ClassifierOutputs Outputs { get; }

    /// <summary>The int8 graph in the runner's form (a batch of raw pixels in, probabilities out), or null.</summary>
    internal byte[]? QuantizedGraph { get; }

    internal NetworkRunner Runner { get; }

    /// <summary>The graph this classifier scores with in ONNX Runtime, float or int8: a batch of raw pixels in, probabilities out.</summary>
    internal byte[] ScoringGraph() => QuantizedGraph ?? OnnxRuntimeRunner.Graph(Model, Preprocessing, NetworkOutput.Probabilities, TestTime);

    private protected override ITransformer SavedChain(MLContext ml, string onnxPath)
        => NativeScoringChain.Classifier(ml, SingleImageGraph.FromBatched(ScoringGraph(), NativeScoringChain.Pixels, Outputs.ScoreName, NativeScoringChain.Index,
                TrainerOptions is { } options ? [(SingleImageGraph.TrainerOptionsKey, options.ToJson())] : null),
            Preprocessing, ImageColumnName, Outputs, onnxPath);

    /// <summary>
    /// Post-training static quantization: a classifier that scores through an int8 version of this network in ONNX Runtime, with
    /// batch norm folded into the convolutions, weights int8 per output channel and activations 8-bit over ranges calibrated on
    /// <paramref name="calibrationData"/> (a few hundred rows like those it will score). <c>mlContext.Model.Save</c> writes the int8
    /// graph, and <see cref="SaveCheckpoint"/> keeps it beside the float weights. This classifier is unchanged, and shares its
    /// <see cref="Model"/> with the result: dispose this one last.
    /// </summary>
    /// <param name="calibrationData">Rows with this classifier's image column; at most <see cref="CnnQuantizationOptions.MaxCalibrationRows"/> are read.</param>
    /// <param name="options">The calibration method and row count; null for MinMax over 256 rows.</param>
    /// <exception cref="ArgumentException">The image column is missing or of another type, or the data has fewer than
    /// <see cref="CnnQuantizationOptions.MinimumCalibrationRows"/> rows.</exception>
    /// <exception cref="ArgumentException">An option is out of range (the message lists each, and what is allowed).</exception>
    /// <exception cref="InvalidOperationException">This classifier is quantized already.</exception>
    /// <exception cref="NotSupportedException">The model has no ONNX export (a model class of the user's own).</exception>
    public CnnClassifierTransformer Quantize(IDataView calibrationData, CnnQuantizationOptions? options = null)
    {
        ThrowIfDisposed("Quantize");
        if (IsQuantized)
            throw new InvalidOperationException("This classifier is quantized already; quantize the float classifier it came from.");
        return QuantizedOn(CalibrationRows.Read(calibrationData, ImageColumnName, Preprocessing, options));
    }

    /// <summary>The int8 classifier calibrated on rows already read (an ensemble reads them once for all its members).</summary>
    internal CnnClassifierTransformer QuantizedOn(CalibrationSet calibration)
    {
        ThrowIfDisposed("Quantize");
        var graph = OnnxQuantizer.QuantizeNetwork(Model, Preprocessing, NetworkOutput.Probabilities, TestTime, calibration);
        return new CnnClassifierTransformer(Parts() with { QuantizedGraph = graph }, CnnInferenceEngine.OnnxRuntimeInt8, ownsModel: false);
    }

    /// <summary>
    /// Saves in MLNetCnn's own format (weights, architecture, preprocessing, label values), which
    /// <c>mlContext.Cnn().LoadClassifier</c> reloads as this TorchSharp transformer, whose <see cref="Model"/> can train further.
    /// </summary>
    /// <param name="path">The file to write (atomically: write, then rename).</param>
    /// <exception cref="NotSupportedException">
    /// The checkpoint could not be loaded again: the model's <see cref="CnnModel.Architecture"/> is not registered (or builds another
    /// shape), or the label has no text values. Nothing is written.
    /// </exception>
    public void SaveCheckpoint(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        ThrowIfDisposed("SaveCheckpoint");
        ClassifierCheckpoint.Save(path, Parts());
    }

    private ClassifierCheckpoint.Contents Parts() =>
        new(Model, Preprocessing, ImageColumnName, Outputs, BatchSize, SkipUnreadableImages, History, TestTime, QuantizedGraph, TrainingEnd, TrainerOptions);

    /// <summary>
    /// The key mapping that turns a text label column of <paramref name="data"/> into this classifier's label keys, in its class
    /// order (so ML.NET's evaluator compares like with like), fitted; data labelled in another order or subset maps right.
    /// </summary>
    /// <param name="ml">The context.</param>
    /// <param name="data">Labelled rows.</param>
    /// <param name="labelColumnName">The text label column.</param>
    /// <param name="outputColumnName">The key column to add; null replaces the label column.</param>
    /// <exception cref="ArgumentException">The data has classes this classifier does not know; the message names them.</exception>
    public ITransformer LabelKeys(MLContext ml, IDataView data, string labelColumnName = "Label", string? outputColumnName = null)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(data);
        var known = LabelValues;
        var unknown = data.GetColumn<string>(labelColumnName).Distinct().Where(label => !known.Contains(label)).Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"The data has classes the model does not know: {string.Join(", ", unknown)}; it knows {string.Join(", ", known)}.", nameof(data));
        var keys = ml.Data.LoadFromEnumerable(known.Select(label => new ClassName { Value = label }));
        return ml.Transforms.Conversion.MapValueToKey(outputColumnName ?? labelColumnName, labelColumnName, keyData: keys).Fit(data);
    }

    private sealed class ClassName
    {
        public string Value { get; set; } = "";
    }

    /// <summary>
    /// Whether <see cref="Dispose"/> ran: ML.NET's <c>PredictionEngine</c> disposes the transformer it was created from when the
    /// engine is disposed (unless created with <c>PredictionEngineOptions.OwnsTransformer</c> false), as does a chain that holds it.
    /// </summary>
    public bool IsDisposed => disposed;

    /// <summary>
    /// Frees the inference session, and the network's native memory unless it is shared with the classifier this one was quantized
    /// from. Using the classifier afterwards fails with an <see cref="ObjectDisposedException"/> that says so.
    /// </summary>
    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        Runner.Dispose();
        if (ownsModel)
            Model.Dispose();
    }

    /// <inheritdoc />
    private protected override void ThrowIfDisposed(string use) => ThrowIfDisposedFor(use);

    // The error for using a disposed classifier, saying what disposes one and what to do.
    private ObjectDisposedException Disposed(string use) => new(nameof(CnnClassifierTransformer),
        $"{use} needs this CnnClassifierTransformer ({Model.Architecture}), but it was disposed, and its network with it. ML.NET's PredictionEngine " +
        "disposes the transformer it was created from when the engine is disposed: create it with " +
        "CreatePredictionEngine<TIn, TOut>(model, new PredictionEngineOptions { OwnsTransformer = false }) " +
        "to keep the classifier, or load it again (mlContext.Model.Load, or mlContext.Cnn().LoadClassifier for a checkpoint).");

    /// <summary>Refuses <paramref name="use"/> of this classifier once it was disposed, saying what disposes one and what to do.</summary>
    internal void ThrowIfDisposedFor(string use)
    {
        if (disposed)
            throw Disposed(use);
    }
}
