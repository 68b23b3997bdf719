using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace MLNetCnn.Explanation;

/// <summary>Grad-CAM for one picture: the image as a one-row data view, through the explainer and the classifier.</summary>
internal static class SingleImageExplanation
{
    private const string Heat = "Heatmap";

    public static CnnExplanation Explain(CnnClassifierTransformer classifier, MLImage image, string? label, string? layerName)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (classifier.Preprocessing.InputKind != CnnInputKind.Image)
            throw new NotSupportedException(
                $"This classifier reads pixel vectors from '{classifier.ImageColumnName}', not images: explain its rows with mlContext.Transforms.CnnExplain.");
        var ml = new MLContext();
        var definition = SchemaDefinition.Create(typeof(OneImage));
        definition[nameof(OneImage.Image)].ColumnName = classifier.ImageColumnName;
        definition[nameof(OneImage.Image)].ColumnType = new ImageDataViewType(image.Height, image.Width);
        // A copy: ML.NET's image getters dispose what they hand out, and the picture belongs to the caller.
        using var copy = MLImage.CreateFromPixels(image.Width, image.Height, image.PixelFormat, image.Pixels);
        var view = ml.Data.LoadFromEnumerable([new OneImage { Image = copy }], definition);
        using var explainer = new CnnExplainerEstimator(classifier, Heat, label, layerName, batchSize: 1).Fit(view);
        var heat = ReadVector(explainer.Transform(view), Heat);
        var scores = ReadVector(classifier.Transform(view), classifier.ScoreColumnName);
        var classes = classifier.LabelValues;
        var predicted = Array.IndexOf(scores, scores.Max());
        var explained = label is null ? predicted : CnnExplainerEstimator.ClassIndex(classifier, label);
        return new CnnExplanation(heat, classifier.Preprocessing.Height, classifier.Preprocessing.Width, classes[explained], scores[explained],
            classes[predicted], explainer.LayerName);
    }

    private static float[] ReadVector(IDataView view, string column)
    {
        using var cursor = view.GetRowCursor(view.Schema.Where(c => c.Name == column));
        var getter = cursor.GetGetter<VBuffer<float>>(view.Schema[column]);
        var values = default(VBuffer<float>);
        cursor.MoveNext();
        getter(ref values);
        return values.DenseValues().ToArray();
    }

    private sealed class OneImage
    {
        // The attribute makes ML.NET map MLImage to its image type; the schema definition sets the picture's real size.
        [ImageType(1, 1)]
        public MLImage Image { get; set; } = null!;
    }
}
