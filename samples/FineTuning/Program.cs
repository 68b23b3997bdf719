// FineTuning: transfer learning on a small data set, three ways, on the same images and the same test set:
//   1. the ImageNet ResNet-18 as a frozen featurizer, then ML.NET's L-BFGS on its features (what ML.NET's
//      ImageClassificationTrainer does: a frozen network and a trained softmax);
//   2. the same network fine-tuned with CnnRecipes.FineTuning: the new head alone for --freeze epochs, then
//      everything; the learning-rate finder's curve is charted, and --lr finder trains at its suggestion;
//   3. ResNet-20 from scratch, for about as long as the fine-tuning took.
// The pretrained network is the offline one of Microsoft.ML.DnnImageFeaturizer.ResNet18 (no download).
// Usage: dotnet run -c Release --project samples/FineTuning
//        [-- --train 1000 --test 10000 --size 64 --epochs 30 --freeze 2 --lr RATE|finder --freeze-bn yes --data <fashion-mnist folder> | --images ROOT]
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

// 2. Fine-tuning with the built-in recipe.
var options = CnnRecipes.FineTuning("resnet18_cntk", "IMAGENET1K_CNTK", size);
options = options with
{
    Columns = options.Columns with { Image = column },
    Input = options.Input with { VectorShape = vectorShape },
    FineTuning = options.FineTuning with { FreezeBatchNorm = freezeBatchNorm },
    Runtime = options.Runtime with { Seed = 1 },
};
options = options with { Schedule = options.Schedule with { Epochs = arguments.Get("--epochs", options.Schedule.Epochs) } };
options = options with { FineTuning = options.FineTuning with { FreezeEpochs = arguments.Get("--freeze", options.FineTuning.FreezeEpochs) } };
clock.Restart();
// The finder trains a copy of the run (the options are left as they are) and reads the head's curve, as the run starts
// frozen; its suggestion is where that loss falls fastest.
var curve = ml.Cnn().FindLearningRate(train, options, steps: 60, minRate: 1e-6, maxRate: 1);
var chart = Path.Combine(Path.GetTempPath(), "finetuning-lr.png");
LearningRateChart.Save(curve, chart);
options = options with { Optimizer = options.Optimizer with { LearningRate = arguments.GetOrNull("--lr") switch
{
    null => options.Optimizer.LearningRate,
    "finder" => curve.SuggestedRate,
    var given => double.Parse(given, System.Globalization.CultureInfo.InvariantCulture),
} } };
Console.WriteLine($"   learning-rate finder: suggests {curve.SuggestedRate:G2} (lowest loss at {curve.MinimumLossRate:G2}); using {options.Optimizer.LearningRate:G2}; " +
                  $"chart in {chart} ({clock.Elapsed.TotalSeconds:F0} s)");
clock.Restart();
using var fineTuned = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);
var fineTuneSeconds = clock.Elapsed.TotalSeconds;
var fineTunedMetrics = ml.MulticlassClassification.Evaluate(fineTuned.Transform(test));
Console.WriteLine($"2. fine-tuned ResNet-18 ({options.FineTuning.FreezeEpochs} frozen epochs of {options.Schedule.Epochs}): test accuracy {fineTunedMetrics.MicroAccuracy:P2} " +
                  $"({fineTuneSeconds:F0} s of training, {fineTunedMetrics.MicroAccuracy * 100 - featurized.MicroAccuracy * 100:+0.0;-0.0} points over features + L-BFGS)");

// 3. ResNet-20 from scratch, given about the fine-tuning's time.
var scratch = CnnRecipes.Sgd("resnet20", epochs: 1);
scratch = scratch with
{
    Columns = scratch.Columns with { Image = column },
    Input = scratch.Input with { VectorShape = vectorShape, ImageSize = vectorShape is null ? 32 : null },
    Schedule = scratch.Schedule with { BatchSize = 32 },
};
clock.Restart();
using (ml.MulticlassClassification.Trainers.Cnn(scratch).Fit(train))
    scratch = scratch with { Schedule = scratch.Schedule with { Epochs = Math.Max(1, (int)(fineTuneSeconds / clock.Elapsed.TotalSeconds)) } };
clock.Restart();
using var fromScratch = ml.MulticlassClassification.Trainers.Cnn(scratch).Fit(train);
var scratchMetrics = ml.MulticlassClassification.Evaluate(fromScratch.Transform(test));
Console.WriteLine($"3. ResNet-20 from scratch ({scratch.Schedule.Epochs} epochs): test accuracy {scratchMetrics.MicroAccuracy:P2} ({clock.Elapsed.TotalSeconds:F0} s of training)");
