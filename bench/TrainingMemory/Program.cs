// Resident memory of a training run, epoch by epoch: native tensors the GC does not see must not pile up.
// Usage: dotnet run -c Release --project bench/TrainingMemory [-- --rows 6000 --epochs 10 --arch resnet20]
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn;

var rows = int.Parse(Option("--rows", "6000"));
var epochs = int.Parse(Option("--epochs", "10"));
var arch = Option("--arch", "resnet20");

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
    Architecture = arch, ImageColumnName = "Pixels", VectorShape = (1, 28, 28), Epochs = epochs, BatchSize = 128, LearningRate = 0.05,
    RandomCropPadding = 2, HorizontalFlip = true, ValidationFraction = 0.1,
    Progress = new SynchronousProgress(p =>
    {
        if (!p.IsEpochEnd) return;
        using var self = Process.GetCurrentProcess();
        residentMiB.Add(self.WorkingSet64 / 1048576.0);
        Console.WriteLine($"epoch {p.Epoch}: resident {residentMiB[^1]:F0} MiB, live tensors {TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount}, " +
                          $"{p.ImagesPerSecond:F0} images/s, validation accuracy {p.ValidationAccuracy:P1}");
    }),
};
using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(keyed);
var growth = residentMiB.Count >= 2 ? (residentMiB[^1] - residentMiB[1]) / residentMiB[1] : 0;
Console.WriteLine($"peak resident {residentMiB.Max():F0} MiB; growth from epoch 2 to epoch {residentMiB.Count}: {growth:P2}");

string Option(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
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
