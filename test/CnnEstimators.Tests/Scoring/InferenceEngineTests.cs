using FluentAssertions;
using Microsoft.ML;
using MLNetCnn.Persistence;
using MLNetCnn.Scoring;
using MLNetCnn.Tests.Support;
using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn.Tests.Scoring;

/// <summary>ONNX Runtime (the CPU default) and TorchSharp run the same network to the same values.</summary>
public class InferenceEngineTests
{
    private static readonly MLContext Ml = new(seed: 1);

    public sealed class Featurized
    {
        public float[] Features { get; set; } = [];
    }

    public sealed class Scored
    {
        public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }
    }

    [Fact]
    public void Classifier_OnCpu_ScoresWithOnnxRuntime_AsTorchSharpDoes()
    {
        var data = Keyed(Shapes.Generate(120, seed: 31));
        var options = Pipelines.FastOptions(epochs: 1);
        using var model = Ml.MulticlassClassification.Trainers.Cnn(options).Fit(data);
        var torchSharp = new CnnClassifierTransformer(  // shares the network: not disposed here
            new ClassifierCheckpoint.Contents(model.Model, model.Preprocessing, "Image", model.Outputs, 16, false, model.History), CnnInferenceEngine.TorchSharp);

        model.Runner.Should().BeOfType<OnnxRuntimeRunner>();
        torchSharp.Runner.Should().BeOfType<TorchSharpRunner>();
        var byOnnxRuntime = Ml.Data.CreateEnumerable<Scored>(model.Transform(data), false).ToList();
        var byTorchSharp = Ml.Data.CreateEnumerable<Scored>(torchSharp.Transform(data), false).ToList();
        for (var i = 0; i < byTorchSharp.Count; i++)
            byOnnxRuntime[i].Score.Should().Equal(byTorchSharp[i].Score, (a, b) => Math.Abs(a - b) < 1e-4);
        byOnnxRuntime.Select(r => r.PredictedLabel).Should().Equal(byTorchSharp.Select(r => r.PredictedLabel));
    }

    [Fact]
    public void OnnxRuntime_SeesWeightsChangedAfterTheTransformerWasMade()
    {
        var data = Pipelines.ImagesView(Ml, Shapes.Generate(8, seed: 32));
        using var network = CnnZoo.Create("resnet20", numClasses: 4);
        var preprocessing = CnnPreprocessing.ForImages(network, imageSize: 32);
        using var onnxRuntime = Ml.Transforms.CnnFeaturize("Features", "Image", network, preprocessing, engine: CnnInferenceEngine.OnnxRuntime).Fit(data);
        using var torchSharp = Ml.Transforms.CnnFeaturize("Features", "Image", network, preprocessing, engine: CnnInferenceEngine.TorchSharp).Fit(data);
        var before = Features(onnxRuntime.Transform(data));

        using (no_grad())
            network.get_parameter("conv1.weight")!.mul_(-2f);   // what a training step or a weight load does, in place
        var after = Features(onnxRuntime.Transform(Pipelines.ImagesView(Ml, Shapes.Generate(8, seed: 32))));
        var expected = Features(torchSharp.Transform(Pipelines.ImagesView(Ml, Shapes.Generate(8, seed: 32))));

        after[0].Should().NotEqual(before[0], "the new weights are scored");
        for (var i = 0; i < expected.Count; i++)
            after[i].Should().Equal(expected[i], (a, b) => Math.Abs(a - b) <= 1e-4 * Math.Max(1, Math.Abs(b)));
    }

    [Fact]
    public void VectorColumn_BatchedAndRowByRow_OnnxRuntimeAgreesWithTorchSharp()
    {
        // 10 rows in batches of 4: the last batch is partial, and the cursor's buffers are reused from batch to batch.
        var examples = Shapes.Generate(10, seed: 34);
        var data = Pipelines.VectorsView(Ml, examples);
        using var network = CnnZoo.Create("resnet20", numClasses: 4);
        var preprocessing = new CnnPreprocessing(CnnInputKind.Vector,
            new PixelNormalization(3, Shapes.Size, Shapes.Size, 1f / 255, [0.5f, 0.4f, 0.3f], [0.2f, 0.3f, 0.4f]), (3, Shapes.Size, Shapes.Size));
        using var onnxRuntime = Ml.Transforms.CnnFeaturize("Features", "Pixels", network, preprocessing, batchSize: 4, engine: CnnInferenceEngine.OnnxRuntime).Fit(data);
        using var torchSharp = Ml.Transforms.CnnFeaturize("Features", "Pixels", network, preprocessing, batchSize: 4, engine: CnnInferenceEngine.TorchSharp).Fit(data);

        var batched = Features(onnxRuntime.Transform(data));
        var expected = Features(torchSharp.Transform(data));
        var engine = Ml.Model.CreatePredictionEngine<VectorRow, Featurized>(onnxRuntime);
        var rowByRow = examples.Select(e => engine.Predict(e.AsVector()).Features.ToArray()).ToList();

        batched.Should().HaveCount(10);
        batched.Distinct(new FeaturesComparer()).Should().HaveCount(10, "every row is scored from its own pixels");
        for (var i = 0; i < expected.Count; i++)
        {
            batched[i].Should().Equal(expected[i], (a, b) => Math.Abs(a - b) <= 1e-4 * Math.Max(1, Math.Abs(b)));
            rowByRow[i].Should().Equal(expected[i], (a, b) => Math.Abs(a - b) <= 1e-4 * Math.Max(1, Math.Abs(b)));
        }
    }

    [Fact]
    public void NamedLayer_WithOnnxRuntime_IsRefused()
    {
        using var network = CnnZoo.Create("resnet20", numClasses: 4);
        var data = Pipelines.ImagesView(Ml, Shapes.Generate(4, seed: 33));

        FluentActions.Invoking(() => Ml.Transforms.CnnFeaturize("F", "Image", network, CnnPreprocessing.ForImages(network, imageSize: 32),
                layerName: "layer2", engine: CnnInferenceEngine.OnnxRuntime).Fit(data))
            .Should().Throw<ArgumentException>().WithMessage("*layer's output ('layer2') is computed with TorchSharp*Use CnnInferenceEngine.Auto or TorchSharp*");
    }

    private static IDataView Keyed(List<ShapeExample> examples)
    {
        var raw = Pipelines.ImagesView(Ml, examples);
        return Ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
    }

    private sealed class FeaturesComparer : IEqualityComparer<float[]>
    {
        public bool Equals(float[]? x, float[]? y) => x!.AsSpan().SequenceEqual(y);
        public int GetHashCode(float[] values) => values.Length == 0 ? 0 : values[0].GetHashCode();
    }

    private static List<float[]> Features(IDataView featurized) => Ml.Data.CreateEnumerable<Featurized>(featurized, false).Select(r => r.Features).ToList();
}
