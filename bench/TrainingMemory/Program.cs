// Resident memory of a training run, epoch by epoch: native tensors the GC does not see must not pile up. With a
// python that has torch, the same run in PyTorch eager (bench/pytorch/train_memory.py) follows, for the peak ratio.
// Usage: dotnet run -c Release --project bench/TrainingMemory [-- --rows 6000 --epochs 10 --arch resnet20 --python /usr/bin/python3.13]
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn;
using MLNetCnn.Bench;
using MLNetCnn.Samples;

var arguments = new Arguments(args);
var rows = arguments.Get("--rows", 6000);
var epochs = arguments.Get("--epochs", 10);
var arch = arguments.Get("--arch", "resnet20");
var python = arguments.GetOrNull("--python");

var random = new Random(1);
var data = Enumerable.Range(0, rows).Select(i =>
{
    var label = i % 10;
    // Noise plus a class-dependent bright stripe: learnable, cheap to make.
    var pixels = new float[28 * 28];
    for (var p = 0; p < pixels.Length; p++) pixels[p] = random.Next(0, 80);
    for (var x = 0; x < 28; x++) pixels[(2 + 2 * label) * 28 + x] = 255;
    return new Row { Label = label.ToString(), Pixels = pixels };
}).ToList();

var ml = new MLContext(seed: 1);
var view = ml.Data.LoadFromEnumerable(data);
var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(view).Transform(view);
var residentMiB = new List<double>();
var options = new CnnTrainerOptions
{
    Model = new() { Architecture = arch },
    Columns = new() { Image = "Pixels" },
    Input = new() { VectorShape = (1, 28, 28) },
    Optimizer = new() { Kind = CnnOptimizer.Sgd, LearningRate = 0.05 },
    Schedule = new() { Epochs = epochs, BatchSize = 128, Kind = CnnLearningRateSchedule.Constant, WarmupEpochs = 0 },
    Augmentation = new() { RandomCropPadding = 2, HorizontalFlip = true },
    Validation = new() { Fraction = 0.1 },
    Runtime = new() { Threads = 2 },
    Progress = new SynchronousProgress(p =>
    {
        if (!p.IsEpochEnd) return;
        using var self = Process.GetCurrentProcess();
        residentMiB.Add(self.WorkingSet64 / 1048576.0);
        Console.Error.WriteLine($"epoch {p.Epoch}: resident {residentMiB[^1]:F0} MiB, live tensors {TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount}, " +
                          $"{p.ImagesPerSecond:F0} images/s, validation accuracy {p.ValidationAccuracy:P1}");
    }),
};
using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(keyed);
using var self = Process.GetCurrentProcess();
var peak = self.PeakWorkingSet64 / 1048576.0;
Console.WriteLine($"| training memory, {arch} 1x28x28 b128, {epochs} epochs | peak resident MiB | growth epoch 2 to {epochs} |");
Console.WriteLine("|---|---:|---:|");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| MLNetCnn (.NET runtime, ML.NET and libtorch) | {peak:F0} | {Growth(residentMiB):P1} |"));
if (python is not null)
{
    var (pythonResident, pythonPeak) = PyTorch(python);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| PyTorch eager | {pythonPeak:F0} | {Growth(pythonResident):P1} |"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| MLNetCnn / PyTorch peak | {peak / pythonPeak:F2}x | |"));
}

static double Growth(IReadOnlyList<double> resident) => resident.Count >= 2 ? (resident[^1] - resident[1]) / resident[1] : 0;

(List<double> Resident, double Peak) PyTorch(string pythonPath)
{
    using var json = JsonDocument.Parse(PyTorchPeer.Run(pythonPath, "train_memory.py", "--arch", arch, "--rows", $"{rows}", "--epochs", $"{epochs}", "--threads", "2"));
    return (json.RootElement.GetProperty("resident_mib").EnumerateArray().Select(e => e.GetDouble()).ToList(), json.RootElement.GetProperty("peak_mib").GetDouble());
}

internal sealed class Row
{
    public string Label { get; set; } = "";
    [VectorType(28 * 28)]
    public float[] Pixels { get; set; } = [];
}

internal sealed class SynchronousProgress(Action<CnnTrainingProgress> report) : IProgress<CnnTrainingProgress>
{
    public void Report(CnnTrainingProgress value) => report(value);
}
