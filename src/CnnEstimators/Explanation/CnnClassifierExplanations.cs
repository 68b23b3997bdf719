using Microsoft.ML.Data;
using MLNetCnn.Explanation;

namespace MLNetCnn;

/// <summary>Grad-CAM on a trained classifier, one picture or pixel vector at a time: <c>classifier.Explain(image)</c>.</summary>
public static class CnnClassifierExplanations
{
    /// <summary>Grad-CAM for one picture: where the network looked to score <paramref name="label"/> (default: the class it predicts).</summary>
    /// <param name="classifier">The trained classifier.</param>
    /// <param name="image">The picture, at any size (it is resized as scoring resizes it).</param>
    /// <param name="label">The class to explain; null for the predicted class.</param>
    /// <param name="layerName">The layer whose activation maps are weighed (a state_dict-style module name); null for the last convolutional stage.</param>
    /// <exception cref="ArgumentException">No such class, or no such layer (the message lists those that exist).</exception>
    /// <exception cref="NotSupportedException">The classifier reads pixel vectors, not images.</exception>
    public static CnnExplanation Explain(this CnnClassifierTransformer classifier, MLImage image, string? label = null, string? layerName = null)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        classifier.ThrowIfDisposedFor("Explain");
        return SingleImageExplanation.Explain(classifier, image, label, layerName);
    }

    /// <summary>Grad-CAM for one row of a classifier that reads pixel vectors (C x H x W floats in its vector shape, as its column holds them).</summary>
    /// <param name="classifier">The trained classifier.</param>
    /// <param name="pixels">The row's pixel vector.</param>
    /// <param name="label">The class to explain; null for the predicted class.</param>
    /// <param name="layerName">The layer whose activation maps are weighed; null for the last convolutional stage.</param>
    /// <exception cref="ArgumentException">The vector's length is not the vector shape's, or no such class or layer.</exception>
    /// <exception cref="NotSupportedException">The classifier reads pictures, not vectors.</exception>
    public static CnnExplanation Explain(this CnnClassifierTransformer classifier, ReadOnlySpan<float> pixels, string? label = null, string? layerName = null)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        classifier.ThrowIfDisposedFor("Explain");
        return SingleImageExplanation.Explain(classifier, pixels, label, layerName);
    }
}
