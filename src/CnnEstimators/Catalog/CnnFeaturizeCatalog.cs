using Microsoft.ML;
using MLNetCnn.Internal;
using MLNetCnn.Zoo;

namespace MLNetCnn;

/// <summary>The CNN featurizer in ML.NET's transforms catalog.</summary>
public static class CnnFeaturizeCatalog
{
    /// <summary>The pre-logits features (or a layer's output) of a trained CNN classifier, with its preprocessing.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The feature vector column to add.</param>
    /// <param name="inputColumnName">The image column.</param>
    /// <param name="classifier">A trained classifier: its network and preprocessing are used.</param>
    /// <param name="layerName">A module name (as in the state_dict, e.g. <c>layer3</c>) whose output is taken, flattened; null for the pre-logits features.</param>
    /// <param name="batchSize">Rows per forward pass.</param>
    /// <param name="engine">What runs the network: by default ONNX Runtime on CPU, TorchSharp on CUDA; a named layer always uses TorchSharp.</param>
    public static CnnFeaturizerEstimator CnnFeaturize(this TransformsCatalog catalog, string outputColumnName, string inputColumnName,
        CnnClassifierTransformer classifier, string? layerName = null, int batchSize = 64, CnnInferenceEngine engine = CnnInferenceEngine.Auto)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(classifier);
        classifier.ThrowIfDisposedFor("CnnFeaturize");
        return new CnnFeaturizerEstimator(MLNetInternals.EnvironmentOf(catalog), classifier.Model, classifier.Preprocessing, outputColumnName, inputColumnName,
            layerName, batchSize, engine);
    }

    /// <summary>The pre-logits features (or a layer's output) of a network with weights, e.g. <c>DnnFeaturizerResNet18.Import()</c>.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The feature vector column to add.</param>
    /// <param name="inputColumnName">The image column.</param>
    /// <param name="model">The network.</param>
    /// <param name="preprocessing">How images become its input; default <see cref="CnnPreprocessing.ForImages"/> of the model (its own
    /// normalisation when it carries one, as pretrained models do).</param>
    /// <param name="layerName">A module name whose output is taken, flattened; null for the pre-logits features.</param>
    /// <param name="batchSize">Rows per forward pass.</param>
    /// <param name="engine">What runs the network: by default ONNX Runtime on CPU, TorchSharp on CUDA; a named layer always uses TorchSharp.</param>
    public static CnnFeaturizerEstimator CnnFeaturize(this TransformsCatalog catalog, string outputColumnName, string inputColumnName,
        CnnModel model, CnnPreprocessing? preprocessing = null, string? layerName = null, int batchSize = 64, CnnInferenceEngine engine = CnnInferenceEngine.Auto)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        return new(MLNetInternals.EnvironmentOf(catalog), model, preprocessing ?? CnnPreprocessing.ForImages(model), outputColumnName, inputColumnName,
            layerName, batchSize, engine);
    }
}
