// Where a training step's time goes, as the trainer runs it from photo files: resnet18 at 224x224, batch 32, from 320x240 JPEG
// and PNG files, ms per batch of 32 images, medians of --repeats rounds (rounds alternate the order; these machines drift).
//  - Reading, which Fit does once, before the first step (the cache then holds the result): decoding (ML.NET's LoadImages, the
//    MLImage of each file), and resizing and copying into the trainer's cache (the trainer's own reader, less the decoding).
//  - One step, in float32 and, on CPUs with bf16 units, in bf16 through the trainer's route (its bf16 copy and channels-last
//    batches): loading the masters into the bf16 copy, forward with the loss, backward, storing the gradients back into the
//    masters, and the default optimiser's step (MLNetCnn's AdamW, libtorch's fused kernel).
// Usage: dotnet run -c Release --project bench/StepBreakdown [-- --rows 64 --steps 6 --repeats 3 --threads 2]
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn;
using MLNetCnn.Bench;
using MLNetCnn.Compute;
using MLNetCnn.Samples;
using MLNetCnn.Zoo;
using static MLNetCnn.Bench.Statistics;
using static TorchSharp.torch;

var arguments = new Arguments(args);
var rows = arguments.Get("--rows", 64);
var steps = arguments.Get("--steps", 6);
var repeats = arguments.Get("--repeats", 3);
var threads = arguments.Get("--threads", 2);
const int Batch = 32, Size = 224, Classes = 4;
set_num_threads(threads);
var invariant = CultureInfo.InvariantCulture;

var folder = Directory.CreateTempSubdirectory("mlnetcnn-step-breakdown-bench-").FullName;
try
{
    var files = ImageFiles.Write(folder, rows, Classes);
    var ml = new MLContext(seed: 1);
    var images = PhotoFolder.Load(ml, folder, files);

    var phases = new Dictionary<string, List<double>>();
    void Add(string phase, double ms) => (phases.TryGetValue(phase, out var list) ? list : phases[phase] = []).Add(ms);
    var precisions = CpuFeatures.HasBFloat16Units ? new[] { CnnPrecision.Float32, CnnPrecision.BFloat16 } : [CnnPrecision.Float32];
    for (var r = 0; r < repeats; r++)
    {
        var perBatch = 1000.0 * Batch / rows;
        var decoding = Decode();
        Add("decode (ML.NET LoadImages)", decoding * perBatch);
        Add("resize and copy into the cache", (Read() - decoding) * perBatch);
        foreach (var precision in r % 2 == 0 ? precisions : precisions.Reverse().ToArray())
            foreach (var (phase, ms) in Step(precision))
                Add(phase, ms);
        Console.Error.WriteLine($"round {r + 1} done");
    }

    Console.WriteLine($"CPU: {CpuFeatures.Describe()}, {threads} threads; resnet18 at {Size}, batch {Batch}, {rows} files of 320x240.");
    Console.WriteLine();
    Console.WriteLine("| phase | ms per batch of 32 | share of its part |");
    Console.WriteLine("|---|---:|---:|");
    foreach (var part in new[] { "reading", "float32", "bf16" })
    {
        var members = phases.Where(p => Part(p.Key) == part).Select(p => (p.Key, Median(p.Value))).ToList();
        var total = members.Sum(m => m.Item2);
        foreach (var (phase, ms) in members)
            Console.WriteLine(string.Create(invariant, $"| {phase} | {ms:F1} | {ms / total:P1} |"));
        if (members.Count > 0)
            Console.WriteLine(string.Create(invariant, $"| **{part}, all** | **{total:F1}** | |"));
    }

    static string Part(string phase) => phase.StartsWith("float32", StringComparison.Ordinal) ? "float32" : phase.StartsWith("bf16", StringComparison.Ordinal) ? "bf16" : "reading";

    // Seconds to decode every file, as the trainer's reader gets its images from ML.NET.
    double Decode()
    {
        var clock = Stopwatch.StartNew();
        using var cursor = images.GetRowCursor([images.Schema["Image"]]);
        var getter = cursor.GetGetter<MLImage>(images.Schema["Image"]);
        MLImage image = null!;
        while (cursor.MoveNext())
        {
            getter(ref image);
            image.Dispose();
        }
        return clock.Elapsed.TotalSeconds;
    }

    double Read() => PhotoFolder.ReaderSeconds(images, Size, Classes);

    // Median milliseconds of each phase of a step over --steps steps (after one to warm up), on one batch of the right shape.
    IEnumerable<(string Phase, double Ms)> Step(CnnPrecision precision)
    {
        var bf16 = precision == CnnPrecision.BFloat16;
        var name = bf16 ? "bf16" : "float32";
        manual_seed(1);
        using var model = CnnZoo.Create("resnet18", Classes, 3);
        using var copy = bf16 ? new MixedPrecisionCopy(model, ScalarType.BFloat16) : null;
        var format = ComputeFormat.Resolve(new() { Precision = precision }, model, TorchSharp.DeviceType.CPU);
        using var batch = randn(Batch, 3, Size, Size);
        using var labels = randint(0, Classes, [Batch]);
        using var optimizer = new MLNetCnn.Training.Fused.AdamW([new TorchSharp.Modules.AdamW.ParamGroup(model.parameters(), 0.002, weight_decay: 5e-4)], 0.002, 5e-4);
        model.train();
        var timings = new Dictionary<string, List<double>>();
        var clock = new Stopwatch();
        void Mark(string phase)
        {
            if (!timings.TryGetValue(phase, out var list))
                timings[phase] = list = [];
            list.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
        }
        for (var step = 0; step <= steps; step++)
        {
            using var scope = NewDisposeScope();
            clock.Restart();
            optimizer.zero_grad();
            var network = copy?.Load() ?? model;
            if (bf16)
                Mark($"{name}: load the masters into the bf16 copy");
            var loss = nn.functional.cross_entropy(network.call(format.TrainingInput(batch)).to(ScalarType.Float32), labels);
            loss.item<float>();
            Mark($"{name}: forward and loss");
            loss.backward();
            Mark($"{name}: backward");
            if (copy is not null)
            {
                copy.Store();
                Mark($"{name}: store the gradients into the masters");
            }
            optimizer.step();
            Mark($"{name}: optimiser step (AdamW, fused)");
        }
        // The first step warms up.
        return timings.Select(t => (t.Key, Median(t.Value.Skip(1))));
    }
}
finally
{
    Directory.Delete(folder, recursive: true);
}
