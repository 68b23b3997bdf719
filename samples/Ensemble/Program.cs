// Ensemble: the lecture's "train several models and average their predictions" on Fashion-MNIST. Trains three
// members with different seeds, then compares each member with their mean, geometric-mean and majority-vote ensembles.
// Usage: dotnet run -c Release --project samples/Ensemble [-- --arch resnet20 --members 3 --epochs 2 --train 20000 --data <folder>]
using System.Diagnostics;
using Microsoft.ML;
using MLNetCnn;
using MLNetCnn.Samples;

var arguments = new Arguments(args);
var folder = arguments.Get("--data", FashionMnist.DefaultFolder);
var arch = arguments.Get("--arch", "resnet20");
var memberCount = arguments.Get("--members", 3);
var epochs = arguments.Get("--epochs", 2);
var trainCount = arguments.Get("--train", 20000);

var ml = new MLContext(seed: 1);
var (train, test) = FashionMnistRows.LoadKeyed(ml, folder, trainCount);
Console.WriteLine($"Fashion-MNIST: {trainCount} training images, 10000 test images; {memberCount} x {arch}, {epochs} epoch(s) each");

var clock = Stopwatch.StartNew();
var members = ml.MulticlassClassification.Trainers.CnnEnsemble(() => FashionMnistRows.ForPixels(CnnRecipes.Sgd(arch, epochs)), memberCount).Fit(train).Members;
Console.WriteLine($"trained {memberCount} members in {clock.Elapsed.TotalSeconds:F0} s");

for (var i = 0; i < members.Count; i++)
    Report($"member {i + 1} (seed {i + 1})", members[i]);
foreach (var combination in Enum.GetValues<CnnEnsembleCombination>())
    Report($"ensemble, {combination}", ml.Transforms.CnnEnsemble(members, combination).Fit(train));

void Report(string name, ITransformer model)
{
    var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
    Console.WriteLine($"{name,-32} test accuracy {metrics.MicroAccuracy:P2}, log-loss {metrics.LogLoss:F4}");
}
