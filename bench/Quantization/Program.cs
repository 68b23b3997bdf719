// Int8 against fp32, two parts, Markdown rows on stdout:
//  1. Speed: the ImageNet ResNet-18 (the imported CNTK one, as ML.NET's DnnFeaturizeImage ships it) featurizing 320x240 JPEG and
//     PNG files at 224x224, batch 32, through the ML.NET cursor (decoding and resizing included): ML.NET's DnnFeaturizeImage, our
//     fp32 engine and our int8 featurizer (calibrated on 64 of the files, MinMax), run alternately, medians of --repeats runs;
//     the same two engines on the images already decoded and resized, held in memory as pixel vectors (the network alone);
//     the bf16 TorchSharp engine from the same files where the CPU has bf16 units; the mean cosine similarity of int8 (and bf16) to
//     fp32 features; PredictionEngine latency per image; PyTorch's own fp32, int8 and autocast bf16 + channels-last
//     (bench/pytorch/quantized_inference.py), on tensors in memory and from the same files, when a python with torch is given.
//  2. Accuracy (--fashion-mnist DIR): resnet20 trained on Fashion-MNIST, quantized on 256 training rows, both evaluated by ML.NET's
//     evaluator on the 10,000 test images: accuracy, log-loss and top-1 agreement.
// Usage: dotnet run -c Release --project bench/Quantization [-- --rows 96 --repeats 5 --threads 2 --python /usr/bin/python3.13
//        --fashion-mnist /usr/share/datasets/fashion-mnist --train 10000 --epochs 3 --weight-bits 7|8]
// --weight-bits is CnnQuantizationOptions.WeightBits (7, the portable default, or 8 for CPUs with VNNI or AMX).
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using MLNetCnn;
using MLNetCnn.Bench;
using MLNetCnn.Compute;
using MLNetCnn.Samples;
using MLNetCnn.Zoo;
using static MLNetCnn.Bench.Cursors;
using static MLNetCnn.Bench.Statistics;

var arguments = new Arguments(args);
var rows = arguments.Get("--rows", 96);
var repeats = arguments.Get("--repeats", 5);
var threads = arguments.Get("--threads", 2);
var python = arguments.GetOrNull("--python");
var fashionMnist = arguments.GetOrNull("--fashion-mnist");
var quantization = new CnnQuantizationOptions { WeightBits = arguments.Get("--weight-bits", 7) };
TorchSharp.torch.set_num_threads(threads);
var ml = new MLContext(seed: 1);
var invariant = CultureInfo.InvariantCulture;

var folder = Directory.CreateTempSubdirectory("mlnetcnn-quantization-bench-").FullName;
try
{
    var files = ImageFiles.Write(folder, rows);
    IDataView Files(int? count = null) => ml.Transforms.LoadImages("Image", folder, "ImagePath")
        .Fit(ml.Data.LoadFromEnumerable(files.Take(count ?? files.Count).Select(f => new FileRow { ImagePath = f })))
        .Transform(ml.Data.LoadFromEnumerable(files.Take(count ?? files.Count).Select(f => new FileRow { ImagePath = f })));

    using var resnet = DnnFeaturizerResNet18.Import();
    var preprocessing = CnnPreprocessing.ForImages(resnet, imageSize: 224);
    using var fp32 = (CnnFeaturizerTransformer)ml.Transforms.CnnFeaturize("Features", "Image", resnet, preprocessing, batchSize: 32).Fit(Files(1));
    var calibrate = Stopwatch.StartNew();
    using var int8 = fp32.Quantize(Files(64), quantization);
    var calibrationSeconds = calibrate.Elapsed.TotalSeconds;
    var dnn = ml.Transforms.ResizeImages("Resized", 224, 224, "Image")
        .Append(ml.Transforms.ExtractPixels("Pixels", "Resized", interleavePixelColors: false))
        .Append(ml.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), "Pixels"))
        .Fit(Files(1));

    // The same images decoded and resized once, held as 3x224x224 pixel vectors: the network alone, as PyTorch's in-memory peer runs.
    var pixels = ml.Transforms.ResizeImages("Resized", 224, 224, "Image")
        .Append(ml.Transforms.ExtractPixels("Pixels", "Resized", interleavePixelColors: false)).Fit(Files(1)).Transform(Files());
    var inMemory = ml.Data.LoadFromEnumerable(ml.Data.CreateEnumerable<PixelRow>(pixels, reuseRowObject: false).ToList());
    var vectorPreprocessing = new CnnPreprocessing(CnnInputKind.Vector, resnet.DefaultNormalization!, VectorShape: (3, 224, 224));
    using var fp32InMemory = (CnnFeaturizerTransformer)ml.Transforms.CnnFeaturize("Features", "Pixels", resnet, vectorPreprocessing, batchSize: 32).Fit(inMemory);
    using var int8InMemory = fp32InMemory.Quantize(ml.Data.TakeRows(inMemory, 64), quantization);

    // The bf16 TorchSharp engine (channels-last), on CPUs with bf16 units only: it is refused elsewhere.
    using var bf16 = CpuFeatures.HasBFloat16Units
        ? (CnnFeaturizerTransformer)ml.Transforms.CnnFeaturize("Features", "Image", resnet, preprocessing, batchSize: 32, engine: CnnInferenceEngine.TorchSharpBFloat16).Fit(Files(1))
        : null;
    var variants = new (string Name, ITransformer Model, Func<IDataView> Data)[]
    {
        ("ML.NET DnnFeaturizeImage", dnn, () => Files()), ("ours fp32 (CnnFeaturize, default engine)", fp32, () => Files()),
        ("ours int8 (Quantize)", int8, () => Files()),
        ("ours fp32, pixels in memory (no decoding or resizing)", fp32InMemory, () => inMemory),
        ("ours int8, pixels in memory (no decoding or resizing)", int8InMemory, () => inMemory),
    }.Concat(bf16 is null ? [] : [("ours bf16 (TorchSharp bf16 engine, channels-last)", (ITransformer)bf16, () => Files())]).ToArray();
    foreach (var (_, model, data) in variants)
        Drain(model.Transform(data()), "Features");   // warm-up
    var results = variants.ToDictionary(v => v.Name, _ => new List<double>());
    var pytorch = new Dictionary<string, List<double>>();
    for (var r = 0; r < repeats; r++)
    {
        foreach (var (name, model, data) in variants)
        {
            var clock = Stopwatch.StartNew();
            var count = Drain(model.Transform(data()), "Features");
            results[name].Add(count / clock.Elapsed.TotalSeconds);
        }
        if (python is not null)
            foreach (var (key, value) in JsonSerializer.Deserialize<Dictionary<string, double>>(
                         PyTorchPeer.Run(python, "quantized_inference.py", ["--rows", "64", "--threads", $"{threads}", "--files", folder, .. (bf16 is null ? Array.Empty<string>() : ["--bf16"])]))!)
                (pytorch.TryGetValue(key, out var list) ? list : pytorch[key] = []).Add(value);
        Console.Error.WriteLine($"run {r + 1}: " + string.Join(", ", results.Select(p => string.Create(invariant, $"{p.Key} {p.Value[^1]:F1}"))));
    }

    var baseline = Median(results["ML.NET DnnFeaturizeImage"]);
    var ours = Median(results["ours fp32 (CnnFeaturize, default engine)"]);
    Console.WriteLine($"| ResNet-18 at 224 from {rows} JPEG/PNG files (320x240), batch 32, {threads} threads | images/s (median) | vs DnnFeaturizeImage | vs ours fp32 |");
    Console.WriteLine("|---|---:|---:|---:|");
    foreach (var (name, values) in results)
        Console.WriteLine(string.Create(invariant, $"| {name} | {Median(values):F1} | {Median(values) / baseline:F2}x | {Median(values) / ours:F2}x |"));
    foreach (var (key, values) in pytorch)
        Console.WriteLine(string.Create(invariant, $"| PyTorch {torchLabel(key)} | {Median(values):F1} | {Median(values) / baseline:F2}x | {Median(values) / ours:F2}x |"));
    Console.WriteLine(string.Create(invariant, $"| int8 against fp32 features: mean cosine similarity | {MeanCosine(fp32, int8, Files()):F4} | | |"));
    if (bf16 is not null)
        Console.WriteLine(string.Create(invariant, $"| bf16 against fp32 features: mean cosine similarity | {MeanCosine(fp32, bf16, Files()):F4} | | |"));
    Console.WriteLine(string.Create(invariant, $"| calibration on 64 files (read, fp32 runs, graph rewrite) | {calibrationSeconds:F1} s | | |"));
    var fp32Latency = LatencyMs(fp32);
    var int8Latency = LatencyMs(int8);
    Console.WriteLine(string.Create(invariant, $"| PredictionEngine, one 320x240 image: fp32 / int8 | {fp32Latency:F1} ms / {int8Latency:F1} ms | | {fp32Latency / int8Latency:F2}x faster |"));

    if (fashionMnist is not null)
        FashionMnistAccuracy(fashionMnist, arguments.Get("--train", 10_000), arguments.Get("--epochs", 3));

    double LatencyMs(ITransformer model)
    {
        using var engine = ml.Model.CreatePredictionEngine<ImageRow, FeatureRow>(model);
        var images = files.Take(20).Select(f => MLImage.CreateFromFile(Path.Combine(folder, f))).ToList();
        engine.Predict(new ImageRow { Image = images[0] });
        var clock = Stopwatch.StartNew();
        foreach (var image in images)
            engine.Predict(new ImageRow { Image = image });
        return clock.Elapsed.TotalMilliseconds / images.Count;
    }
}
finally
{
    Directory.Delete(folder, recursive: true);
}

static string torchLabel(string key) => key.EndsWith("_files", StringComparison.Ordinal)
    ? key[..key.IndexOf('_')] + ", b32, torchvision resnet18 from the same files (PIL decode, bilinear resize)"
    : key[..key.IndexOf('_')] + ", b32, torchvision resnet18, tensors in memory";

double MeanCosine(ITransformer a, ITransformer b, IDataView data)
{
    var x = ml.Data.CreateEnumerable<FeatureRow>(a.Transform(data), reuseRowObject: false).ToList();
    var y = ml.Data.CreateEnumerable<FeatureRow>(b.Transform(data), reuseRowObject: false).ToList();
    return x.Zip(y).Average(p => System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(p.First.Features, p.Second.Features));
}

void FashionMnistAccuracy(string dataFolder, int trainCount, int epochs)
{
    var (train, test) = FashionMnistRows.LoadKeyed(ml, dataFolder, trainCount);
    var options = FashionMnistRows.ForPixels(CnnRecipes.Sgd("resnet20", epochs));
    options = options with { Runtime = options.Runtime with { Threads = threads } };
    using var classifier = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);
    using var quantized = classifier.Quantize(ml.Data.TakeRows(train, 256), quantization);
    var floatMetrics = ml.MulticlassClassification.Evaluate(classifier.Transform(test));
    var intMetrics = ml.MulticlassClassification.Evaluate(quantized.Transform(test));
    var agreement = ml.Data.CreateEnumerable<Predicted>(classifier.Transform(test), reuseRowObject: false)
        .Zip(ml.Data.CreateEnumerable<Predicted>(quantized.Transform(test), reuseRowObject: false))
        .Average(p => p.First.PredictedLabel == p.Second.PredictedLabel ? 1.0 : 0.0);
    Console.WriteLine();
    Console.WriteLine($"| Fashion-MNIST resnet20 ({trainCount:N0} training images, {epochs} epochs), 10,000 test images | fp32 | int8 (256 calibration rows, MinMax) |");
    Console.WriteLine("|---|---:|---:|");
    Console.WriteLine(string.Create(invariant, $"| accuracy (ML.NET evaluator) | {floatMetrics.MicroAccuracy:P2} | {intMetrics.MicroAccuracy:P2} |"));
    Console.WriteLine(string.Create(invariant, $"| log-loss | {floatMetrics.LogLoss:F4} | {intMetrics.LogLoss:F4} |"));
    Console.WriteLine(string.Create(invariant, $"| top-1 agreement with fp32 | | {agreement:P2} |"));
}


internal sealed class FileRow
{
    public string ImagePath { get; set; } = "";
}

internal sealed class ImageRow
{
    [ImageType(240, 320)]
    public MLImage Image { get; set; } = null!;
}

internal sealed class PixelRow
{
    [VectorType(3 * 224 * 224)]
    public float[] Pixels { get; set; } = [];
}

internal sealed class FeatureRow
{
    public float[] Features { get; set; } = [];
}

internal sealed class Predicted
{
    public uint PredictedLabel { get; set; }
}
