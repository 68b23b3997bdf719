using FluentAssertions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Tests.Support;

namespace MLNetCnn.Tests.Persistence;

/// <summary>mlContext.Model.Save and Load of pipelines holding a trained CNN.</summary>
public class ModelSaveLoadTests
{
    public sealed class Output
    {
        public string PredictedLabel { get; set; } = "";
        public float[] Score { get; set; } = [];
    }

    private static void AssertSameScoring(MLContext ml, ITransformer trained, ITransformer loaded, IDataView test)
    {
        var before = ml.Data.CreateEnumerable<Output>(trained.Transform(test), false).ToList();
        var after = ml.Data.CreateEnumerable<Output>(loaded.Transform(test), false).ToList();
        after.Should().HaveCount(before.Count);
        for (var i = 0; i < before.Count; i++)
        {
            after[i].PredictedLabel.Should().Be(before[i].PredictedLabel);
            after[i].Score.Should().Equal(before[i].Score, (a, b) => Math.Abs(a - b) <= 1e-4 * Math.Max(1, Math.Abs(b)));
        }
        var metricsBefore = ml.MulticlassClassification.Evaluate(trained.Transform(test), predictedLabelColumnName: "PredictedLabelKey");
        var metricsAfter = ml.MulticlassClassification.Evaluate(loaded.Transform(test), predictedLabelColumnName: "PredictedLabelKey");
        metricsAfter.MicroAccuracy.Should().Be(metricsBefore.MicroAccuracy);
        metricsAfter.LogLoss.Should().BeApproximately(metricsBefore.LogLoss, 1e-4);
    }

    [Fact]
    public void SaveLoad_ImageFilePipeline_ScoresAndEvaluatesTheSame_WithoutMLNetCnnTypes()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Shapes.SaveAsPng(Shapes.Generate(240, seed: 31), folder.Path));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.LoadImages("Image", folder.Path, "ImagePath"))
            .Append(ml.MulticlassClassification.Trainers.Cnn(Pipelines.FastOptions(epochs: 2)))
            .Append(ml.Transforms.CopyColumns("PredictedLabelKey", "PredictedLabel"))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(train);
        var zip = folder.File("model.zip");

        ml.Model.Save(model, train.Schema, zip);
        var fresh = new MLContext(seed: 5);
        using var loaded = (TransformerChain<ITransformer>)fresh.Model.Load(zip, out var schema);

        schema.Select(c => c.Name).Should().Equal(train.Schema.Select(c => c.Name));
        AllTransformers(loaded).Should().NotContain(t => t.GetType().Assembly.GetName().Name!.StartsWith("MLNetCnn"),
            "the saved chain is ML.NET's own transformers, so loading needs no MLNetCnn");
        AssertSameScoring(ml, model, loaded, train);
        var engine = fresh.Model.CreatePredictionEngine<FileRow, Output>(loaded);
        engine.Predict(new FileRow { ImagePath = "square-0.png" }).Score.Should().HaveCount(4);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(1)]
    public void SaveLoad_ImagesOfRandomSizesAndAspectRatios_ScoreTheSameLiveAndLoaded(int channels)
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var random = new Random(37 + channels);
        // The generated shapes stretched to random sizes (15 to 90 pixels a side), so every row needs resizing, up or down.
        var rows = Shapes.SaveAsPng(Shapes.Generate(96, seed: 36), folder.Path);
        foreach (var row in rows)
        {
            var path = Path.Combine(folder.Path, row.ImagePath);
            using var image = MLImage.CreateFromFile(path);
            var (width, height) = (random.Next(15, 91), random.Next(15, 91));
            using var stretched = MLImage.CreateFromPixels(width, height, MLPixelFormat.Rgba32, Stretch(image, width, height));
            stretched.Save(path);
        }
        var data = ml.Data.LoadFromEnumerable(rows);
        var options = Pipelines.FastOptions(epochs: 1);
        options = options with { Input = options.Input with { Channels = channels } };
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.LoadImages("Image", folder.Path, "ImagePath"))
            .Append(ml.MulticlassClassification.Trainers.Cnn(options))
            .Append(ml.Transforms.CopyColumns("PredictedLabelKey", "PredictedLabel"))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(data);
        var zip = folder.File("model.zip");

        ml.Model.Save(model, data.Schema, zip);
        using var loaded = (TransformerChain<ITransformer>)new MLContext(seed: 5).Model.Load(zip, out _);

        AssertSameScoring(ml, model, loaded, data);
    }

    // Nearest-neighbour stretch of an RGBA image, written here so the test does not lean on the resizer it checks.
    private static byte[] Stretch(MLImage image, int width, int height)
    {
        var source = image.Pixels;
        var (r, b) = image.PixelFormat == MLPixelFormat.Bgra32 ? (2, 0) : (0, 2);
        var pixels = new byte[4 * width * height];
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
        {
            var s = 4 * (y * image.Height / height * image.Width + x * image.Width / width);
            var d = 4 * (y * width + x);
            (pixels[d], pixels[d + 1], pixels[d + 2], pixels[d + 3]) = (source[s + r], source[s + 1], source[s + b], 255);
        }
        return pixels;
    }

    [Fact]
    public void SaveLoad_VectorPipeline_ScoresTheSame()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var data = Pipelines.VectorsView(ml, Shapes.Generate(160, seed: 32));
        var options = Pipelines.FastOptions(epochs: 1);
        options = options with
        {
            Columns = options.Columns with { Image = "Pixels" },
            Input = options.Input with { VectorShape = (3, Shapes.Size, Shapes.Size) },
        };
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.Cnn(options))
            .Append(ml.Transforms.CopyColumns("PredictedLabelKey", "PredictedLabel"))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(data);

        ml.Model.Save(model, data.Schema, folder.File("vector.zip"));
        using var loaded = (TransformerChain<ITransformer>)new MLContext().Model.Load(folder.File("vector.zip"), out _);

        AssertSameScoring(ml, model, loaded, data);
        var otherShape = ml.Data.LoadFromEnumerable(new[] { new SmallVectorRow { Label = "disc", Pixels = new float[28 * 28] } });
        FluentActions.Invoking(() => loaded.Transform(otherShape).Preview()).Should().Throw<Exception>().WithMessage("*Pixels*");
    }

    [Fact]
    public void Load_TruncatedZip_FailsWithAnError()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var data = Pipelines.ImagesView(ml, Shapes.Generate(64, seed: 33));
        var model = Pipelines.Classifier(ml, Pipelines.FastOptions(epochs: 1)).Fit(data);
        var zip = folder.File("model.zip");
        ml.Model.Save(model, data.Schema, zip);
        var bytes = File.ReadAllBytes(zip);
        File.WriteAllBytes(zip, bytes[..(bytes.Length / 2)]);

        FluentActions.Invoking(() => new MLContext().Model.Load(zip, out _)).Should().Throw<Exception>();
    }

    public sealed class SmallVectorRow
    {
        public string Label { get; set; } = "";
        [VectorType(28 * 28)]
        public float[] Pixels { get; set; } = [];
    }

    public sealed class KeyRow
    {
        [KeyType(4)]
        public uint Label { get; set; }
        [Microsoft.ML.Transforms.Image.ImageType(Shapes.Size, Shapes.Size)]
        public MLImage Image { get; set; } = null!;
    }

    [Fact]
    public void Save_LabelKeyWithoutValues_SaysWhatIsSupported()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var rows = Shapes.Generate(32, seed: 34).Select((e, i) => new KeyRow { Label = (uint)(i % 4 + 1), Image = e.AsImage().Image }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        using var model = ml.MulticlassClassification.Trainers.Cnn(Pipelines.FastOptions(epochs: 1)).Fit(data);

        FluentActions.Invoking(() => ml.Model.Save(model, data.Schema, folder.File("m.zip")))
            .Should().Throw<NotSupportedException>().WithMessage("*needs text label values*absent*");
    }

    private static IEnumerable<ITransformer> AllTransformers(ITransformer transformer) => transformer is IEnumerable<ITransformer> chain
        ? chain.SelectMany(AllTransformers).Prepend(transformer)
        : [transformer];
}
