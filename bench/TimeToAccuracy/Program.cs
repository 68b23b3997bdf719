// Time to accuracy: resnet20 on Fashion-MNIST with the samples' recipe (FashionMnist.Recipe), test accuracy after
// every epoch and the training seconds so far (evaluation excluded), ours and then, when a python with torch is given,
// PyTorch eager with the same recipe (bench/pytorch/time_to_accuracy.py), back to back. Prints Markdown rows.
// Usage: dotnet run -c Release --project bench/TimeToAccuracy [-- --epochs 2 --target 0.9 --threads 2 --python /usr/bin/python3.13 --data <folder>]
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using MLNetCnn;
using MLNetCnn.Bench;
using MLNetCnn.Samples;

var arguments = new Arguments(args);
var folder = arguments.Get("--data", FashionMnist.DefaultFolder);
var epochs = arguments.Get("--epochs", 2);
var target = double.Parse(arguments.Get("--target", "0.9"), CultureInfo.InvariantCulture);
var threads = arguments.Get("--threads", 2);
var python = arguments.GetOrNull("--python");

var ml = new MLContext(seed: 1);
var (train, test) = FashionMnist.LoadKeyed(ml, folder);
var options = FashionMnist.Recipe("resnet20", epochs);
options.ValidationData = test;   // the test set, evaluated after each epoch (not counted in the training time)
options.Threads = threads;
options.Seed = 1;
var clock = Stopwatch.StartNew();
using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);
var fitSeconds = clock.Elapsed.TotalSeconds;
var trainRows = train.GetRowCount()!.Value;
var seconds = 0.0;
var ours = model.History.Select(e => (e.Epoch, Seconds: seconds += trainRows / e.ImagesPerSecond, Accuracy: e.ValidationAccuracy!.Value)).ToList();
Console.Error.WriteLine($"ours: {string.Join(", ", ours)}; Fit took {fitSeconds:F0} s end to end");

var rows = new List<(string Name, List<(int Epoch, double Seconds, double Accuracy)> Epochs)> { ("MLNetCnn", ours) };
if (python is not null)
    rows.Add(("PyTorch eager", PyTorch(python)));

Console.WriteLine($"| resnet20, Fashion-MNIST, {epochs} epochs | test accuracy per epoch | training seconds to {target:P0} |");
Console.WriteLine("|---|---|---:|");
foreach (var (name, history) in rows)
{
    var reached = history.FirstOrDefault(e => e.Accuracy >= target);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {string.Join(", ", history.Select(e => $"{e.Accuracy:P2} ({e.Seconds:F0} s)"))} | {(reached.Epoch > 0 ? $"{reached.Seconds:F0} (epoch {reached.Epoch})" : "not reached")} |"));
}
if (rows.Count == 2 && rows.All(r => r.Epochs.Any(e => e.Accuracy >= target)))
{
    var (a, b) = (rows[0].Epochs.First(e => e.Accuracy >= target).Seconds, rows[1].Epochs.First(e => e.Accuracy >= target).Seconds);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| MLNetCnn / PyTorch time to {target:P0} | | {a / b:F2}x |"));
}

List<(int, double, double)> PyTorch(string pythonPath)
{
    using var json = JsonDocument.Parse(PyTorchPeer.Run(pythonPath, "time_to_accuracy.py", "--data", folder, "--epochs", $"{epochs}", "--threads", $"{threads}"));
    return json.RootElement.GetProperty("epochs").EnumerateArray()
        .Select(e => (e.GetProperty("epoch").GetInt32(), e.GetProperty("seconds").GetDouble(), e.GetProperty("accuracy").GetDouble())).ToList();
}
