// FineTuning: transfer learning on a small data set, three ways, on the same images and the same test set:
//   1. the ImageNet ResNet-18 as a frozen featurizer, then ML.NET's L-BFGS on its features (what ML.NET's
//      ImageClassificationTrainer does: a frozen network and a trained softmax);
//   2. the same network fine-tuned: the new head alone for --freeze epochs, then everything, the backbone at a tenth
//      of the head's learning rate; the learning rate is the finder's suggestion;
//   3. ResNet-20 from scratch, for about as long as the fine-tuning took.
// The pretrained network is the offline one of Microsoft.ML.DnnImageFeaturizer.ResNet18 (no download).
// Usage: dotnet run -c Release --project samples/FineTuning
//        [-- --train 1000 --test 10000 --size 64 --epochs 24 --freeze 2 --lr RATE --freeze-bn yes --data <fashion-mnist folder> | --images ROOT]
using System.Diagnostics;
using Microsoft.ML;
using MLNetCnn;
using MLNetCnn.Charts;
using MLNetCnn.Samples;
using MLNetCnn.Zoo;

var arguments = new Arguments(args);
var trainCount = arguments.Get("--train", 1000);
var testCount = arguments.Get("--test", 10000);
var size = arguments.Get("--size", 64);
var epochs = arguments.Get("--epochs", 24);
var freeze = arguments.Get("--freeze", 2);
var imageRoot = arguments.GetOrNull("--images");
var freezeBatchNorm = arguments.GetOrNull("--freeze-bn") is not null;

var ml = new MLContext(seed: 1);
IDataView train, test;
string column;
(int, int, int)? vectorShape;
if (imageRoot is null)
{
    var folder = arguments.Get("--data", FashionMnist.DefaultFolder);
    (train, test) = FashionMnistRows.LoadKeyed(ml, folder, trainCount, testCount);
    (column, vectorShape) = ("Pixels", (1, 28, 28));
    Console.WriteLine($"Fashion-MNIST: {trainCount} training and {testCount} test images, at {size}x{size}");
}
else
{
    var split = ml.Data.TrainTestSplit(ImageFolder.Load(ml, imageRoot), testFraction: 0.2, seed: 1);
    var load = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.LoadImages("Image", null, "ImagePath")).Fit(split.TrainSet);
    (train, test) = (load.Transform(split.TrainSet), load.Transform(split.TestSet));
    (column, vectorShape) = ("Image", null);
    Console.WriteLine($"Images from {imageRoot}, a fifth held out for the test, at {size}x{size}");
}

// 1. Frozen features + L-BFGS.
var clock = Stopwatch.StartNew();
using var featurizerNetwork = CnnZoo.Create("resnet18_cntk", weights: "IMAGENET1K_CNTK");
var preprocessing = new CnnPreprocessing(vectorShape is null ? CnnInputKind.Image : CnnInputKind.Vector,
    featurizerNetwork.DefaultNormalization! with { Height = size, Width = size }, vectorShape);
var featurizer = ml.Transforms.CnnFeaturize("Features", column, featurizerNetwork, preprocessing, batchSize: 64).Fit(train);
var trainFeatures = ml.Data.Cache(featurizer.Transform(train));
var lbfgs = ml.Transforms.NormalizeMinMax("Features").Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy()).Fit(trainFeatures);
var featurized = ml.MulticlassClassification.Evaluate(lbfgs.Transform(featurizer.Transform(test)));
var featurizeSeconds = clock.Elapsed.TotalSeconds;
Console.WriteLine($"1. frozen ResNet-18 features -> L-BFGS: test accuracy {featurized.MicroAccuracy:P2} ({featurizeSeconds:F0} s, scoring included)");

// 2. Fine-tuning, at the rate the learning-rate finder suggests for the head.
CnnTrainerOptions FineTune() => new()
{
    Architecture = "resnet18_cntk", Weights = "IMAGENET1K_CNTK", ImageColumnName = column, VectorShape = vectorShape, ImageSize = size,
    Epochs = epochs, FreezeEpochs = freeze, BackboneLearningRateFactor = 0.1, BatchSize = 32, Optimizer = CnnOptimizer.Adam, WeightDecay = 1e-4,
    Schedule = CnnLearningRateSchedule.Cosine, WarmupEpochs = 0.5, RandomCropPadding = size / 8, HorizontalFlip = true, Seed = 1,
    FreezeBatchNorm = freezeBatchNorm,
};
clock.Restart();
var curve = ml.Cnn().FindLearningRate(train, FineTune(), steps: 60, minRate: 1e-6, maxRate: 1);
// The finder reads the head's curve (the run starts frozen); its suggestion is where that loss falls fastest (--lr overrides).
var rate = arguments.GetOrNull("--lr") is string given ? double.Parse(given, System.Globalization.CultureInfo.InvariantCulture) : curve.SuggestedRate;
LearningRateChart.Save(curve, Path.Combine(Path.GetTempPath(), "finetuning-lr.png"));
Console.WriteLine($"   learning-rate finder: suggests {curve.SuggestedRate:G2} (lowest loss at {curve.MinimumLossRate:G2}); using {rate:G2}; " +
                  $"chart in {Path.Combine(Path.GetTempPath(), "finetuning-lr.png")} ({clock.Elapsed.TotalSeconds:F0} s)");
var options = FineTune();
options.LearningRate = rate;
clock.Restart();
using var fineTuned = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);
var fineTuneSeconds = clock.Elapsed.TotalSeconds;
var fineTunedMetrics = ml.MulticlassClassification.Evaluate(fineTuned.Transform(test));
Console.WriteLine($"2. fine-tuned ResNet-18 ({freeze} frozen epochs of {epochs}): test accuracy {fineTunedMetrics.MicroAccuracy:P2} " +
                  $"({fineTuneSeconds:F0} s of training, {fineTunedMetrics.MicroAccuracy * 100 - featurized.MicroAccuracy * 100:+0.0;-0.0} points over features + L-BFGS)");

// 3. ResNet-20 from scratch, given about the fine-tuning's time.
var scratch = FashionMnistRows.Recipe("resnet20", epochs: 1);
(scratch.ImageColumnName, scratch.VectorShape, scratch.ImageSize, scratch.BatchSize) = (column, vectorShape, vectorShape is null ? 32 : null, 32);
clock.Restart();
using (ml.MulticlassClassification.Trainers.Cnn(scratch).Fit(train))
    scratch.Epochs = Math.Max(1, (int)(fineTuneSeconds / clock.Elapsed.TotalSeconds));
clock.Restart();
using var fromScratch = ml.MulticlassClassification.Trainers.Cnn(scratch).Fit(train);
var scratchMetrics = ml.MulticlassClassification.Evaluate(fromScratch.Transform(test));
Console.WriteLine($"3. ResNet-20 from scratch ({scratch.Epochs} epochs): test accuracy {scratchMetrics.MicroAccuracy:P2} ({clock.Elapsed.TotalSeconds:F0} s of training)");
