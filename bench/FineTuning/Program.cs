// Fine-tuning against PyTorch: the offline ImageNet ResNet-18 (resnet18_cntk, IMAGENET1K_CNTK) fine-tuned on a Fashion-MNIST
// subset with the FineTuning sample's recipe at a fixed rate (Adam, the head alone for --freeze epochs, then the backbone at
// a tenth of the rate, warm-up then cosine, crops and flips), ours and then PyTorch eager on the same weights, exported with
// our .pt writer (bench/pytorch/fine_tuning.py), alternating run by run. Test accuracy (ours: ML.NET's evaluator) and training
// seconds (evaluation excluded). Prints Markdown rows.
// Usage: dotnet run -c Release --project bench/FineTuning [-- --train 1000 --test 10000 --size 64 --epochs 12 --freeze 2 --lr 0.005
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
var epochs = arguments.Get("--epochs", 12);
var freeze = arguments.Get("--freeze", 2);
var rate = double.Parse(arguments.Get("--lr", "0.005"), CultureInfo.InvariantCulture);
var repeats = arguments.Get("--repeats", 1);
var threads = arguments.Get("--threads", 2);
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

Console.WriteLine($"| resnet18_cntk fine-tuned, Fashion-MNIST {trainCount} images at {size}x{size}, {epochs} epochs ({freeze} frozen), Adam {rate} | test accuracy, each run | training seconds, each run | median accuracy | median seconds |");
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
    var options = new CnnTrainerOptions
    {
        Architecture = "resnet18_cntk", Weights = "IMAGENET1K_CNTK", ImageColumnName = "Pixels", VectorShape = (1, 28, 28), ImageSize = size,
        Epochs = epochs, FreezeEpochs = freeze, BackboneLearningRateFactor = 0.1, BatchSize = 32, Optimizer = CnnOptimizer.Adam, LearningRate = rate,
        WeightDecay = 1e-4, Schedule = CnnLearningRateSchedule.Cosine, WarmupEpochs = 0.5, RandomCropPadding = size / 8, HorizontalFlip = true,
        Seed = 1, Threads = threads,
    };
    using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);
    var seconds = model.History.Sum(e => trainCount / e.ImagesPerSecond);
    var accuracy = ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
    Console.Error.WriteLine($"ours: {accuracy:P2} in {seconds:F0} s of training");
    return (accuracy, seconds);
}

(double, double) PyTorch(string pythonPath)
{
    string Values(IEnumerable<float> values) => string.Join(",", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
    using var json = JsonDocument.Parse(PyTorchPeer.Run(pythonPath, "fine_tuning.py", "--weights", weightsFile, "--data", folder,
        "--train", $"{trainCount}", "--test", $"{testCount}", "--size", $"{size}", "--epochs", $"{epochs}", "--freeze", $"{freeze}",
        "--lr", rate.ToString(CultureInfo.InvariantCulture), "--padding", $"{size / 8}", "--threads", $"{threads}",
        "--scale", normalization.Scale.ToString("R", CultureInfo.InvariantCulture), "--mean", Values(normalization.Mean), "--std", Values(normalization.Std)));
    var result = (json.RootElement.GetProperty("accuracy").GetDouble(), json.RootElement.GetProperty("seconds").GetDouble());
    Console.Error.WriteLine($"PyTorch: {result.Item1:P2} in {result.Item2:F0} s of training");
    return result;
}
