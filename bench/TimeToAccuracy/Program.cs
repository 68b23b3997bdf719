// Time to accuracy: resnet20 on Fashion-MNIST with a named recipe (CnnRecipes.Sgd, or with
// --recipe fast CnnRecipes.Fast, whose ingredients --without smoothing,ema,flip switches off and --without
// no-crops puts the random crops back), test accuracy
// after every epoch and the training seconds so far (evaluation excluded), ours and then, when a python with torch is
// given, PyTorch eager with the identical recipe (bench/pytorch/time_to_accuracy.py), alternating run by run. Prints
// Markdown rows; the final test accuracy of our trained model is also measured by ML.NET's evaluator.
// Usage: dotnet run -c Release --project bench/TimeToAccuracy [-- --recipe plain|fast --without ema --epochs 2 --target 0.9
//        --threads 2 --repeats 1 --python /usr/bin/python3.13 --data <folder> --precision float32|bfloat16]
// --precision bfloat16 trains ours in bf16 mixed precision (Runtime.Precision) and PyTorch under autocast bf16 with channels-last
// (its fastest CPU training); float32, the default, trains both in float32.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using MLNetCnn;
using MLNetCnn.Bench;
using static MLNetCnn.Bench.Statistics;
using MLNetCnn.Samples;

var arguments = new Arguments(args);
var folder = arguments.Get("--data", FashionMnist.DefaultFolder);
var recipe = arguments.Get("--recipe", "plain");
var without = arguments.Get("--without", "").Split(',', StringSplitOptions.RemoveEmptyEntries);
var epochs = arguments.Get("--epochs", recipe == "fast" ? 1 : 2);
var target = double.Parse(arguments.Get("--target", "0.9"), CultureInfo.InvariantCulture);
var threads = arguments.Get("--threads", 2);
var python = arguments.GetOrNull("--python");
var repeats = arguments.Get("--repeats", 1);
var precision = Enum.Parse<CnnPrecision>(arguments.Get("--precision", "float32"), ignoreCase: true);

var ml = new MLContext(seed: 1);
var (train, test) = FashionMnistRows.LoadKeyed(ml, folder);
var options = recipe switch
{
    "plain" => FashionMnistRows.ForPixels(CnnRecipes.Sgd("resnet20", epochs)),
    "fast" => FashionMnistRows.ForPixels(CnnRecipes.Fast("resnet20", epochs)),
    _ => throw new ArgumentException($"--recipe is plain or fast, not '{recipe}'."),
};
if (recipe == "fast")
{
    // The ablation: each ingredient of the fast recipe off, or the crops of the plain one back.
    if (without.Contains("smoothing"))
        options = options with { Regularization = options.Regularization with { LabelSmoothing = 0 } };
    if (without.Contains("ema"))
        options = options with { Regularization = options.Regularization with { EmaDecay = null } };
    if (without.Contains("flip"))
        options = options with { TestTime = options.TestTime with { Flip = false } };
    if (without.Contains("no-crops"))
        options = options with { Augmentation = options.Augmentation with { RandomCropPadding = 2 } };
}
if (arguments.GetOrNull("--lr") is string rate)
    options = options with { Optimizer = options.Optimizer with { LearningRate = double.Parse(rate, CultureInfo.InvariantCulture) } };
if (arguments.GetOrNull("--batch") is string batch)
    options = options with { Schedule = options.Schedule with { BatchSize = int.Parse(batch, CultureInfo.InvariantCulture) } };
if (arguments.GetOrNull("--crop") is string crop)
    options = options with { Augmentation = options.Augmentation with { RandomCropPadding = int.Parse(crop, CultureInfo.InvariantCulture) } };
if (arguments.GetOrNull("--tta-crop") is string ttaCrop)
    options = options with { TestTime = options.TestTime with { CropSize = int.Parse(ttaCrop, CultureInfo.InvariantCulture) } };
// the test set, evaluated after each epoch (not counted in the training time)
options = options with
{
    Validation = options.Validation with { Data = test },
    Runtime = options.Runtime with { Threads = threads, Seed = 1, Precision = precision },
};
// Runs alternate, ours then PyTorch, since these machines are noisy; the medians and the per-run ratios are printed.
var ours = new List<List<(int Epoch, double Seconds, double Accuracy)>>();
var peer = new List<List<(int Epoch, double Seconds, double Accuracy)>>();
for (var run = 0; run < repeats; run++)
{
    ours.Add(Ours());
    if (python is not null)
        peer.Add(PyTorch(python));
}

Console.WriteLine($"| resnet20, Fashion-MNIST, {recipe} recipe, {(precision == CnnPrecision.BFloat16 ? "bf16" : "float32")}{(without.Length > 0 ? " without " + string.Join(", ", without) : "")}, {epochs} epoch(s), {repeats} alternating run(s) | test accuracy per epoch (training seconds), each run | training seconds to {target:P0}, each run | median |");
Console.WriteLine("|---|---|---|---:|");
var rows = new List<(string Name, List<double?> Seconds)> { Row("MLNetCnn", ours) };
if (python is not null)
    rows.Add(Row("PyTorch eager", peer));
if (rows.Count == 2 && rows.All(r => r.Seconds.All(s => s is not null)))
{
    var ratios = rows[0].Seconds.Zip(rows[1].Seconds, (a, b) => a!.Value / b!.Value).ToList();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| MLNetCnn / PyTorch time to {target:P0} | | {string.Join(", ", ratios.Select(r => $"{r:F2}x"))} | {Median(rows[0].Seconds.Select(s => s!.Value)) / Median(rows[1].Seconds.Select(s => s!.Value)):F2}x |"));
}

(string, List<double?>) Row(string name, List<List<(int Epoch, double Seconds, double Accuracy)>> runs)
{
    var reached = runs.Select(run => run.FirstOrDefault(e => e.Accuracy >= target) is { Epoch: > 0 } hit ? hit.Seconds : (double?)null).ToList();
    var histories = string.Join(" / ", runs.Select(run => string.Join(", ", run.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Accuracy:P2} ({e.Seconds:F0} s)")))));
    var seconds = string.Join(", ", reached.Select(s => s is double v ? v.ToString("F0", CultureInfo.InvariantCulture) : "not reached"));
    var median = reached.All(s => s is not null) ? Median(reached.Select(s => s!.Value)).ToString("F0", CultureInfo.InvariantCulture) : "not reached";
    Console.WriteLine($"| {name} | {histories} | {seconds} | {median} |");
    return (name, reached);
}

List<(int, double, double)> Ours()
{
    var clock = Stopwatch.StartNew();
    using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);
    var trainRows = train.GetRowCount()!.Value;
    var seconds = 0.0;
    var history = model.History.Select(e => (e.Epoch, seconds += trainRows / e.ImagesPerSecond, e.ValidationAccuracy!.Value)).ToList();
    var evaluated = ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
    Console.Error.WriteLine($"ours: {string.Join(", ", history)}; Fit took {clock.Elapsed.TotalSeconds:F0} s end to end; ML.NET's evaluator: {evaluated:P2}");
    return history;
}

List<(int, double, double)> PyTorch(string pythonPath)
{
    using var json = JsonDocument.Parse(PyTorchPeer.Run(pythonPath, "time_to_accuracy.py", "--data", folder, "--epochs", $"{epochs}", "--threads", $"{threads}",
        "--recipe", recipe, "--without", string.Join(',', without), "--lr", options.Optimizer.LearningRate.ToString(CultureInfo.InvariantCulture), "--batch", $"{options.Schedule.BatchSize}",
        "--padding", $"{options.Augmentation.RandomCropPadding}", "--precision", precision == CnnPrecision.BFloat16 ? "bf16" : "fp32"));
    var history = json.RootElement.GetProperty("epochs").EnumerateArray()
        .Select(e => (e.GetProperty("epoch").GetInt32(), e.GetProperty("seconds").GetDouble(), e.GetProperty("accuracy").GetDouble())).ToList();
    Console.Error.WriteLine($"PyTorch: {string.Join(", ", history)}");
    return history;
}

