// Degradation: the lecture's motivation for ResNet. Plain networks of 20 and 56 layers against residual networks of
// the same depths on Fashion-MNIST: without shortcuts the deeper net trains worse (higher training error), which is
// an optimisation problem, not overfitting; with shortcuts the deep net trains like the shallow one. Writes the
// training-error curves as a PNG.
// Usage: dotnet run -c Release --project samples/Degradation [-- --arch plain20,plain56,resnet20,resnet56 --epochs 5 --train 4000 --chart degradation.png]
using System.Diagnostics;
using Microsoft.ML;
using MLNetCnn;
using MLNetCnn.Charts;
using MLNetCnn.Samples;

var arguments = new Arguments(args);
var folder = arguments.Get("--data", FashionMnist.DefaultFolder);
var architectures = arguments.Get("--arch", "plain20,plain56,resnet20,resnet56").Split(',', StringSplitOptions.TrimEntries);
var epochs = arguments.Get("--epochs", 5);
var trainCount = arguments.Get("--train", 4000);
var chartPath = Path.GetFullPath(arguments.Get("--chart", "degradation.png"));

var ml = new MLContext(seed: 1);
var (train, test) = FashionMnistRows.LoadKeyed(ml, folder, trainCount, 2000);
Console.WriteLine($"Fashion-MNIST: {trainCount} training images, {epochs} epochs per network; no augmentation, so training error shows how well each net optimises");

var histories = new Dictionary<string, IReadOnlyList<CnnEpochMetrics>>();
Console.WriteLine($"{"network",-10} {"train error",12} {"test error",11} {"seconds",8}");
foreach (var arch in architectures)
{
    var clock = Stopwatch.StartNew();
    using var model = ml.MulticlassClassification.Trainers.Cnn(new CnnTrainerOptions
    {
        Model = new() { Architecture = arch },
        Columns = new() { Image = "Pixels" },
        Input = new() { VectorShape = (1, 28, 28) },
        Optimizer = new() { Kind = CnnOptimizer.Sgd, LearningRate = 0.1 },
        Schedule = new() { Epochs = epochs, BatchSize = 128, Kind = CnnLearningRateSchedule.Cosine, WarmupEpochs = 0.5 },
        Runtime = new() { Seed = 1 },
    }).Fit(train);
    var seconds = clock.Elapsed.TotalSeconds;
    histories[arch] = model.History;
    var testAccuracy = ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
    Console.WriteLine($"{arch,-10} {1 - model.History[^1].TrainAccuracy,12:P2} {1 - testAccuracy,11:P2} {seconds,8:F0}");
}
TrainingCurvesChart.Save(histories, chartPath, TrainingCurve.TrainingError);
Console.WriteLine($"training-error curves written to {chartPath}");
