using Microsoft.ML;

namespace MLNetCnn;

/// <summary>Grad-CAM explanations in ML.NET's transforms catalog.</summary>
public static class CnnExplainCatalog
{
    /// <summary>Adds a Grad-CAM heatmap column: where <paramref name="classifier"/> looked, for each row's predicted class or for <paramref name="label"/>.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The heatmap column to add: Height x Width floats in [0, 1], row-major, over the network's input.</param>
    /// <param name="classifier">A trained classifier; its image column and preprocessing are used.</param>
    /// <param name="label">Explain this class in every row; null for each row's predicted class.</param>
    /// <param name="layerName">The layer whose activation maps are weighed (a state_dict-style module name); null for the last convolutional stage.</param>
    /// <param name="batchSize">Rows per forward and backward pass.</param>
    /// <exception cref="ArgumentException">The classifier has no such class, or its network no such layer (the message lists those that exist).</exception>
    public static CnnExplainerEstimator CnnExplain(this TransformsCatalog catalog, string outputColumnName, CnnClassifierTransformer classifier,
        string? label = null, string? layerName = null, int batchSize = 16)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(classifier);
        classifier.ThrowIfDisposedFor("CnnExplain");
        return new CnnExplainerEstimator(classifier, outputColumnName, label, layerName, batchSize);
    }
}
