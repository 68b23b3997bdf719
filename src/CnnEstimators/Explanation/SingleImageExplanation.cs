using Microsoft.ML.Data;
using MLNetCnn.Data;

namespace MLNetCnn.Explanation;

/// <summary>Grad-CAM for one picture or pixel vector: read as scoring reads it, explained, and scored by the classifier's own engine.</summary>
internal static class SingleImageExplanation
{
    public static CnnExplanation Explain(CnnClassifierTransformer classifier, MLImage image, string? label, string? layerName)
    {
        ArgumentNullException.ThrowIfNull(image);
        var p = classifier.Preprocessing;
        if (p.InputKind != CnnInputKind.Image)
            throw new NotSupportedException(
                $"This classifier reads pixel vectors from '{classifier.ImageColumnName}', not pictures: explain a row's vector instead.");
        CnnImageLimits.Check(image.Width, image.Height, "The image to explain");
        var batch = PixelBuffer.Allocate(p, 1);
        batch.Count = 1;
        batch.ReadImage(image, 0);
        return Explain(classifier, batch, label, layerName);
    }

    public static CnnExplanation Explain(CnnClassifierTransformer classifier, ReadOnlySpan<float> pixels, string? label, string? layerName)
    {
        var p = classifier.Preprocessing;
        if (p.VectorShape is not var (c, h, w))
            throw new NotSupportedException($"This classifier reads pictures from '{classifier.ImageColumnName}', not pixel vectors: explain an MLImage instead.");
        if (pixels.Length != c * h * w)
            throw new ArgumentException($"The pixel vector has {pixels.Length} values; this classifier reads {c}*{h}*{w} = {c * h * w}.", nameof(pixels));
        var batch = PixelBuffer.Allocate(p, 1);
        batch.Count = 1;
        batch.ReadVector(pixels, 0);
        return Explain(classifier, batch, label, layerName);
    }

    private static CnnExplanation Explain(CnnClassifierTransformer classifier, PixelBuffer batch, string? label, string? layerName)
    {
        var p = classifier.Preprocessing;
        var explained = label is null ? (int?)null : CnnExplainerEstimator.ClassIndex(classifier, label);
        using var gradCam = new GradCamRunner(classifier.Model, p, ExplanationLayer.Find(classifier.Model, p, layerName), explained);
        var heat = gradCam.Run(batch);
        classifier.Runner.BeginScoring();
        var scores = classifier.Runner.Run(batch);
        var classes = classifier.LabelValues;
        var predicted = Array.IndexOf(scores, scores.Max());
        var index = explained ?? predicted;
        return new CnnExplanation(heat, p.Height, p.Width, classes[index], scores[index], classes[predicted], gradCam.LayerName);
    }
}
