// Training throughput of the ML.NET trainer against a hand-written TorchSharp loop over the same tensors,
// run alternately in one process (these machines are noisy); prints medians and their ratio as a Markdown row.
// Usage: dotnet run -c Release --project bench/TrainingThroughput [-- --arch resnet20 --channels 1 --size 28 --batch 128 --rows 2560 --repeats 5 --threads 2]
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn;
using MLNetCnn.Zoo;
using TorchSharp;
using static TorchSharp.torch;

var arch = Option("--arch", "resnet20");
var channels = int.Parse(Option("--channels", "1"), CultureInfo.InvariantCulture);
var size = int.Parse(Option("--size", "28"), CultureInfo.InvariantCulture);
var batch = int.Parse(Option("--batch", "128"), CultureInfo.InvariantCulture);
var rows = int.Parse(Option("--rows", "2560"), CultureInfo.InvariantCulture);
var repeats = int.Parse(Option("--repeats", "5"), CultureInfo.InvariantCulture);
var threads = int.Parse(Option("--threads", "2"), CultureInfo.InvariantCulture);
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

var hand = new List<double>();
var trainerLoop = new List<double>();
var trainerFit = new List<double>();
for (var r = 0; r < repeats; r++)
{
    hand.Add(HandWrittenEpoch());
    var (loop, fit) = TrainerEpoch();
    trainerLoop.Add(loop);
    trainerFit.Add(fit);
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {r + 1}: hand {hand[^1]:F0} img/s, trainer loop {loop:F0} img/s, trainer Fit {fit:F0} img/s"));
}
var (h, l, f) = (Median(hand), Median(trainerLoop), Median(trainerFit));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"| {arch} {channels}x{size}x{size} b{batch} | {h:F0} | {l:F0} ({l / h:F2}x) | {f:F0} ({f / h:F2}x) |"));

double HandWrittenEpoch()
{
    manual_seed(1);
    using var model = CnnZoo.Create(arch, 10, channels);
    model.train();
    using var optimizer = optim.SGD(model.parameters(), 0.05, momentum: 0.9, weight_decay: 5e-4);
    using var order = randperm(rows);
    var clock = Stopwatch.StartNew();
    for (var start = 0; start < rows; start += batch)
    {
        using var scope = NewDisposeScope();
        var index = order.narrow(0, start, Math.Min(batch, rows - start));
        var x = (images.index_select(0, index).to_type(ScalarType.Float32) / 255f - 0.5f) / 0.25f;
        optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(model.call(x), targets.index_select(0, index));
        loss.backward();
        optimizer.step();
        loss.item<float>();
    }
    return rows / clock.Elapsed.TotalSeconds;
}

(double Loop, double Fit) TrainerEpoch()
{
    var options = new CnnTrainerOptions
    {
        Architecture = arch, ImageColumnName = "Pixels", VectorShape = (channels, size, size), Epochs = 1, BatchSize = batch,
        LearningRate = 0.05, Threads = threads, Seed = 1, Mean = Enumerable.Repeat(0.5f, channels).ToArray(), Std = Enumerable.Repeat(0.25f, channels).ToArray(),
    };
    var clock = Stopwatch.StartNew();
    using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(keyed);
    return (model.History[0].ImagesPerSecond, rows / clock.Elapsed.TotalSeconds);
}

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

static SchemaDefinition SchemaDefinitionFor(int length)
{
    var definition = SchemaDefinition.Create(typeof(Row));
    definition[nameof(Row.Pixels)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, length);
    return definition;
}

string Option(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

internal sealed class Row
{
    public string Label { get; set; } = "";
    public float[] Pixels { get; set; } = [];
}
