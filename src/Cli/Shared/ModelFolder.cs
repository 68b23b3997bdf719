using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetCnn.Cli;

/// <summary>The files of a folder <c>mlnetcnn train --out DIR</c> writes, and loading its classifier.</summary>
internal static class ModelFolder
{
    /// <summary>The ML.NET model (<c>mlContext.Model.Load</c> reads it without MLNetCnn).</summary>
    public const string ModelZip = "model.zip";

    /// <summary>MLNetCnn's checkpoint (<c>mlContext.Cnn().LoadClassifier</c>): weights, architecture, preprocessing, classes.</summary>
    public const string Checkpoint = "classifier.mlnetcnn";

    /// <summary>The validation metrics, as JSON.</summary>
    public const string Metrics = "metrics.json";

    /// <summary>The report page (summary, curves, confusion matrix, mistakes with Grad-CAM) on the validation images.</summary>
    public const string Report = "report.html";

    /// <summary>Training curves (loss and accuracy per epoch), PNG.</summary>
    public const string Curves = "training-curves.png";

    /// <summary>The training checkpoint kept while training runs (and after an interruption, for <c>--resume</c>).</summary>
    public const string TrainingState = "training.ckpt";

    /// <summary>The classifier of <paramref name="folder"/>.</summary>
    /// <exception cref="CliUserException">The folder or its checkpoint is missing.</exception>
    /// <summary>
    /// Writes what <c>evaluate</c> and <c>predict</c> read into <paramref name="folder"/>: the ML.NET model zip (image loading, the
    /// classifier, the label back to text), the classifier's checkpoint and the validation metrics with <paramref name="facts"/>.
    /// </summary>
    /// <returns>The validation metrics.</returns>
    public static MetricsReport Write(MLContext ml, OutputFolder folder, TrainingData data, CnnClassifierTransformer classifier, IReadOnlyDictionary<string, object> facts)
    {
        var model = new TransformerChain<ITransformer>(data.Loading, classifier,
            ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(classifier.Transform(data.Train)));
        classifier.SaveCheckpoint(folder.File(Checkpoint));
        ml.Model.Save(model, data.RawTrain.Schema, folder.File(ModelZip));
        var metrics = MetricsReport.From(ml.MulticlassClassification.Evaluate(classifier.Transform(data.Validation)), classifier.LabelValues);
        File.WriteAllText(folder.File(Metrics), metrics.ToJson(facts));
        return metrics;
    }

    public static CnnClassifierTransformer LoadClassifier(MLContext ml, string folder, string device = "auto")
    {
        if (!Directory.Exists(folder))
            throw new CliUserException($"--model: folder '{folder}' does not exist; give the folder 'mlnetcnn train --out' wrote.");
        var checkpoint = Path.Combine(folder, Checkpoint);
        if (!File.Exists(checkpoint))
            throw new CliUserException($"--model: '{folder}' holds no {Checkpoint}; give the folder 'mlnetcnn train --out' wrote.");
        return ml.Cnn().LoadClassifier(checkpoint, device);
    }
}
