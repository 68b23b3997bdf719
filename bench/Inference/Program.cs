// Featurization throughput at 3x224x224 (ResNet-18 pre-logits features), images/s, each variant over the same
// cached rows, run alternately (these machines are noisy), medians printed as Markdown rows:
//  - our CnnFeaturize transformer, batch 1 and 32, on torchvision's resnet18 and on the imported CNTK ResNet-18, and the bf16
//    TorchSharp engine where the CPU has bf16 units (NaN elsewhere);
//  - ML.NET's DnnFeaturizeImage ResNet18 pipeline (the same CNTK weights, ONNX Runtime);
//  - ONNX Runtime called directly on our ONNX export (one session, no spinning): the bound our engine can reach;
//  - PyTorch eager (bench/pytorch/inference.py, torchvision's resnet18), when a python with torch is given.
// Also the time from building each pipeline to its first row's features (a cold start).
// Usage: dotnet run -c Release --project bench/Inference [-- --rows 64 --repeats 5 --threads 2 --python /usr/bin/python3.13]
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNetCnn;
using MLNetCnn.Bench;
using MLNetCnn.Compute;
using static MLNetCnn.Bench.Cursors;
using static MLNetCnn.Bench.Statistics;
using MLNetCnn.Samples;
using MLNetCnn.Zoo;

var arguments = new Arguments(args);
var rows = arguments.Get("--rows", 64);
var repeats = arguments.Get("--repeats", 5);
var threads = arguments.Get("--threads", 2);
var python = arguments.GetOrNull("--python");
TorchSharp.torch.set_num_threads(threads);
const int Length = 3 * 224 * 224;

var random = new Random(1);
var data = Enumerable.Range(0, rows).Select(_ => new Row { Pixels = Enumerable.Range(0, Length).Select(_ => (float)random.Next(256)).ToArray() }).ToList();
var ml = new MLContext(seed: 1);
var view = ml.Data.Cache(ml.Data.LoadFromEnumerable(data));
Drain(view, "Pixels");

var raw = new CnnPreprocessing(CnnInputKind.Vector, new PixelNormalization(3, 224, 224, 1f, [0f, 0f, 0f], [1f, 1f, 1f]), (3, 224, 224));
using var torchvisionResNet = CnnZoo.Create("resnet18", 1000, 3);
using var cntkResNet = DnnFeaturizerResNet18.Import();
var cold = new Dictionary<string, double>
{
    ["ours, ONNX Runtime engine, b1"] = FirstRowSeconds(() => Ours(torchvisionResNet, 1, CnnInferenceEngine.OnnxRuntime).Transform(view)),
    ["ours, TorchSharp engine, b1"] = FirstRowSeconds(() => Ours(torchvisionResNet, 1, CnnInferenceEngine.TorchSharp).Transform(view)),
    ["DnnFeaturizeImage"] = FirstRowSeconds(() => DnnFeaturizer().Fit(view).Transform(view)),
};
// Each pipeline is built and run once before timing: the throughput is that of a warm pipeline.
var variants = new (string Name, Func<double> Run)[]
{
    ("ours resnet18, ONNX Runtime engine (default on CPU), b1", Warm(Ours(torchvisionResNet, 1, CnnInferenceEngine.OnnxRuntime).Transform(view))),
    ("ours resnet18, ONNX Runtime engine (default on CPU), b32", Warm(Ours(torchvisionResNet, 32, CnnInferenceEngine.OnnxRuntime).Transform(view))),
    ("ours resnet18, TorchSharp engine, b1", Warm(Ours(torchvisionResNet, 1, CnnInferenceEngine.TorchSharp).Transform(view))),
    ("ours resnet18, TorchSharp engine, b32", Warm(Ours(torchvisionResNet, 32, CnnInferenceEngine.TorchSharp).Transform(view))),
    ("ours resnet18, TorchSharp bf16 engine, b32", CpuFeatures.HasBFloat16Units ? Warm(Ours(torchvisionResNet, 32, CnnInferenceEngine.TorchSharpBFloat16).Transform(view)) : () => double.NaN),
    ("ours imported CNTK ResNet-18, default engine, b32", Warm(Ours(cntkResNet, 32, CnnInferenceEngine.Auto).Transform(view))),
    ("ML.NET DnnFeaturizeImage (same CNTK ResNet-18)", Warm(DnnFeaturizer().Fit(view).Transform(view))),
    ("ONNX Runtime called directly on our export, b1", OrtThroughput(torchvisionResNet, 1)),
    ("ONNX Runtime called directly on our export, b32", OrtThroughput(torchvisionResNet, 32)),
};
var results = variants.ToDictionary(v => v.Name, _ => new List<double>());
var pytorch = new Dictionary<string, List<double>>();
for (var r = 0; r < repeats; r++)
{
    foreach (var (name, run) in variants)
        results[name].Add(run());
    if (python is not null)
        foreach (var (key, value) in PyTorch())
            (pytorch.TryGetValue(key, out var list) ? list : pytorch[key] = []).Add(value);
    Console.Error.WriteLine($"run {r + 1}: " + string.Join(", ", results.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value[^1]:F1}"))));
}

const string Baseline = "ours resnet18, ONNX Runtime engine (default on CPU), b32";
var baseline = Median(results[Baseline]);
Console.WriteLine("| featurizer, ResNet-18 at 224, 2 threads | images/s (median) | vs ours b32 (default engine) |");
Console.WriteLine("|---|---:|---:|");
foreach (var (name, values) in results.Concat(pytorch.Select(p => KeyValuePair.Create("PyTorch eager resnet18 " + p.Key, p.Value))))
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {Median(values):F1} | {Median(values) / baseline:F2}x |"));
foreach (var (name, seconds) in cold)
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| first row after building the pipeline: {name} | {seconds:F2} s | |"));

CnnFeaturizerTransformer Ours(CnnModel model, int batch, CnnInferenceEngine engine)
    => ml.Transforms.CnnFeaturize("Features", "Pixels", model, raw, batchSize: batch, engine: engine).Fit(view);

IEstimator<ITransformer> DnnFeaturizer()
    => ml.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), "Pixels");

Func<double> Warm(IDataView transformed)
{
    Drain(transformed, "Features");
    return () => Throughput(transformed);
}

Func<double> OrtThroughput(CnnModel model, int batch)
{
    var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
    options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
    var session = new InferenceSession(model.ToOnnx(3, 224, 224, new OnnxExportOptions { Features = true }), options);
    var runOptions = new RunOptions();
    var input = new float[batch * Length];
    Func<double> run = () =>
    {
        var clock = Stopwatch.StartNew();
        for (var first = 0; first < rows; first += batch)
        {
            var count = Math.Min(batch, rows - first);
            for (var i = 0; i < count; i++)
                data[first + i].Pixels.CopyTo(input, i * Length);
            using var tensor = OrtValue.CreateTensorValueFromMemory(input, [count, 3, 224, 224]);
            using var outputs = session.Run(runOptions, ["input"], [tensor], ["output"]);
        }
        return rows / clock.Elapsed.TotalSeconds;
    };
    run();
    return run;
}

Dictionary<string, double> PyTorch()
{
    var output = PyTorchPeer.Run(python!, "inference.py", "--rows", $"{rows}", "--threads", $"{threads}");
    return JsonSerializer.Deserialize<Dictionary<string, double>>(output)!;
}

double Throughput(IDataView transformed)
{
    var clock = Stopwatch.StartNew();
    var count = Drain(transformed, "Features");
    return count / clock.Elapsed.TotalSeconds;
}

double FirstRowSeconds(Func<IDataView> build)
{
    var clock = Stopwatch.StartNew();
    var transformed = build();
    using var cursor = transformed.GetRowCursor([transformed.Schema["Features"]]);
    var getter = cursor.GetGetter<VBuffer<float>>(transformed.Schema["Features"]);
    VBuffer<float> value = default;
    cursor.MoveNext();
    getter(ref value);
    return clock.Elapsed.TotalSeconds;
}



internal sealed class Row
{
    [VectorType(3 * 224 * 224)]
    public float[] Pixels { get; set; } = [];
}
