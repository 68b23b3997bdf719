using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Data;
using MLNetCnn.Explanation;
using MLNetCnn.Internal;

namespace MLNetCnn;

/// <summary>Estimator of <see cref="CnnExplainerTransformer"/>: <c>mlContext.Transforms.CnnExplain(...)</c>. Fitting only checks the image column.</summary>
/// <remarks>
/// <list type="table">
/// <item><term>Does this estimator need to look at the data to train its parameters?</term><description>No</description></item>
/// <item><term>Input column</term><description>The classifier's image column</description></item>
/// <item><term>Output column</term><description>Vector of Single: a Grad-CAM heatmap, Height x Width, row-major, in [0, 1]</description></item>
/// <item><term>Exportable to ONNX / savable</term><description>No: Grad-CAM needs gradients</description></item>
/// </list>
/// </remarks>
public sealed class CnnExplainerEstimator : IEstimator<CnnExplainerTransformer>
{
    private readonly CnnClassifierTransformer classifier;
    private readonly string outputColumnName;
    private readonly int? targetClass;
    private readonly (string Name, TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> Module) layer;
    private readonly int batchSize;

    internal CnnExplainerEstimator(CnnClassifierTransformer classifier, string outputColumnName, string? label, string? layerName, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputColumnName);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        this.classifier = classifier;
        this.outputColumnName = outputColumnName;
        targetClass = label is null ? null : ClassIndex(classifier, label);
        layer = ExplanationLayer.Find(classifier.Model, classifier.Preprocessing, layerName);  // once, and an unknown layer fails here, not at Fit
        this.batchSize = batchSize;
    }

    /// <inheritdoc />
    public CnnExplainerTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        InputColumns.CheckImage(input.Schema, classifier.ImageColumnName, classifier.Preprocessing);
        return new CnnExplainerTransformer(classifier, outputColumnName, targetClass, layer, batchSize);
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (!inputSchema.Any(c => c.Name == classifier.ImageColumnName))
            throw Messages.MissingColumn("image", classifier.ImageColumnName, inputSchema.Select(c => c.Name), nameof(inputSchema));
        var output = MLNetInternals.NewColumn(outputColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, null);
        return new SchemaShape(inputSchema.Where(c => c.Name != outputColumnName).Append(output));
    }

    /// <summary>The index of <paramref name="label"/> among the classifier's classes.</summary>
    /// <exception cref="ArgumentException">The classifier has no such class; the message lists those it has.</exception>
    internal static int ClassIndex(CnnClassifierTransformer classifier, string label)
    {
        var index = classifier.LabelValues.ToList().IndexOf(label);
        return index >= 0
            ? index
            : throw new ArgumentException($"The classifier has no class '{label}'; its classes: {string.Join(", ", classifier.LabelValues)}.", nameof(label));
    }
}
