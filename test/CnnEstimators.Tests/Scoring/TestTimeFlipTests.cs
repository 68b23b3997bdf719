using FluentAssertions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Persistence;
using MLNetCnn.Tests.Support;

namespace MLNetCnn.Tests.Scoring;

/// <summary>Test-time flip: scores are the mean of the plain and mirrored passes, in both engines, after saving and after a checkpoint.</summary>
public class TestTimeFlipTests
{
    public sealed class Scores
    {
        public float[] Score { get; set; } = [];
    }

    private static ShapeExample Mirrored(ShapeExample example)
    {
        var mirrored = new byte[example.Rgba.Length];
        for (var y = 0; y < Shapes.Size; y++)
            for (var x = 0; x < Shapes.Size; x++)
                Array.Copy(example.Rgba, 4 * (y * Shapes.Size + x), mirrored, 4 * (y * Shapes.Size + Shapes.Size - 1 - x), 4);
        return example with { Rgba = mirrored };
    }

    private static List<float[]> Score(MLContext ml, ITransformer model, IEnumerable<ShapeExample> examples)
        => ml.Data.CreateEnumerable<Scores>(model.Transform(Pipelines.ImagesView(ml, examples)), reuseRowObject: false).Select(s => s.Score).ToList();

    [Fact]
    public void Scores_AreTheMeanOfThePlainAndMirroredPasses_InBothEngines_AfterSaving_AndThroughACheckpoint()
    {
        var ml = new MLContext(seed: 1);
        var train = Pipelines.ImagesView(ml, Shapes.Generate(64, seed: 29));
        var options = Pipelines.FastOptions(epochs: 1);
        options.TestTimeFlip = true;
        using var flipped = ml.MulticlassClassification.Trainers.Cnn(options).Fit(ml.Transforms.Conversion.MapValueToKey("Label").Fit(train).Transform(train));
        using var plain = new CnnClassifierTransformer(new ClassifierCheckpoint.Contents(flipped.Model, flipped.Preprocessing, flipped.ImageColumnName,
            flipped.Outputs, 8, false, []), CnnInferenceEngine.Auto);
        var examples = Shapes.Generate(10, seed: 30);

        var expected = Score(ml, plain, examples).Zip(Score(ml, plain, examples.Select(Mirrored)), (a, b) => a.Zip(b, (x, y) => (x + y) / 2).ToArray()).ToList();
        using var torch = new CnnClassifierTransformer(new ClassifierCheckpoint.Contents(flipped.Model, flipped.Preprocessing, flipped.ImageColumnName,
            flipped.Outputs, 8, false, [], TestTimeFlip: true), CnnInferenceEngine.TorchSharp);

        flipped.TestTimeFlip.Should().BeTrue();
        foreach (var scores in new[] { Score(ml, flipped, examples), Score(ml, torch, examples) })
            for (var i = 0; i < expected.Count; i++)
                scores[i].Should().Equal(expected[i], (a, b) => Math.Abs(a - b) < 1e-4f);
        Score(ml, plain, examples).SelectMany(s => s).Zip(expected.SelectMany(s => s)).Should().Contain(pair => Math.Abs(pair.First - pair.Second) > 1e-4,
            "the shapes are placed off-centre, so the mirror pass changes the scores: the check above could fail");

        using var stream = new MemoryStream();
        ml.Model.Save(flipped, Pipelines.ImagesView(ml, examples).Schema, stream);
        stream.Position = 0;
        using var reloaded = (TransformerChain<ITransformer>)new MLContext().Model.Load(stream, out _);
        var fromZip = Score(ml, reloaded, examples);
        for (var i = 0; i < expected.Count; i++)
            fromZip[i].Should().Equal(expected[i], (a, b) => Math.Abs(a - b) < 1e-4f);

        using var folder = new TempFolder();
        flipped.SaveCheckpoint(folder.File("tta.mlnetcnn"));
        using var loaded = ml.Cnn().LoadClassifier(folder.File("tta.mlnetcnn"));
        loaded.TestTimeFlip.Should().BeTrue();
        FluentActions.Invoking(() => ml.Transforms.CnnEnsemble([flipped, plain])).Should().Throw<NotSupportedException>().WithMessage("*Member(s) 0*TestTimeFlip*");
    }
}
