// Training from photo files, end to end, as users run it: resnet18 at 224x224 from 320x240 JPEG and PNG files in class folders,
// batch 32, SGD (0.01, momentum 0.9, decay 5e-4, constant rate), no augmentation. Ours: ML.NET's LoadImages into the trainer's
// Fit (decoding, resizing and caching included), float32 and, on CPUs with bf16 units, bf16 mixed precision. PyTorch (when a
// python with torch is given, bench/pytorch/photo_training.py): torchvision's ImageFolder + DataLoader over the same files with
// 0, 1 and 2 workers, fp32 and autocast bf16 + channels-last, each in its own process. Contenders rotate (these machines drift).
// Figures are images/s over all epochs, from model creation to the end of training; medians of --repeats rounds. Also the
// share of our Fit that is reading the files (decoding, resizing, copying into the trainer's cache: what the trainer does once,
// on one thread, before the first step), measured alone through the trainer's own reader.
// Usage: dotnet run -c Release --project bench/PhotoTraining [-- --rows 192 --epochs 2 --repeats 3 --threads 2 --python /usr/bin/python3.13]
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn;
using MLNetCnn.Bench;
using MLNetCnn.Compute;
using MLNetCnn.Samples;
using static MLNetCnn.Bench.Statistics;

var arguments = new Arguments(args);
var rows = arguments.Get("--rows", 192);
var epochs = arguments.Get("--epochs", 2);
var repeats = arguments.Get("--repeats", 3);
var threads = arguments.Get("--threads", 2);
var python = arguments.GetOrNull("--python");
const int Classes = 4, Batch = 32, Size = 224;

var folder = Directory.CreateTempSubdirectory("mlnetcnn-photo-training-bench-").FullName;
try
{
    var files = ImageFiles.Write(folder, rows, Classes);
    var ml = new MLContext(seed: 1);
    var images = PhotoFolder.Load(ml, folder, files);

    var contenders = new List<(string Name, Func<double> Run)> { ("ours float32", () => Ours(CnnPrecision.Float32)) };
    if (CpuFeatures.HasBFloat16Units)
        contenders.Add(("ours bf16", () => Ours(CnnPrecision.BFloat16)));
    if (python is not null)
        foreach (var (precision, workers) in new[] { ("fp32", 0), ("fp32", 2), ("bf16", 0), ("bf16", 1), ("bf16", 2) })
            contenders.Add(($"PyTorch {(precision == "fp32" ? "fp32" : "bf16 + channels-last")}, {workers} workers", () => PyTorch(precision, workers)));
    contenders.Add(("reading the files into the cache", Read));
    var results = contenders.ToDictionary(c => c.Name, _ => new List<double>());
    for (var r = 0; r < repeats; r++)
        for (var k = 0; k < contenders.Count; k++)
        {
            var (name, run) = contenders[(r + k) % contenders.Count];
            results[name].Add(run());
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {r + 1}: {name} {results[name][^1]:F2}"));
        }

    var theirBest = results.Where(p => p.Key.StartsWith("PyTorch", StringComparison.Ordinal)).Select(p => (p.Key, Median(p.Value))).DefaultIfEmpty().MaxBy(p => p.Item2);
    Console.WriteLine($"CPU: {CpuFeatures.Describe()}, {threads} threads; {rows} files x {epochs} epochs, resnet18 at {Size}, batch {Batch}.");
    Console.WriteLine();
    Console.WriteLine("| contender | images/s, Fit end to end | against PyTorch's best |");
    Console.WriteLine("|---|---:|---:|");
    foreach (var (name, figures) in results.Where(p => p.Key != "reading the files into the cache"))
    {
        var ratio = theirBest.Key is null ? "" : string.Create(CultureInfo.InvariantCulture, $"{Median(figures) / theirBest.Item2:F2}x");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name}{(name == theirBest.Key ? " (PyTorch's best)" : "")} | {Median(figures):F1} | {ratio} |"));
    }

    var reading = Median(results["reading the files into the cache"]);
    Console.WriteLine();
    var ofFit = string.Join(", ", results.Where(p => p.Key.StartsWith("ours", StringComparison.Ordinal))
        .Select(p => string.Create(CultureInfo.InvariantCulture, $"{reading * Median(p.Value) / (epochs * rows):P0} of {p.Key}'s Fit")));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Reading the {rows} files into the cache (decode, resize to {Size}, copy) took {reading:F2} s, {1000 * reading / rows:F1} ms per file: {ofFit}."));

    // Seconds (not images/s) for the reader alone, as Fit reads before its first step.
    double Read() => PhotoFolder.ReaderSeconds(images, Size, Classes);

    double Ours(CnnPrecision precision)
    {
        var clock = Stopwatch.StartNew();
        using var model = ml.MulticlassClassification.Trainers.Cnn(new CnnTrainerOptions
        {
            Model = new() { Architecture = "resnet18" },
            Input = new() { ImageSize = Size },
            Optimizer = new() { Kind = CnnOptimizer.Sgd, LearningRate = 0.01, Momentum = 0.9, WeightDecay = 5e-4 },
            Schedule = new() { Epochs = epochs, BatchSize = Batch, Kind = CnnLearningRateSchedule.Constant, WarmupEpochs = 0 },
            Runtime = new() { Threads = threads, Seed = 1, Precision = precision },
        }).Fit(images);
        return epochs * rows / clock.Elapsed.TotalSeconds;
    }

    double PyTorch(string precision, int workers) => double.Parse(PyTorchPeer.Run(python!, "photo_training.py", "--root", folder, "--epochs", $"{epochs}",
        "--batch", $"{Batch}", "--size", $"{Size}", "--threads", $"{threads}", "--workers", $"{workers}", "--precision", precision), CultureInfo.InvariantCulture);
}
finally
{
    Directory.Delete(folder, recursive: true);
}
