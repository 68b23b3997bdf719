using Microsoft.ML;
using MLNetCnn.Persistence;
using MLNetCnn.Zoo;

namespace MLNetCnn;

/// <summary>What MLNetCnn offers beyond ML.NET's catalogs: <c>mlContext.Cnn()</c>.</summary>
public sealed class CnnOperationsCatalog
{
    internal CnnOperationsCatalog(MLContext context) => Context = context;

    /// <summary>The context this catalog belongs to.</summary>
    public MLContext Context { get; }

    /// <summary>The architectures the trainer can build by name.</summary>
    public IReadOnlyList<string> Architectures => CnnZoo.Names;

    /// <summary>An experiment that trains each candidate architecture and ranks them (see <see cref="CnnExperiment"/>).</summary>
    public CnnExperiment CreateExperiment(CnnExperimentSettings settings) => new(Context, settings);

    /// <summary>
    /// An architecture and hyperparameter search under a time budget (successive halving by default): set its data, budget and
    /// limits with the <c>Set*</c> methods, then <see cref="CnnSearchExperiment.Run"/>.
    /// </summary>
    public CnnSearchExperiment CreateSearch() => new(Context);

    /// <summary>
    /// The learning-rate range test (fastai's <c>lr_find</c>): trains a copy of the run <paramref name="options"/> describe for
    /// <paramref name="steps"/> batches at learning rates rising exponentially from <paramref name="minRate"/> to
    /// <paramref name="maxRate"/>, records the loss, stops when it diverges, and suggests a rate. The options' model (when one is
    /// given) is left with the weights it had.
    /// </summary>
    /// <param name="data">Training rows, with the options' image and key label columns.</param>
    /// <param name="options">The run to tune: architecture or model, weights, batch size, optimiser, augmentation.</param>
    /// <param name="steps">Batches to try (the data is cycled when it has fewer).</param>
    /// <param name="minRate">The first learning rate.</param>
    /// <param name="maxRate">The last learning rate.</param>
    /// <exception cref="ArgumentException">The rates or steps are out of range, or the data gives fewer than two batches.</exception>
    public CnnLearningRateCurve FindLearningRate(IDataView data, CnnTrainerOptions options, int steps = 100, double minRate = 1e-7, double maxRate = 10)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (steps < 5)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, "The learning-rate finder needs at least 5 steps to draw a curve.");
        if (!(minRate > 0) || !(maxRate > minRate) || !double.IsFinite(maxRate))
            throw new ArgumentException($"The rates must satisfy 0 < minRate < maxRate (finite); got {minRate} and {maxRate}.", nameof(minRate));
        return Context.MulticlassClassification.Trainers.Cnn(options).FindLearningRate(data, steps, minRate, maxRate);
    }

    /// <summary>Loads a classifier saved with <see cref="CnnClassifierTransformer.SaveCheckpoint"/> as the TorchSharp transformer.</summary>
    /// <param name="path">The file.</param>
    /// <param name="device"><c>auto</c> (CUDA when available), <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</param>
    /// <param name="engine">What runs the network when it scores (see <see cref="CnnInferenceEngine"/>); a model class without an ONNX export
    /// scores through TorchSharp under <see cref="CnnInferenceEngine.Auto"/>. A checkpoint of a quantized classifier scores its int8 graph under
    /// <see cref="CnnInferenceEngine.Auto"/> and <see cref="CnnInferenceEngine.OnnxRuntimeInt8"/>.</param>
    /// <exception cref="ArgumentException"><see cref="CnnInferenceEngine.OnnxRuntimeInt8"/> was asked for a checkpoint without an int8 graph.</exception>
    /// <exception cref="InvalidDataException">The file is not an MLNetCnn classifier file, is corrupt, or names an architecture that is not registered.</exception>
    public CnnClassifierTransformer LoadClassifier(string path, string device = "auto", CnnInferenceEngine engine = CnnInferenceEngine.Auto)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!DeviceSelection.IsValid(device))
            throw new ArgumentException(Messages.InvalidDevice(device), nameof(device));
        var contents = ClassifierCheckpoint.Load(path, device);
        if (engine == CnnInferenceEngine.OnnxRuntimeInt8 && contents.QuantizedGraph is null)
        {
            contents.Model.Dispose();
            throw new ArgumentException(
                $"'{path}' holds a float classifier, with no int8 graph to score with OnnxRuntimeInt8. Load it with another engine, call Quantize(calibrationData), " +
                "and save that classifier's checkpoint.", nameof(engine));
        }
        return new CnnClassifierTransformer(contents, engine);
    }
}

/// <summary>The <c>mlContext.Cnn()</c> entry point.</summary>
public static class CnnContextExtensions
{
    /// <summary>MLNetCnn's operations that have no ML.NET catalog: loading classifiers, the architectures.</summary>
    public static CnnOperationsCatalog Cnn(this MLContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new CnnOperationsCatalog(context);
    }
}
