// Fine-tuning against PyTorch: the offline ImageNet ResNet-18 (resnet18_cntk, IMAGENET1K_CNTK) fine-tuned on a Fashion-MNIST
// subset with CnnRecipes.FineTuning (the FineTuning sample's: Adam, the head alone for the first epochs, then
// everything, warm-up then cosine, crops, flips, label smoothing, test-time flips), ours and then PyTorch eager on the same weights, exported with
// our .pt writer (bench/pytorch/fine_tuning.py), alternating run by run. Test accuracy (ours: ML.NET's evaluator) and training
// seconds (evaluation excluded). Prints Markdown rows.
// Usage: dotnet run -c Release --project bench/FineTuning [-- --train 1000 --test 10000 --size 64 --epochs 30 --freeze 2 --lr 0.001
//        --repeats 1 --threads 2 --python /usr/bin/python3.13 --data <folder>]
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using MLNetCnn;
using MLNetCnn.Bench;
using MLNetCnn.Samples;
using MLNetCnn.Zoo;
using static MLNetCnn.Bench.Statistics;

var arguments = new Arguments(args);
var folder = arguments.Get("--data", FashionMnist.DefaultFolder);
var trainCount = arguments.Get("--train", 1000);
var testCount = arguments.Get("--test", 10000);
var size = arguments.Get("--size", 64);
var threads = arguments.Get("--threads", 2);
var recipe = CnnRecipes.FineTuning("resnet18_cntk", "IMAGENET1K_CNTK", size);
recipe = recipe with { Columns = recipe.Columns with { Image = "Pixels" }, Input = recipe.Input with { VectorShape = (1, 28, 28) }, Runtime = recipe.Runtime with { Seed = 1, Threads = threads } };
recipe = recipe with { Schedule = recipe.Schedule with { Epochs = arguments.Get("--epochs", recipe.Schedule.Epochs) } };
recipe = recipe with { FineTuning = recipe.FineTuning with { FreezeEpochs = arguments.Get("--freeze", recipe.FineTuning.FreezeEpochs) } };
recipe = recipe with { Optimizer = recipe.Optimizer with { LearningRate = double.Parse(arguments.Get("--lr", recipe.Optimizer.LearningRate.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture) } };
var repeats = arguments.Get("--repeats", 1);
var python = arguments.GetOrNull("--python");

var ml = new MLContext(seed: 1);
var (train, test) = FashionMnistRows.LoadKeyed(ml, folder, trainCount, testCount);
using var pretrained = CnnZoo.Create("resnet18_cntk", weights: "IMAGENET1K_CNTK");
var normalization = pretrained.DefaultNormalization!;
var weightsFile = Path.Combine(Path.GetTempPath(), $"mlnetcnn-finetuning-{Environment.ProcessId}.pt");
pretrained.SaveWeights(weightsFile);

var ours = new List<(double Accuracy, double Seconds)>();
var peer = new List<(double Accuracy, double Seconds)>();
try
{
    for (var run = 0; run < repeats; run++)
    {
        ours.Add(Ours());
        if (python is not null)
            peer.Add(PyTorch(python));
    }
}
finally
{
    File.Delete(weightsFile);
}

Console.WriteLine($"| resnet18_cntk fine-tuned, Fashion-MNIST {trainCount} images at {size}x{size}, {recipe.Schedule.Epochs} epochs ({recipe.FineTuning.FreezeEpochs} frozen), CnnRecipes.FineTuning, Adam {recipe.Optimizer.LearningRate} | test accuracy, each run | training seconds, each run | median accuracy | median seconds |");
Console.WriteLine("|---|---|---|---:|---:|");
Row("MLNetCnn", ours);
if (peer.Count > 0)
{
    Row("PyTorch eager", peer);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| MLNetCnn - PyTorch | | | {100 * (Median(ours.Select(r => r.Accuracy)) - Median(peer.Select(r => r.Accuracy))):+0.00;-0.00} points | {Median(ours.Select(r => r.Seconds)) / Median(peer.Select(r => r.Seconds)):F2}x |"));
}

void Row(string name, List<(double Accuracy, double Seconds)> runs) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"| {name} | {string.Join(", ", runs.Select(r => $"{r.Accuracy:P2}"))} | {string.Join(", ", runs.Select(r => $"{r.Seconds:F0}"))} | {Median(runs.Select(r => r.Accuracy)):P2} | {Median(runs.Select(r => r.Seconds)):F0} |"));

(double, double) Ours()
{
    using var model = ml.MulticlassClassification.Trainers.Cnn(recipe).Fit(train);
    var seconds = model.History.Sum(e => trainCount / e.ImagesPerSecond);
    var accuracy = ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
    Console.Error.WriteLine($"ours: {accuracy:P2} in {seconds:F0} s of training");
    return (accuracy, seconds);
}

(double, double) PyTorch(string pythonPath)
{
    string Values(IEnumerable<float> values) => string.Join(",", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
    using var json = JsonDocument.Parse(PyTorchPeer.Run(pythonPath, "fine_tuning.py", "--weights", weightsFile, "--data", folder,
        "--train", $"{trainCount}", "--test", $"{testCount}", "--size", $"{size}", "--epochs", $"{recipe.Schedule.Epochs}", "--freeze", $"{recipe.FineTuning.FreezeEpochs}",
        "--lr", recipe.Optimizer.LearningRate.ToString(CultureInfo.InvariantCulture), "--backbone-factor", recipe.FineTuning.BackboneLearningRateFactor.ToString(CultureInfo.InvariantCulture),
        "--smoothing", recipe.Regularization.LabelSmoothing.ToString(CultureInfo.InvariantCulture), "--wd", recipe.Optimizer.WeightDecay.ToString(CultureInfo.InvariantCulture),
        "--warmup", recipe.Schedule.WarmupEpochs.ToString(CultureInfo.InvariantCulture), "--batch", $"{recipe.Schedule.BatchSize}", "--tta-flip", recipe.TestTime.Flip ? "1" : "0",
        "--padding", $"{recipe.Augmentation.RandomCropPadding}", "--threads", $"{threads}",
        "--scale", normalization.Scale.ToString("R", CultureInfo.InvariantCulture), "--mean", Values(normalization.Mean), "--std", Values(normalization.Std)));
    var result = (json.RootElement.GetProperty("accuracy").GetDouble(), json.RootElement.GetProperty("seconds").GetDouble());
    Console.Error.WriteLine($"PyTorch: {result.Item1:P2} in {result.Item2:F0} s of training");
    return result;
}
