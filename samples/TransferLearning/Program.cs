// TransferLearning: ImageNet-pretrained ResNet-18 features of Fashion-MNIST images fed to an ML.NET trainer
// (L-BFGS maximum entropy), against the same trainer on the raw pixels; then the same with the int8 network.
// Usage: dotnet run -c Release --project samples/TransferLearning [-- --train 1000 --test 500 --data <folder>]
using System.Diagnostics;
using Microsoft.ML;
using MLNetCnn;
using MLNetCnn.Samples;
using MLNetCnn.Zoo;

var arguments = new Arguments(args);
var folder = arguments.Get("--data", FashionMnist.DefaultFolder);
var trainCount = arguments.Get("--train", 1000);
var testCount = arguments.Get("--test", 500);

var ml = new MLContext(seed: 1);
var train = ml.Data.LoadFromEnumerable(FashionMnistRows.LoadRows(folder, train: true, trainCount));
var test = ml.Data.LoadFromEnumerable(FashionMnistRows.LoadRows(folder, train: false, testCount));
Console.WriteLine($"Fashion-MNIST: {trainCount} training and {testCount} test images");

// The raw-pixel baseline: min-max scaled pixels straight into the trainer.
var clock = Stopwatch.StartNew();
var pixelsPipeline = ml.Transforms.Conversion.MapValueToKey("Label")
    .Append(ml.Transforms.NormalizeMinMax("Features", "Pixels"))
    .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy());
var pixelsMetrics = ml.MulticlassClassification.Evaluate(pixelsPipeline.Fit(train).Transform(test));
Console.WriteLine($"raw pixels -> L-BFGS:         accuracy {pixelsMetrics.MicroAccuracy:P2}, log-loss {pixelsMetrics.LogLoss:F3} ({clock.Elapsed.TotalSeconds:F0} s)");

// The pretrained network as a featurizer: the grey 28x28 vector becomes a 3x224x224 image (grey copied to R, G
// and B, bilinear resize) with 0-255 values, which is what the CNTK ResNet-18 expects (its mean image is inside).
// Twice: the float network, then its int8 version (calibrated on rows of the training data when the featurizer is fitted).
using var resnet = DnnFeaturizerResNet18.Import();
var preprocessing = new CnnPreprocessing(CnnInputKind.Vector, resnet.DefaultNormalization!, VectorShape: (1, 28, 28));
var fp32 = FeaturesIntoLbfgs(CnnInferenceEngine.Auto, "fp32");
var int8 = FeaturesIntoLbfgs(CnnInferenceEngine.OnnxRuntimeInt8, "int8");
Console.WriteLine($"transfer learning gains {(fp32.MicroAccuracy - pixelsMetrics.MicroAccuracy) * 100:+0.0;-0.0} accuracy points over raw pixels; " +
    $"int8 features change the accuracy by {(int8.MicroAccuracy - fp32.MicroAccuracy) * 100:+0.00;-0.00} points");

Microsoft.ML.Data.MulticlassClassificationMetrics FeaturesIntoLbfgs(CnnInferenceEngine engine, string name)
{
    var clock = Stopwatch.StartNew();
    var featurizer = ml.Transforms.Conversion.MapValueToKey("Label")
        .Append(ml.Transforms.CnnFeaturize("Features", "Pixels", resnet, preprocessing, batchSize: 32, engine: engine))
        .Fit(train);
    // The trainer passes over its data many times: featurize once and cache, instead of running the CNN on every pass.
    var trainFeatures = ml.Data.Cache(featurizer.Transform(train));
    var testFeatures = ml.Data.Cache(featurizer.Transform(test));
    var featureCount = 0;
    foreach (var view in new[] { trainFeatures, testFeatures })
        using (var cursor = view.GetRowCursor(view.Schema))
            while (cursor.MoveNext())
                featureCount++;
    var featurizeSeconds = clock.Elapsed.TotalSeconds;
    Console.WriteLine($"ResNet-18 {name} features (512 per image) of {featureCount} images in {featurizeSeconds:F0} s ({featureCount / featurizeSeconds:F0} images/s)");

    clock.Restart();
    var trainer = ml.Transforms.NormalizeMinMax("Features").Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy());
    var metrics = ml.MulticlassClassification.Evaluate(trainer.Fit(trainFeatures).Transform(testFeatures));
    Console.WriteLine($"ResNet-18 {name} features -> L-BFGS: accuracy {metrics.MicroAccuracy:P2}, log-loss {metrics.LogLoss:F3} ({clock.Elapsed.TotalSeconds:F0} s after featurizing)");
    foreach (var disposable in featurizer.OfType<IDisposable>())
        disposable.Dispose();
    return metrics;
}
