using Microsoft.ML.Data;
using MLNetCnn.Data;

namespace MLNetCnn.Explanation;

/// <summary>Grad-CAM for one picture: read as scoring reads it, explained, and scored by the classifier's own engine.</summary>
internal static class SingleImageExplanation
{
    public static CnnExplanation Explain(CnnClassifierTransformer classifier, MLImage image, string? label, string? layerName)
    {
        ArgumentNullException.ThrowIfNull(image);
        var p = classifier.Preprocessing;
        if (p.InputKind != CnnInputKind.Image)
            throw new NotSupportedException(
                $"This classifier reads pixel vectors from '{classifier.ImageColumnName}', not images: explain its rows with mlContext.Transforms.CnnExplain.");
        if ((long)image.Width * image.Height > CnnImageLimits.MaxPixels)
            throw new InvalidDataException(
                $"The image is {image.Width}x{image.Height} pixels, over the limit of {CnnImageLimits.MaxPixels:N0} (CnnImageLimits.MaxPixels).");
        var explained = label is null ? (int?)null : CnnExplainerEstimator.ClassIndex(classifier, label);
        var batch = PixelBuffer.Allocate(p, 1);
        batch.Count = 1;
        batch.ReadImage(image, 0);
        using var gradCam = new GradCamRunner(classifier.Model, p, layerName, explained);
        var heat = gradCam.Run(batch);
        classifier.Runner.BeginScoring();
        var scores = classifier.Runner.Run(batch);
        var classes = classifier.LabelValues;
        var predicted = Array.IndexOf(scores, scores.Max());
        var index = explained ?? predicted;
        return new CnnExplanation(heat, p.Height, p.Width, classes[index], scores[index], classes[predicted], gradCam.LayerName);
    }
}
