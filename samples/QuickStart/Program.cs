// QuickStart: an ML.NET pipeline that trains a CNN on Fashion-MNIST (or your own image folder), evaluates it with
// ML.NET's evaluator, saves the model zip, reloads it and predicts a few images.
// By default it trains with the samples' fast recipe (CnnRecipes.Fast: one epoch, over 90% on Fashion-MNIST);
// --recipe plain is the earlier two-epoch recipe.
// Usage: dotnet run -c Release --project samples/QuickStart [-- --arch resnet20 --epochs 1 --recipe fast|plain --model fashion.zip]
//        [--data /usr/share/datasets/fashion-mnist | --images <root with one sub-folder per class> --size 64]
//        [--arch resnet18_cntk --weights IMAGENET1K_CNTK --size 64]   (fine-tune pretrained weights instead)
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn;
using MLNetCnn.Charts;
using MLNetCnn.Samples;

var arguments = new Arguments(args);
var arch = arguments.Get("--arch", "resnet20");
var plain = arguments.Get("--recipe", "fast") == "plain";
var epochs = arguments.Get("--epochs", plain ? 2 : 1);
var imageRoot = arguments.GetOrNull("--images");
var modelPath = arguments.Get("--model", Path.Combine(Path.GetTempPath(), "mlnetcnn-quickstart.zip"));

var ml = new MLContext(seed: 1);
var options = FashionMnistRows.ForPixels(plain ? CnnRecipes.Sgd(arch, epochs) : CnnRecipes.Fast(arch, epochs));
if (arguments.GetOrNull("--weights") is string weights)
{
    // Fine-tuning with the library's recipe, at a size 2 cores can train: the head alone first, then the whole network.
    WeightsDownload.Fetch(arch, weights);
    var recipe = FashionMnistRows.ForPixels(CnnRecipes.FineTuning(arch, weights, arguments.Get("--size", 64)));
    options = recipe with
    {
        Schedule = recipe.Schedule with { Epochs = epochs },
        FineTuning = recipe.FineTuning with { FreezeEpochs = Math.Min(recipe.FineTuning.FreezeEpochs, epochs - 1) },
    };
}
options = options with
{
    Progress = new Progress<CnnTrainingProgress>(p =>
    {
        if (p.IsEpochEnd || p.Batch % 100 == 0)
            Console.WriteLine(p.IsEpochEnd ? p.Message : $"  epoch {p.Epoch} batch {p.Batch}/{p.Batches}: loss {p.Loss:F4}, {p.ImagesPerSecond:F0} images/s");
    }),
};

IDataView train, test;
IEstimator<ITransformer> load;
if (imageRoot is null)
{
    var folder = arguments.Get("--data", FashionMnist.DefaultFolder);
    train = ml.Data.LoadFromEnumerable(FashionMnistRows.LoadRows(folder, train: true));
    test = ml.Data.LoadFromEnumerable(FashionMnistRows.LoadRows(folder, train: false));
    load = ml.Transforms.Conversion.MapValueToKey("Label");
    Console.WriteLine($"Fashion-MNIST from {folder}: {train.GetRowCount()} training and {test.GetRowCount()} test images; {arch}, {epochs} epoch(s)");
}
else
{
    // One sub-folder per class; a fifth of the images (stratified by nothing but a seeded shuffle) is held out.
    var split = ml.Data.TrainTestSplit(ImageFolder.Load(ml, imageRoot), testFraction: 0.2, seed: 1);
    (train, test) = (split.TrainSet, split.TestSet);
    options = options with
    {
        Columns = options.Columns with { Image = "Image" },
        Input = options.Input with { VectorShape = null, ImageSize = arguments.Get("--size", 64) },
    };
    load = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.LoadImages("Image", imageFolder: null, "ImagePath"));
    Console.WriteLine($"Images from {imageRoot}: {train.GetRowCount()} training and {test.GetRowCount()} test images; {arch} at {options.Input.ImageSize}x{options.Input.ImageSize}, {epochs} epoch(s)");
}
var pipeline = load
    .Append(ml.MulticlassClassification.Trainers.Cnn(options))
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

var clock = Stopwatch.StartNew();
var model = pipeline.Fit(train);
var trainSeconds = clock.Elapsed.TotalSeconds;
var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
Console.WriteLine($"test accuracy {metrics.MicroAccuracy:P2} (macro {metrics.MacroAccuracy:P2}), log-loss {metrics.LogLoss:F4}; training took {trainSeconds:F0} s");
Console.WriteLine(metrics.ConfusionMatrix.GetFormattedConfusionTable());

var reportPath = Path.ChangeExtension(modelPath, ".html");
CnnReport.Write(reportPath, model.OfType<CnnClassifierTransformer>().Single(), model.Transform(test),
    new CnnReportOptions { TrainingImages = train.GetRowCount(), TrainingTime = TimeSpan.FromSeconds(trainSeconds) });
Console.WriteLine($"report written to {reportPath}");

ml.Model.Save(model, train.Schema, modelPath);
// ML.NET writes the ONNX network to a temporary file while the model is loaded; disposing the chain deletes it.
using var reloaded = (TransformerChain<ITransformer>)new MLContext().Model.Load(modelPath, out _);
var reloadedMetrics = ml.MulticlassClassification.Evaluate(reloaded.Transform(test));
Console.WriteLine($"saved {modelPath} ({new FileInfo(modelPath).Length / 1024} KiB); reloaded model: test accuracy {reloadedMetrics.MicroAccuracy:P2}");

if (imageRoot is null)
    PredictFew<FashionMnistRows.Row>(row => row.Label);
else
    PredictFew<ImageFolderRow>(row => $"{row.Label} ({Path.GetFileName(row.ImagePath)})");

void PredictFew<TRow>(Func<TRow, string> describe) where TRow : class, new()
{
    var engine = ml.Model.CreatePredictionEngine<TRow, Prediction>(reloaded);
    foreach (var row in ml.Data.CreateEnumerable<TRow>(test, reuseRowObject: false).Take(5))
        Console.WriteLine($"actual {describe(row),-24} predicted {engine.Predict(row).PredictedLabel}");
}

internal sealed class Prediction
{
    public string PredictedLabel { get; set; } = "";
}
