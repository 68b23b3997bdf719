using Microsoft.ML;
using MLNetCnn.Explanation;
using MLNetCnn.Scoring;

namespace MLNetCnn;

/// <summary>
/// Adds a Grad-CAM heatmap column (Height x Width floats in [0, 1] over the network's input) for each row's predicted class,
/// or for one given class: where the classifier looked. Computed lazily in batches with TorchSharp (it needs gradients).
/// </summary>
/// <remarks>
/// It does not save with <c>mlContext.Model.Save</c>: Grad-CAM needs the gradient of a class score with respect to a
/// layer's activations, and an ONNX inference graph has no backward pass. Save the classifier, and explain with MLNetCnn.
/// </remarks>
public sealed class CnnExplainerTransformer : CnnBatchedTransformer, IDisposable
{
    internal CnnExplainerTransformer(CnnClassifierTransformer classifier, string outputColumnName, int? targetClass,
        (string Name, TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> Module) layer, int batchSize)
        : base(CreateScoring(classifier, outputColumnName, targetClass, layer, batchSize))
    {
        LayerName = ((GradCamRunner)Scoring.Computation).LayerName;
        OutputColumnName = outputColumnName;
    }

    /// <summary>The layer whose activation maps are weighed.</summary>
    public string LayerName { get; }

    /// <summary>The heatmap column.</summary>
    public string OutputColumnName { get; }

    /// <exception cref="NotSupportedException">Always: see the remarks.</exception>
    private protected override ITransformer SavedChain(MLContext ml, string onnxPath)
        => throw new NotSupportedException(
            "A Grad-CAM explainer does not save: it needs gradients, which an ONNX inference graph does not have. Save the classifier, and explain with MLNetCnn.");

    /// <summary>Nothing to free beyond the classifier, which belongs to the caller.</summary>
    public void Dispose() => Scoring.Computation.Dispose();

    private static BatchScoring CreateScoring(CnnClassifierTransformer classifier, string outputColumnName, int? targetClass,
        (string Name, TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> Module) layer, int batchSize)
    {
        var runner = new GradCamRunner(classifier.Model, classifier.Preprocessing, layer, targetClass);
        return new BatchScoring(classifier.ImageColumnName, classifier.Preprocessing, batchSize, classifier.SkipUnreadableImages,
            new FeatureOutputs(outputColumnName, runner.ValuesPerRow), runner);
    }
}
