using FluentAssertions;
using Microsoft.ML;
using MLNetCnn.Compute;
using MLNetCnn.Data;
using MLNetCnn.Scoring;
using MLNetCnn.Tests.Support;
using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn.Tests.Scoring;

/// <summary>
/// The bf16 TorchSharp engine against the float network scored by ONNX Runtime. Where the CPU has no bf16 units the runner is
/// built directly (libtorch emulates bf16: the same rounding, slowly), since users are refused that engine there.
/// </summary>
public class BFloat16ScoringTests
{
    private static readonly List<ShapeExample> TrainRows = Shapes.Generate(160, seed: 41);
    private static readonly List<ShapeExample> TestRows = Shapes.Generate(48, seed: 42);

    private static CnnClassifierTransformer Train(MLContext ml, CnnInferenceEngine engine = CnnInferenceEngine.Auto, bool? assumeUnits = null)
    {
        var options = Pipelines.FastOptions(epochs: 3);
        options = options with { Runtime = options.Runtime with { Precision = CnnPrecision.Float32, InferenceEngine = engine, AssumeBFloat16Units = assumeUnits } };
        return ml.MulticlassClassification.Trainers.Cnn(options).Fit(Pipelines.Keyed(ml, TrainRows));
    }

    [Fact]
    public void BFloat16Runner_GivesTheFloatNetworksProbabilitiesAndFeatures_WithinBf16Rounding_AndSeesNewWeights()
    {
        var ml = new MLContext(seed: 1);
        using var model = Train(ml);
        var batch = PixelBuffer.Allocate(model.Preprocessing, TestRows.Count);
        for (var i = 0; i < TestRows.Count; i++)
            batch.ReadImage(TestRows[i].AsImage().Image, i);
        batch.Count = TestRows.Count;

        foreach (var output in new[] { NetworkOutput.Probabilities, NetworkOutput.Features })
        {
            using var bf16 = new BFloat16Runner(model.Model, model.Preprocessing, output);
            using var fp32 = new OnnxRuntimeRunner(model.Model, model.Preprocessing, output);
            var (reduced, full) = (bf16.Run(batch), fp32.Run(batch));
            reduced.Should().HaveCount(full.Length);
            var scale = full.Max(Math.Abs);
            reduced.Zip(full).Max(p => Math.Abs(p.First - p.Second)).Should().BeLessThan(0.05f * scale, $"bf16 keeps 8 bits of mantissa ({output})");
            reduced.Zip(full).Max(p => Math.Abs(p.First - p.Second)).Should().BeGreaterThan(0f, "the copy computes in bf16, not float32");
            if (output == NetworkOutput.Probabilities)
            {
                var width = model.Model.NumClasses;
                var agree = Enumerable.Range(0, TestRows.Count).Count(r => ArgMax(reduced, r, width) == ArgMax(full, r, width));
                agree.Should().BeGreaterThanOrEqualTo(TestRows.Count - 2, "bf16 picks the float network's class but for near ties");
            }
        }

        // Weights changed after the runner was made are scored from the next BeginScoring, as with the other engines.
        using var runner = new BFloat16Runner(model.Model, model.Preprocessing, NetworkOutput.Features);
        var before = runner.Run(batch);
        using (no_grad())
            model.Model.get_parameter("conv1.weight")!.mul_(-2f);
        runner.BeginScoring();
        using var reference = new OnnxRuntimeRunner(model.Model, model.Preprocessing, NetworkOutput.Features);
        var (after, expected) = (runner.Run(batch), reference.Run(batch));
        after.Should().NotEqual(before);
        after.Zip(expected).Max(p => Math.Abs(p.First - p.Second)).Should().BeLessThan(0.05f * expected.Max(Math.Abs));
        model.Model.parameters().Should().OnlyContain(p => p.dtype == ScalarType.Float32, "the model itself stays float32");
    }

    [Fact]
    public void BFloat16Engine_IsRefused_WhereItCannotRun_SayingWhatToUse()
    {
        var ml = new MLContext(seed: 1);
        // A CPU without bf16 units: refused before training.
        FluentActions.Invoking(() => Train(ml, CnnInferenceEngine.TorchSharpBFloat16, assumeUnits: false)).Should().Throw<NotSupportedException>()
            .WithMessage($"*TorchSharpBFloat16 needs a CPU with bf16 units*({CpuFeatures.Describe()})*Use CnnInferenceEngine.Auto*OnnxRuntimeInt8*");
        FluentActions.Invoking(() => ComputeFormat.RequireBFloat16Scoring(TorchSharp.DeviceType.CPU, "not_in_the_registry", assumeUnits: true))
            .Should().Throw<NotSupportedException>().WithMessage("*'not_in_the_registry' is not registered*CnnZoo.Register*");

        using var network = CnnZoo.Create("resnet20", numClasses: 4);
        var preprocessing = CnnPreprocessing.ForImages(network, imageSize: 32);
        FluentActions.Invoking(() => ml.Transforms.CnnFeaturize("Features", "Image", network, preprocessing, layerName: "layer1", engine: CnnInferenceEngine.TorchSharpBFloat16))
            .Should().Throw<ArgumentException>().WithMessage("*layer's output ('layer1')*float32*Use CnnInferenceEngine.Auto or TorchSharp*");
    }

    [Fact]
    public void BFloat16Engine_WhereTheCpuHasBf16Units_ScoresThroughTheTransformer_AsTheFloatEngineDoes()
    {
        var ml = new MLContext(seed: 1);
        using var model = Train(ml);
        var path = Path.Combine(Path.GetTempPath(), $"mlnetcnn-bf16-{Guid.NewGuid():N}.mlnetcnn");
        model.SaveCheckpoint(path);
        try
        {
            var load = () => ml.Cnn().LoadClassifier(path, device: "cpu", engine: CnnInferenceEngine.TorchSharpBFloat16);
            if (!CpuFeatures.HasBFloat16Units)
            {
                load.Should().Throw<NotSupportedException>().WithMessage("*needs a CPU with bf16 units*");
                return;
            }
            using var bf16 = load();
            bf16.Runner.Should().BeOfType<BFloat16Runner>();
            var data = Pipelines.Keyed(ml, TestRows);
            var reduced = ml.Data.CreateEnumerable<Scored>(bf16.Transform(data), false).ToList();
            var full = ml.Data.CreateEnumerable<Scored>(model.Transform(data), false).ToList();
            reduced.Zip(full).Should().OnlyContain(p => p.First.Score.Zip(p.Second.Score).All(q => Math.Abs(q.First - q.Second) < 0.05f));
            reduced.Zip(full).Count(p => p.First.PredictedLabel == p.Second.PredictedLabel).Should().BeGreaterThanOrEqualTo(TestRows.Count - 2);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static int ArgMax(float[] values, int row, int width)
        => Enumerable.Range(0, width).MaxBy(k => values[row * width + k]);

    private sealed class Scored
    {
        public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }
    }
}
