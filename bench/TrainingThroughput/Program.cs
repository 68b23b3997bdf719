// Training throughput of the ML.NET trainer against a hand-written TorchSharp loop over the same tensors and, when a
// python with torch is given, PyTorch eager (bench/pytorch/train_throughput.py, the same model, batch and recipe),
// run alternately in rotating order (these machines are noisy). Prints two Markdown rows of medians and ratios, like
// compared with like: the training loops alone, then end to end (model creation included in all three; the trainer's
// Fit also reads the IDataView into its tensor cache).
// Usage: dotnet run -c Release --project bench/TrainingThroughput
//        [-- --arch resnet20 --channels 1 --size 28 --batch 128 --rows 2560 --epochs 1 --repeats 5 --threads 2 --device cpu
//            --python /usr/bin/python3.13 --optimizer sgd|adamw --precision float32|bfloat16|auto --score-check 1]
// --precision is the trainer's Runtime.Precision (float32 by default, so that all three compute alike; bench/MixedPrecision and
// bench/PhotoTraining compare the precisions).
// --optimizer adamw trains with the default recipe's optimiser (AdamW 0.002, decay 5e-4) instead of SGD (0.05, momentum 0.9,
// 5e-4): the hand-written loop with TorchSharp's AdamW, the trainer with its own (libtorch's fused kernel), PyTorch with
// fused=True (its fastest CPU AdamW).
// --score-check 1 then trains once more and scores the rows with the trained transformer (TorchSharp on CUDA, ONNX Runtime on
// the CPU), reports images/s, and compares the scores with the same model saved, reloaded on the CPU and run by ONNX Runtime.
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn;
using MLNetCnn.Bench;
using static MLNetCnn.Bench.Statistics;
using MLNetCnn.Zoo;
using TorchSharp;
using MLNetCnn.Samples;
using static TorchSharp.torch;

var arguments = new Arguments(args);
var arch = arguments.Get("--arch", "resnet20");
var channels = arguments.Get("--channels", 1);
var size = arguments.Get("--size", 28);
var batch = arguments.Get("--batch", 128);
var rows = arguments.Get("--rows", 2560);
var repeats = arguments.Get("--repeats", 5);
var threads = arguments.Get("--threads", 2);
var epochs = arguments.Get("--epochs", 1);
var device = arguments.Get("--device", "cpu");
var python = arguments.GetOrNull("--python");
var adamW = arguments.Get("--optimizer", "sgd") switch
{
    "sgd" => false,
    "adamw" => true,
    var other => throw new ArgumentException($"--optimizer is sgd or adamw, not '{other}'."),
};
var precision = Enum.Parse<CnnPrecision>(arguments.Get("--precision", "float32"), ignoreCase: true);
set_num_threads(threads);

// The same images for both: random bytes, 10 classes.
var random = new Random(1);
var length = channels * size * size;
var bytes = new byte[rows * length];
random.NextBytes(bytes);
var labels = Enumerable.Range(0, rows).Select(i => (long)(i % 10)).ToArray();
using var images = tensor(bytes, [rows, channels, size, size]);
using var targets = tensor(labels);

var ml = new MLContext(seed: 1);
var view = ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(i => new Row
{
    Label = labels[i].ToString(CultureInfo.InvariantCulture),
    Pixels = bytes.AsSpan(i * length, length).ToArray().Select(b => (float)b).ToArray(),
}), SchemaDefinitionFor(length));
var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(view).Transform(view);
keyed = ml.Data.Cache(keyed);

var handLoop = new List<double>();
var handEndToEnd = new List<double>();
var trainerLoop = new List<double>();
var trainerFit = new List<double>();
var pytorchLoop = new List<double>();
var pytorchEndToEnd = new List<double>();
// Each run starts with a different contender: these machines drift over minutes, and a fixed order would hand the
// drift to whoever runs last.
var contenders = new List<Action> { HandRun, TrainerRun };
if (python is not null)
    contenders.Add(PyTorchRun);
for (var r = 0; r < repeats; r++)
{
    for (var k = 0; k < contenders.Count; k++)
        contenders[(r + k) % contenders.Count]();
    var peerRun = python is null ? "" : string.Create(CultureInfo.InvariantCulture, $", PyTorch loop {pytorchLoop[^1]:F0} img/s, end to end {pytorchEndToEnd[^1]:F0} img/s");
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {r + 1}: hand loop {handLoop[^1]:F0} img/s, end to end {handEndToEnd[^1]:F0} img/s, trainer loop {trainerLoop[^1]:F0} img/s, trainer Fit {trainerFit[^1]:F0} img/s{peerRun}"));
}
// Two rows: the training loops alone, then end to end (model and optimiser creation included; Fit also reads the
// IDataView into its tensor cache). Trainer ratios are against the hand-written loop and against PyTorch.
var name = $"{arch} {channels}x{size}x{size} b{batch}, {rows} rows x {epochs} epoch(s){(adamW ? ", AdamW" : "")}{(device == "cpu" ? "" : $", {device}")}";
PrintRow("training loop", Median(handLoop), Median(trainerLoop), pytorchLoop);
PrintRow("end to end (Fit)", Median(handEndToEnd), Median(trainerFit), pytorchEndToEnd);
if (arguments.Get("--score-check", 0) == 1)
    ScoreCheck();

void PrintRow(string measure, double hand, double trainer, List<double> pytorch)
{
    var peer = pytorch.Count == 0 ? " | |" : string.Create(CultureInfo.InvariantCulture, $" {Median(pytorch):F0} | {trainer / Median(pytorch):F2}x |");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {measure} | {hand:F0} | {trainer:F0} ({trainer / hand:F2}x) |{peer}"));
}

void HandRun()
{
    var (loop, endToEnd) = HandWrittenEpoch();
    handLoop.Add(loop);
    handEndToEnd.Add(endToEnd);
}

(double Loop, double EndToEnd) HandWrittenEpoch()
{
    var created = Stopwatch.StartNew();
    manual_seed(1);
    using var model = CnnZoo.Create(arch, 10, channels);
    model.to(new Device(device)).train();
    using TorchSharp.Modules.OptimizerHelper optimizer = adamW
        ? optim.AdamW(model.parameters(), 0.002, weight_decay: 5e-4)
        : optim.SGD(model.parameters(), 0.05, momentum: 0.9, weight_decay: 5e-4);
    var clock = Stopwatch.StartNew();
    for (var epoch = 0; epoch < epochs; epoch++)
    {
        using var order = randperm(rows);
        for (var start = 0; start < rows; start += batch)
        {
            using var scope = NewDisposeScope();
            var index = order.narrow(0, start, Math.Min(batch, rows - start));
            var x = (images.index_select(0, index).to(new Device(device)).to_type(ScalarType.Float32) / 255f - 0.5f) / 0.25f;
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(x), targets.index_select(0, index).to(new Device(device)));
            loss.backward();
            optimizer.step();
            loss.item<float>();
        }
    }
    return (epochs * rows / clock.Elapsed.TotalSeconds, epochs * rows / created.Elapsed.TotalSeconds);
}

void TrainerRun()
{
    var (loop, fit) = TrainerEpoch();
    trainerLoop.Add(loop);
    trainerFit.Add(fit);
}

CnnTrainerOptions TrainerOptions() => new()
{
    Model = new() { Architecture = arch },
    Columns = new() { Image = "Pixels" },
    Input = new() { VectorShape = (channels, size, size), Mean = Enumerable.Repeat(0.5f, channels).ToArray(), Std = Enumerable.Repeat(0.25f, channels).ToArray() },
    Optimizer = adamW ? new() { Kind = CnnOptimizer.AdamW, LearningRate = 0.002, WeightDecay = 5e-4 } : new() { Kind = CnnOptimizer.Sgd, LearningRate = 0.05 },
    Schedule = new() { Epochs = epochs, BatchSize = batch, Kind = CnnLearningRateSchedule.Constant, WarmupEpochs = 0 },
    Runtime = new() { Threads = threads, Seed = 1, Device = device, Precision = precision },
};

void ScoreCheck()
{
    using var model = ml.MulticlassClassification.Trainers.Cnn(TrainerOptions()).Fit(keyed);
    var clock = Stopwatch.StartNew();
    var scores = ml.Data.CreateEnumerable<Scored>(model.Transform(keyed), false).Select(s => s.Score).ToList();
    var seconds = clock.Elapsed.TotalSeconds;
    var checkpoint = Path.Combine(Path.GetTempPath(), $"mlnetcnn-bench-{Guid.NewGuid():N}.mlnetcnn");
    model.SaveCheckpoint(checkpoint);
    using var onCpu = ml.Cnn().LoadClassifier(checkpoint, device: "cpu", engine: CnnInferenceEngine.OnnxRuntime);
    File.Delete(checkpoint);
    var reference = ml.Data.CreateEnumerable<Scored>(onCpu.Transform(keyed), false).Select(s => s.Score).ToList();
    var difference = scores.Zip(reference).Max(p => p.First.Zip(p.Second).Max(q => Math.Abs(q.First - q.Second)));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"scoring {rows} rows on {model.Model.parameters().First().device} (engine {model.InferenceEngine}: TorchSharp on CUDA, else ONNX Runtime): {rows / seconds:F0} images/s; " +
        $"largest score difference against the checkpoint reloaded on the CPU under ONNX Runtime: {difference:G3}"));
}

void PyTorchRun()
{
    var (loop, endToEnd) = PyTorchEpoch(python!);
    pytorchLoop.Add(loop);
    pytorchEndToEnd.Add(endToEnd);
}

(double Loop, double Fit) TrainerEpoch()
{
    var clock = Stopwatch.StartNew();
    using var model = ml.MulticlassClassification.Trainers.Cnn(TrainerOptions()).Fit(keyed);
    // The loop figure is the training batches' own time (History's images/s), as the hand loop's clock starts after model creation.
    return (epochs * rows / model.History.Sum(h => rows / h.ImagesPerSecond), epochs * rows / clock.Elapsed.TotalSeconds);
}

(double Loop, double EndToEnd) PyTorchEpoch(string pythonPath)
{
    var output = PyTorchPeer.Run(pythonPath, "train_throughput.py",
        "--arch", arch, "--channels", $"{channels}", "--size", $"{size}", "--batch", $"{batch}", "--rows", $"{rows}", "--epochs", $"{epochs}",
        "--threads", $"{threads}", "--device", device, "--optimizer", adamW ? "adamw" : "sgd");
    var figures = output.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray();
    return (figures[0], figures[1]);
}


static SchemaDefinition SchemaDefinitionFor(int length)
{
    var definition = SchemaDefinition.Create(typeof(Row));
    definition[nameof(Row.Pixels)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, length);
    return definition;
}

internal sealed class Scored
{
    public float[] Score { get; set; } = [];
}

internal sealed class Row
{
    public string Label { get; set; } = "";
    public float[] Pixels { get; set; } = [];
}
