// Scoring latency and allocations of a trained classifier (resnet20, 3x32x32, 10 classes) with each inference engine,
// measured by BenchmarkDotNet in this process: one row through a PredictionEngine (what a web service does per
// request) and 256 rows through Transform and a cursor (batches of 64). TorchSharp is the baseline of the ratios.
// Usage: dotnet run -c Release --project bench/Prediction [-- --filter '*' --artifacts <folder>]
// The Markdown table lands in <folder>/results/*-report-github.md (default folder: BenchmarkDotNet.Artifacts).
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn;

// In process: the benchmark needs no generated project, and libtorch is loaded once. 10 iterations after 3 warm-ups
// keep the run near two minutes on 2 cores.
var config = DefaultConfig.Instance.AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10).WithToolchain(InProcessEmitToolchain.Instance));
BenchmarkSwitcher.FromAssembly(typeof(PredictionBenchmarks).Assembly).Run(args.Length == 0 ? ["--filter", "*"] : args, config);

/// <summary>One trained classifier per engine, scored row by row and in batches.</summary>
[MemoryDiagnoser]
public class PredictionBenchmarks
{
    private const int Size = 32;
    private const int Rows = 256;
    private readonly MLContext ml = new(seed: 1);
    private List<PixelRow> rows = [];
    private IDataView data = null!;
    private CnnClassifierTransformer model = null!;
    private PredictionEngine<PixelRow, Scored> engine = null!;

    [Params(CnnInferenceEngine.TorchSharp, CnnInferenceEngine.OnnxRuntime)]
    public CnnInferenceEngine Engine { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        rows = Enumerable.Range(0, Rows).Select(i => new PixelRow
        {
            Label = $"class{i % 10}",
            Pixels = Enumerable.Range(0, 3 * Size * Size).Select(_ => (float)random.Next(256)).ToArray(),
        }).ToList();
        data = ml.Data.Cache(ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows)));
        model = ml.MulticlassClassification.Trainers.Cnn(new CnnTrainerOptions
        {
            Model = new() { Architecture = "resnet20" },
            Columns = new() { Image = "Pixels" },
            Input = new() { VectorShape = (3, Size, Size) },
            Schedule = new() { Epochs = 1, BatchSize = 64 },
            Runtime = new() { ScoringBatchSize = 64, Threads = 2, Seed = 1, InferenceEngine = Engine },
        }).Fit(data);
        engine = ml.Model.CreatePredictionEngine<PixelRow, Scored>(model);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        engine.Dispose();
        model.Dispose();
    }

    [Benchmark]
    public uint PredictOneRow() => engine.Predict(rows[0]).PredictedLabel;

    [Benchmark]
    public float Score256RowsInBatchesOf64()
    {
        var scored = model.Transform(data);
        using var cursor = scored.GetRowCursor([scored.Schema["Score"]]);
        var getter = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        VBuffer<float> score = default;
        var sum = 0f;
        while (cursor.MoveNext())
        {
            getter(ref score);
            sum += score.GetValues()[0];
        }
        return sum;
    }
}

/// <summary>A 3x32x32 image as planar 0-255 floats.</summary>
public sealed class PixelRow
{
    public string Label { get; set; } = "";

    [VectorType(3 * 32 * 32)]
    public float[] Pixels { get; set; } = [];
}

/// <summary>What the classifier adds.</summary>
public sealed class Scored
{
    public float[] Score { get; set; } = [];
    public uint PredictedLabel { get; set; }
}
