using FluentAssertions;
using Microsoft.ML;
using MLNetCnn.Compute;
using MLNetCnn.Tests.Support;
using MLNetCnn.Training;
using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn.Tests.Training;

/// <summary>
/// bf16 mixed precision and channels-last. On a CPU without bf16 units users are refused bf16, so the runs here take the CPU to
/// have them (libtorch emulates where it has not: the same bf16 rounding, slowly): what they check is the arithmetic, not the
/// speed, which bench/MixedPrecision measures.
/// </summary>
public class MixedPrecisionTests
{
    private static readonly List<ShapeExample> TrainRows = Shapes.Generate(320, seed: 11);
    private static readonly List<ShapeExample> TestRows = Shapes.Generate(160, seed: 12);

    // A ResNet-8 (one block per stage), a variant the bf16 copy must rebuild from its arguments; emulated bf16 is slow.
    private static CnnTrainerOptions Options(CnnPrecision precision, int epochs = 8)
    {
        var options = Pipelines.FastOptions(epochs);
        return options with
        {
            Model = options.Model with { Arguments = new CifarResNetArguments { BlocksPerStage = 1 } },
            Runtime = options.Runtime with { Precision = precision, AssumeBFloat16Units = true },
        };
    }

    private static CnnClassifierTransformer Train(MLContext ml, CnnTrainerOptions options, List<ShapeExample>? rows = null)
        => ml.MulticlassClassification.Trainers.Cnn(options).Fit(Pipelines.Keyed(ml, rows ?? TrainRows));

    private static double TestAccuracy(MLContext ml, CnnClassifierTransformer model)
        => ml.MulticlassClassification.Evaluate(model.Transform(Pipelines.Keyed(ml, TestRows))).MacroAccuracy;

    [Fact]
    public void BFloat16_LearnsTheRandomColourShapes_AsWellAsFloat32_AndHandsBackAFloat32Model()
    {
        var ml = new MLContext(seed: 1);
        using var float32 = Train(ml, Options(CnnPrecision.Float32));
        using var bfloat16 = Train(ml, Options(CnnPrecision.BFloat16));

        var (exact, mixed) = (TestAccuracy(ml, float32), TestAccuracy(ml, bfloat16));
        mixed.Should().BeGreaterThan(0.8, "bf16 learns the held-out shapes");
        mixed.Should().BeGreaterThanOrEqualTo(exact - 0.05, $"bf16 learns as well as float32 ({exact:P1})");
        bfloat16.Model.parameters().Should().OnlyContain(p => p.dtype == ScalarType.Float32, "the masters, and so the trained model, stay float32");
        bfloat16.Model.buffers().Where(b => b.is_floating_point()).Should().OnlyContain(b => b.dtype == ScalarType.Float32);
    }

    [Fact]
    public void BFloat16_ResumedMidRun_ReachesTheUninterruptedWeights()
    {
        using var folder = new TempFolder();
        var checkpoint = folder.File("run.ckpt");
        var ml = new MLContext(seed: 1);
        var rows = TrainRows.Take(96).ToList();
        using var full = Train(ml, Options(CnnPrecision.BFloat16, epochs: 2), rows);
        var first = Options(CnnPrecision.BFloat16, epochs: 2);
        using var cancellation = new CancellationTokenSource();
        first = first with
        {
            Checkpoint = first.Checkpoint with { Path = checkpoint },
            CancellationToken = cancellation.Token,
            Progress = new SynchronousProgress<CnnTrainingProgress>(p => { if (p.Epoch == 2 && !p.IsEpochEnd) cancellation.Cancel(); }),
        };
        FluentActions.Invoking(() => Train(ml, first, rows)).Should().Throw<OperationCanceledException>();
        var rest = Options(CnnPrecision.BFloat16, epochs: 2);
        using var resumed = Train(ml, rest with { Checkpoint = rest.Checkpoint with { ResumeFrom = checkpoint } }, rows);

        var (a, b) = (full.Model.state_dict(), resumed.Model.state_dict());
        a.Keys.Should().Equal(b.Keys);
        a.Should().OnlyContain(kv => kv.Value.eq(b[kv.Key]).all().item<bool>(), "the bf16 copy is rebuilt from the float32 masters every step");
    }

    [Fact]
    public void MixedPrecisionCopy_GivesTheMastersFloat32Gradients_CloseToFloat32Backprop_AndUpdatesTheirBatchStatistics()
    {
        manual_seed(3);
        using var master = CnnZoo.Create("resnet20", 4, 3);
        master.train();
        var images = randn(8, 3, 32, 32);
        var labels = randint(0, 4, [8]);
        nn.functional.cross_entropy(master.call(images), labels).backward();
        var exact = master.parameters().Select(p => p.grad!.clone()).ToList();
        master.zero_grad();
        var statistics = master.named_buffers().First(b => b.name.EndsWith("running_mean")).buffer;
        var before = statistics.clone();

        using var copy = new MixedPrecisionCopy(master, ScalarType.BFloat16);
        var network = copy.Load();
        network.parameters().Where(p => p.dim() == 4).Should().OnlyContain(p => p.dtype == ScalarType.BFloat16, "convolutions compute in bf16");
        nn.functional.cross_entropy(network.call(ComputeFormat.Layout(images.to(ScalarType.BFloat16), channelsLast: true)).to(ScalarType.Float32), labels).backward();
        copy.Store();

        var mixed = master.parameters().Select(p => p.grad!).ToList();
        mixed.Should().OnlyContain(g => g.dtype == ScalarType.Float32);
        mixed.Select(g => g.shape).Should().BeEquivalentTo(exact.Select(g => g.shape), o => o.WithStrictOrdering());
        // PyTorch's own autocast, on this architecture at initialisation, puts its bf16 gradients at a relative distance of 0.26
        // (cosine 0.966) from float32's; gradients landing on the wrong parameters, or missing, would be at 1 or more.
        var (all, reference) = (cat(mixed.Select(g => g.flatten()).ToList()), cat(exact.Select(g => g.flatten()).ToList()));
        ((all - reference).norm().item<float>() / reference.norm().item<float>()).Should().BeLessThan(0.4f);
        nn.functional.cosine_similarity(all, reference, 0).item<float>().Should().BeGreaterThan(0.9f);
        // The masters' running means moved in the fp32 pass; they move again only if the copy's statistics are stored back.
        statistics.allclose(before).Should().BeFalse("the copy's batch statistics are stored back");
    }

    [Fact]
    public void MixedPrecisionCopy_LeavesTheMastersConstantBuffers_Exact()
    {
        using var master = CnnZoo.Create("resnet18_cntk", numClasses: 4, weights: "IMAGENET1K_CNTK");
        var constants = master.named_buffers().Where(b => !b.name.Contains("running_") && !b.name.EndsWith("num_batches_tracked", StringComparison.Ordinal)).ToList();
        constants.Should().NotBeEmpty("the imported CNTK network keeps its mean image in a buffer");
        var before = constants.Select(b => b.buffer.clone()).ToList();
        master.train();

        using var copy = new MixedPrecisionCopy(master, ScalarType.BFloat16);
        nn.functional.cross_entropy(copy.Load().call(randn(2, 3, 224, 224).to(ScalarType.BFloat16)).to(ScalarType.Float32), tensor(new long[] { 0, 1 })).backward();
        copy.Store();

        constants.Zip(before).Should().OnlyContain(p => p.First.buffer.dtype == ScalarType.Float32 && p.First.buffer.eq(p.Second).all().item<bool>(),
            "only batch statistics come back from the copy; a constant's bf16 round trip would round it");
    }

    [Fact]
    public void BFloat16_OnACpuWithoutBf16Units_IsRefusedBeforeTheDataIsRead_AndAutoSaysWhatItChose()
    {
        var ml = new MLContext(seed: 1);
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        // Images that do not exist: reading a row would fail with another message.
        using var folder = new TempFolder();
        var unread = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.LoadImages("Image", folder.Path, "ImagePath"))
            .Fit(ml.Data.LoadFromEnumerable([new FileRow { Label = "a", ImagePath = "missing.png" }]));
        var withoutUnits = Pipelines.FastOptions(1);
        withoutUnits = withoutUnits with { Runtime = withoutUnits.Runtime with { AssumeBFloat16Units = false } };
        var bfloat16 = withoutUnits with { Runtime = withoutUnits.Runtime with { Precision = CnnPrecision.BFloat16 } };
        var fit = () => ml.MulticlassClassification.Trainers.Cnn(bfloat16).Fit(unread.Transform(ml.Data.LoadFromEnumerable([new FileRow { Label = "a", ImagePath = "missing.png" }])));

        fit.Should().Throw<NotSupportedException>().WithMessage($"*BFloat16*this CPU ({CpuFeatures.Describe()}) has no bf16 units*Use CnnPrecision.Auto*");
        using (var model = Train(ml, withoutUnits, TrainRows.Take(32).ToList()))
            log.Should().Contain(m => m.Contains("Computing in float32 (Precision Auto: this CPU") && m.Contains("has no bf16 units"));
        ComputeFormat.Precision(new CnnRuntimeOptions { AssumeBFloat16Units = true }, TorchSharp.DeviceType.CPU).Precision
            .Should().Be(ScalarType.BFloat16, "Auto takes bf16 where the CPU has it");
        ComputeFormat.Precision(new CnnRuntimeOptions(), TorchSharp.DeviceType.CPU).Precision
            .Should().Be(CpuFeatures.HasBFloat16Units ? ScalarType.BFloat16 : ScalarType.Float32, $"this CPU has {CpuFeatures.Describe()}");
    }

    [Fact]
    public void BFloat16_ForAModelTheRegistryCannotRebuild_IsRefused_SayingToRegisterIt()
    {
        var ml = new MLContext(seed: 1);
        using var given = new TinyNet("tiny_unregistered", 4, 3);
        var options = Options(CnnPrecision.BFloat16, epochs: 1);
        options = options with { Model = options.Model with { Instance = given, Arguments = null } };

        FluentActions.Invoking(() => Train(ml, options, TrainRows.Take(32).ToList())).Should().Throw<NotSupportedException>()
            .WithMessage("*TinyNet*not registered*CnnZoo.Register*CnnPrecision.Float32*");
    }

    [Fact]
    public void Auto_WhereBf16IsAvailable_TrainsAModelTheRegistryCannotRebuild_InFloat32_AndSaysSo()
    {
        var ml = new MLContext(seed: 1);
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        using var given = new TinyNet("tiny_unregistered_auto", 4, 3);
        var options = Options(CnnPrecision.Auto, epochs: 1);   // emulation stands for bf16 units: Auto would take bf16
        options = options with { Model = options.Model with { Instance = given, Arguments = null } };

        using var model = Train(ml, options, TrainRows.Take(32).ToList());

        model.Model.parameters().Should().OnlyContain(p => p.dtype == ScalarType.Float32);
        log.Should().Contain(m => m.Contains("Computing in float32 (Precision Auto: bf16 needs a copy") && m.Contains("'tiny_unregistered_auto' is not registered"));
    }

    [Fact]
    public void ChannelsLast_KeepsTheValues_AndTheTrainedNetworkScoresAlikeInBothLayouts()
    {
        var images = rand(2, 3, 5, 7);
        var last = ComputeFormat.Layout(images, channelsLast: true);
        last.stride().Should().Equal([3 * 5 * 7, 1, 7 * 3, 3]);
        last.eq(images).all().item<bool>().Should().BeTrue();

        var ml = new MLContext(seed: 1);
        var contiguous = Options(CnnPrecision.Float32, epochs: 1);
        contiguous = contiguous with { Runtime = contiguous.Runtime with { MemoryFormat = CnnMemoryFormat.Contiguous, InferenceEngine = CnnInferenceEngine.TorchSharp } };
        using var model = Train(ml, contiguous, TrainRows.Take(64).ToList());
        using var onnx = ml.Cnn().LoadClassifier(Save(model), engine: CnnInferenceEngine.OnnxRuntime);
        var data = Pipelines.Keyed(ml, TestRows.Take(32));
        var torchScores = Scores(ml, model.Transform(data));   // TorchSharp engine, channels-last on the CPU
        var onnxScores = Scores(ml, onnx.Transform(data));
        torchScores.Zip(onnxScores).Should().OnlyContain(p => p.First.Zip(p.Second).All(q => Math.Abs(q.First - q.Second) < 1e-4f));
    }

    private static string Save(CnnClassifierTransformer model)
    {
        var path = Path.Combine(Path.GetTempPath(), $"mlnetcnn-cl-{Guid.NewGuid():N}.mlnetcnn");
        model.SaveCheckpoint(path);
        return path;
    }

    private static List<float[]> Scores(MLContext ml, IDataView scored)
        => ml.Data.CreateEnumerable<Scored>(scored, false).Select(s => s.Score).ToList();

    private sealed class Scored
    {
        public float[] Score { get; set; } = [];
    }
}
