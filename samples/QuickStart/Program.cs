// QuickStart: an ML.NET pipeline that trains a CNN on Fashion-MNIST, evaluates it with ML.NET's evaluator,
// saves the model zip, reloads it and predicts a few images.
// Usage: dotnet run -c Release --project samples/QuickStart [-- --arch resnet20 --epochs 2 --data /usr/share/datasets/fashion-mnist --model fashion.zip]
using System.Diagnostics;
using Microsoft.ML;
using MLNetCnn;
using MLNetCnn.Samples.QuickStart;

var arch = Option("--arch", "resnet20");
var epochs = int.Parse(Option("--epochs", "2"));
var folder = Option("--data", FashionMnist.DefaultFolder);
var modelPath = Option("--model", Path.Combine(Path.GetTempPath(), "mlnetcnn-fashion-mnist.zip"));

var ml = new MLContext(seed: 1);
var train = ml.Data.LoadFromEnumerable(FashionMnist.LoadRows(folder, train: true));
var test = ml.Data.LoadFromEnumerable(FashionMnist.LoadRows(folder, train: false));
Console.WriteLine($"Fashion-MNIST from {folder}: {train.GetRowCount()} training and {test.GetRowCount()} test images; {arch}, {epochs} epoch(s)");

var options = new CnnTrainerOptions
{
    Architecture = arch,
    ImageColumnName = "Pixels",
    VectorShape = (1, 28, 28),        // grey 28x28 pixels, 0-255
    Epochs = epochs,
    BatchSize = 128,
    LearningRate = 0.1,
    Nesterov = true,
    Schedule = CnnLearningRateSchedule.Cosine,
    WarmupEpochs = 0.2,
    RandomCropPadding = 2,
    HorizontalFlip = true,
    Progress = new Progress<CnnTrainingProgress>(p =>
    {
        if (p.IsEpochEnd || p.Batch % 100 == 0)
            Console.WriteLine(p.IsEpochEnd ? p.Message : $"  epoch {p.Epoch} batch {p.Batch}/{p.Batches}: loss {p.Loss:F4}, {p.ImagesPerSecond:F0} images/s");
    }),
};
var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
    .Append(ml.MulticlassClassification.Trainers.Cnn(options))
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

var clock = Stopwatch.StartNew();
var model = pipeline.Fit(train);
var trainSeconds = clock.Elapsed.TotalSeconds;
var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
Console.WriteLine($"test accuracy {metrics.MicroAccuracy:P2} (macro {metrics.MacroAccuracy:P2}), log-loss {metrics.LogLoss:F4}; training took {trainSeconds:F0} s");
Console.WriteLine(metrics.ConfusionMatrix.GetFormattedConfusionTable());

ml.Model.Save(model, train.Schema, modelPath);
var reloaded = new MLContext().Model.Load(modelPath, out _);
var reloadedMetrics = ml.MulticlassClassification.Evaluate(reloaded.Transform(test));
Console.WriteLine($"saved {modelPath} ({new FileInfo(modelPath).Length / 1024} KiB); reloaded model: test accuracy {reloadedMetrics.MicroAccuracy:P2}");

var engine = ml.Model.CreatePredictionEngine<FashionMnist.Row, Prediction>(reloaded);
foreach (var row in ml.Data.CreateEnumerable<FashionMnist.Row>(test, reuseRowObject: false).Take(5))
    Console.WriteLine($"actual {row.Label,-12} predicted {engine.Predict(row).PredictedLabel}");

string Option(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

internal sealed class Prediction
{
    public string PredictedLabel { get; set; } = "";
}
