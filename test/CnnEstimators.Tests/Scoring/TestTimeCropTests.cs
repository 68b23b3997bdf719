using FluentAssertions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Persistence;
using MLNetCnn.Tests.Support;
using MLNetCnn.Zoo;

namespace MLNetCnn.Tests.Scoring;

/// <summary>
/// Test-time crops: scores are the mean over the whole image and its five crops, each resized back with bilinear
/// interpolation (computed here by hand), in both engines, after saving and through a checkpoint; with the flip, ten crops.
/// </summary>
public class TestTimeCropTests
{
    private const int Side = Shapes.Size;
    private const int Crop = 24;

    public sealed class Scores
    {
        public float[] Score { get; set; } = [];
    }

    private static List<float[]> Score(MLContext ml, ITransformer model, IEnumerable<VectorRow> rows)
        => ml.Data.CreateEnumerable<Scores>(model.Transform(ml.Data.LoadFromEnumerable(rows.ToList())), reuseRowObject: false).Select(s => s.Score).ToList();

    private static CnnClassifierTransformer Twin(CnnClassifierTransformer trained, TestTimeAugmentation views, CnnInferenceEngine engine) =>
        new(new ClassifierCheckpoint.Contents(trained.Model, trained.Preprocessing, trained.ImageColumnName, trained.Outputs, 8, false, [], views), engine,
            ownsModel: false);

    // The crop of planar C x Side x Side pixels at (top, left), resized back to Side x Side: bilinear with half-pixel centres,
    // source coordinates clamped at the border (PyTorch's interpolate without align_corners, ONNX's half_pixel).
    private static VectorRow CropResized(VectorRow row, int top, int left)
    {
        var output = new float[row.Pixels.Length];
        for (var c = 0; c < 3; c++)
            for (var y = 0; y < Side; y++)
                for (var x = 0; x < Side; x++)
                {
                    var (y0, y1, wy) = Source(y);
                    var (x0, x1, wx) = Source(x);
                    float At(int sy, int sx) => row.Pixels[c * Side * Side + (top + sy) * Side + left + sx];
                    output[c * Side * Side + y * Side + x] = (1 - wy) * ((1 - wx) * At(y0, x0) + wx * At(y0, x1)) + wy * ((1 - wx) * At(y1, x0) + wx * At(y1, x1));
                }
        return new VectorRow { Label = row.Label, Pixels = output };

        static (int Low, int High, float Weight) Source(int target)
        {
            var source = Math.Max((target + 0.5f) * Crop / Side - 0.5f, 0);
            var low = (int)source;
            return (low, Math.Min(low + 1, Crop - 1), source - low);
        }
    }

    private static readonly (int Top, int Left)[] Origins = [(0, 0), (0, Side - Crop), (Side - Crop, 0), (Side - Crop, Side - Crop), ((Side - Crop) / 2, (Side - Crop) / 2)];

    private static CnnClassifierTransformer TrainCropping(MLContext ml, List<VectorRow> rows)
    {
        var train = ml.Data.LoadFromEnumerable(rows);
        var options = Pipelines.FastOptions(epochs: 1);
        options = options with { Columns = options.Columns with { Image = "Pixels" }, Input = options.Input with { VectorShape = (3, Side, Side), ImageSize = null }, TestTime = options.TestTime with { CropSize = Crop } };
        return ml.MulticlassClassification.Trainers.Cnn(options).Fit(ml.Transforms.Conversion.MapValueToKey("Label").Fit(train).Transform(train));
    }

    [Fact]
    public void Scores_AreTheMeanOverTheImageAndItsFiveResizedCrops_InBothEngines_AfterSaving_AndThroughACheckpoint()
    {
        var ml = new MLContext(seed: 1);
        using var cropping = TrainCropping(ml, Shapes.Generate(64, seed: 41, randomColours: true).Select(e => e.AsVector()).ToList());
        using var plain = Twin(cropping, TestTimeAugmentation.None, CnnInferenceEngine.TorchSharp);
        var rows = Shapes.Generate(10, seed: 42, randomColours: true).Select(e => e.AsVector()).ToList();

        var views = new[] { rows }.Concat(Origins.Select(o => rows.Select(r => CropResized(r, o.Top, o.Left)).ToList())).Select(v => Score(ml, plain, v)).ToList();
        var expected = Enumerable.Range(0, rows.Count).Select(i => Enumerable.Range(0, views[0][i].Length).Select(k => views.Average(v => v[i][k])).ToArray()).ToList();
        using var torch = Twin(cropping, new TestTimeAugmentation(CropSize: Crop), CnnInferenceEngine.TorchSharp);

        cropping.TestTimeCropSize.Should().Be(Crop);
        cropping.InferenceEngine.Should().Be(CnnInferenceEngine.Auto, "on CPU the trained classifier scores in ONNX Runtime, whose Resize is checked here");
        foreach (var scores in new[] { Score(ml, cropping, rows), Score(ml, torch, rows), ScoreAfterSaving(ml, cropping, rows) })
            for (var i = 0; i < expected.Count; i++)
                scores[i].Should().Equal(expected[i], (a, b) => Math.Abs(a - b) < 1e-4f);
        views[0].SelectMany(s => s).Zip(expected.SelectMany(s => s)).Should().Contain(pair => Math.Abs(pair.First - pair.Second) > 1e-3,
            "the crops change the scores, so a graph that dropped them would fail above");

        // The int8 graph keeps the crops (Slice and Resize stay in float): its scores are the float ones within quantization error.
        using var int8 = cropping.Quantize(ml.Data.LoadFromEnumerable(Shapes.Generate(32, seed: 46, randomColours: true).Select(e => e.AsVector()).ToList()));
        var quantized = Score(ml, int8, rows);
        for (var i = 0; i < expected.Count; i++)
            quantized[i].Should().Equal(expected[i], (a, b) => Math.Abs(a - b) < 0.05f);

        using var folder = new TempFolder();
        cropping.SaveCheckpoint(folder.File("crops.mlnetcnn"));
        using var loaded = ml.Cnn().LoadClassifier(folder.File("crops.mlnetcnn"));
        loaded.TestTimeCropSize.Should().Be(Crop);
        var reloaded = Score(ml, loaded, rows);
        for (var i = 0; i < expected.Count; i++)
            reloaded[i].Should().Equal(expected[i], (a, b) => Math.Abs(a - b) < 1e-4f);
    }

    [Fact]
    public void CropsAndFlip_AreTheMeanOfTheCroppedScoresOfTheImageAndItsMirrorImage()
    {
        var ml = new MLContext(seed: 1);
        using var cropping = TrainCropping(ml, Shapes.Generate(64, seed: 43, randomColours: true).Select(e => e.AsVector()).ToList());
        using var tenCrop = Twin(cropping, new TestTimeAugmentation(Flip: true, CropSize: Crop), CnnInferenceEngine.OnnxRuntime);
        var examples = Shapes.Generate(10, seed: 44, randomColours: true);

        // The five crops of a mirrored image are the mirrored crops (corners swap sides; the centre stays, as 32 - 24 is even).
        var plainCrops = Score(ml, cropping, examples.Select(e => e.AsVector()));
        var mirroredCrops = Score(ml, cropping, examples.Select(e => e.Mirrored().AsVector()));
        var scores = Score(ml, tenCrop, examples.Select(e => e.AsVector()));
        for (var i = 0; i < examples.Count; i++)
            scores[i].Should().Equal(plainCrops[i].Zip(mirroredCrops[i], (a, b) => (a + b) / 2), (a, b) => Math.Abs(a - b) < 1e-4f);
    }

    [Fact]
    public void CropsThatDoNotFitTheInput_AreRefusedBeforeTraining()
    {
        var options = Pipelines.FastOptions();
        options = options with { TestTime = options.TestTime with { CropSize = Side } };
        FluentActions.Invoking(options.Validate).Should().Throw<ArgumentException>().WithMessage($"*TestTime.CropSize*{Side}x{Side}*1 to {Side - 1}*");

        var ml = new MLContext(seed: 1);
        var rows = ml.Data.LoadFromEnumerable(Shapes.Generate(16, seed: 45).Select(e => e.AsVector()).ToList());
        var trainer = Pipelines.FastOptions();
        trainer = trainer with
        {
            Columns = trainer.Columns with { Image = "Pixels" },
            Input = trainer.Input with { VectorShape = (3, 16, 48), ImageSize = null },
            TestTime = trainer.TestTime with { CropSize = 20 },
        };
        FluentActions.Invoking(() => Pipelines.Classifier(ml, trainer).Fit(rows)).Should().Throw<ArgumentException>().WithMessage("*20x20*16x48*");
    }

    private static List<float[]> ScoreAfterSaving(MLContext ml, ITransformer model, List<VectorRow> rows)
    {
        using var stream = new MemoryStream();
        ml.Model.Save(model, ml.Data.LoadFromEnumerable(rows).Schema, stream);
        stream.Position = 0;
        using var reloaded = (TransformerChain<ITransformer>)new MLContext().Model.Load(stream, out _);
        return Score(ml, reloaded, rows);
    }
}
