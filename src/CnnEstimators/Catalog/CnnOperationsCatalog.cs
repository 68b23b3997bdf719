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

    /// <summary>Loads a classifier saved with <see cref="CnnClassifierTransformer.SaveCheckpoint"/> as the TorchSharp transformer.</summary>
    /// <param name="path">The file.</param>
    /// <param name="device"><c>auto</c> (CUDA when available), <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</param>
    /// <param name="engine">What runs the network when it scores (see <see cref="CnnInferenceEngine"/>); a model class without an ONNX export
    /// scores through TorchSharp under <see cref="CnnInferenceEngine.Auto"/>.</param>
    /// <exception cref="InvalidDataException">The file is not an MLNetCnn classifier file, is corrupt, or names an architecture that is not registered.</exception>
    public CnnClassifierTransformer LoadClassifier(string path, string device = "auto", CnnInferenceEngine engine = CnnInferenceEngine.Auto)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!DeviceSelection.IsValid(device))
            throw new ArgumentException(Messages.InvalidDevice(device), nameof(device));
        return new CnnClassifierTransformer(ClassifierCheckpoint.Load(path, device), engine);
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
