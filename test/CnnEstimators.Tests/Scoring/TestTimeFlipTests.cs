using FluentAssertions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Persistence;
using MLNetCnn.Tests.Support;
using MLNetCnn.Zoo;

namespace MLNetCnn.Tests.Scoring;

/// <summary>Test-time flip: scores are the mean of the plain and mirrored passes, in both engines, after saving and after a checkpoint.</summary>
public class TestTimeFlipTests
{
    public sealed class Scores
    {
        public float[] Score { get; set; } = [];
    }

    private static List<float[]> Score(MLContext ml, ITransformer model, IEnumerable<ShapeExample> examples)
        => ml.Data.CreateEnumerable<Scores>(model.Transform(Pipelines.ImagesView(ml, examples)), reuseRowObject: false).Select(s => s.Score).ToList();

    // Saved with mlContext.Model.Save, loaded by ML.NET alone, then scored.
    private static List<float[]> ScoreAfterSaving(MLContext ml, ITransformer model, IEnumerable<ShapeExample> examples)
    {
        using var stream = new MemoryStream();
        ml.Model.Save(model, Pipelines.ImagesView(ml, examples).Schema, stream);
        stream.Position = 0;
        using var reloaded = (TransformerChain<ITransformer>)new MLContext().Model.Load(stream, out _);
        return Score(ml, reloaded, examples);
    }

    private static CnnClassifierTransformer TrainFlipping(MLContext ml, int seed)
    {
        var train = Pipelines.ImagesView(ml, Shapes.Generate(64, seed));
        var options = Pipelines.FastOptions(epochs: 1);
        options = options with { TestTime = options.TestTime with { Flip = true } };
        return ml.MulticlassClassification.Trainers.Cnn(options).Fit(ml.Transforms.Conversion.MapValueToKey("Label").Fit(train).Transform(train));
    }

    // The same network scoring without the flip; it shares the network, which the flipping classifier disposes.
    private static CnnClassifierTransformer PlainTwin(CnnClassifierTransformer flipped) => new(new ClassifierCheckpoint.Contents(flipped.Model,
        flipped.Preprocessing, flipped.ImageColumnName, flipped.Outputs, 8, false, []), CnnInferenceEngine.Auto, ownsModel: false);

    [Fact]
    public void Scores_AreTheMeanOfThePlainAndMirroredPasses_InBothEngines_AfterSaving_AndThroughACheckpoint()
    {
        var ml = new MLContext(seed: 1);
        using var flipped = TrainFlipping(ml, seed: 29);
        using var plain = PlainTwin(flipped);
        var examples = Shapes.Generate(10, seed: 30);

        var expected = Score(ml, plain, examples).Zip(Score(ml, plain, examples.Select(e => e.Mirrored())), (a, b) => a.Zip(b, (x, y) => (x + y) / 2).ToArray()).ToList();
        using var torch = new CnnClassifierTransformer(new ClassifierCheckpoint.Contents(flipped.Model, flipped.Preprocessing, flipped.ImageColumnName,
            flipped.Outputs, 8, false, [], new TestTimeAugmentation(Flip: true)), CnnInferenceEngine.TorchSharp);

        flipped.TestTimeFlip.Should().BeTrue();
        foreach (var scores in new[] { Score(ml, flipped, examples), Score(ml, torch, examples) })
            for (var i = 0; i < expected.Count; i++)
                scores[i].Should().Equal(expected[i], (a, b) => Math.Abs(a - b) < 1e-4f);
        Score(ml, plain, examples).SelectMany(s => s).Zip(expected.SelectMany(s => s)).Should().Contain(pair => Math.Abs(pair.First - pair.Second) > 1e-4,
            "the shapes are placed off-centre, so the mirror pass changes the scores: the check above could fail");

        var fromZip = ScoreAfterSaving(ml, flipped, examples);
        for (var i = 0; i < expected.Count; i++)
            fromZip[i].Should().Equal(expected[i], (a, b) => Math.Abs(a - b) < 1e-4f);

        using var folder = new TempFolder();
        flipped.SaveCheckpoint(folder.File("tta.mlnetcnn"));
        using var loaded = ml.Cnn().LoadClassifier(folder.File("tta.mlnetcnn"));
        loaded.TestTimeFlip.Should().BeTrue();
    }

    [Fact]
    public void Ensemble_OfAFlippingAndAPlainMember_AveragesTheirScores_AlsoAfterSaving()
    {
        var ml = new MLContext(seed: 1);
        using var flipped = TrainFlipping(ml, seed: 31);
        using var plain = PlainTwin(flipped);
        var examples = Shapes.Generate(10, seed: 32);
        using var ensemble = ml.Transforms.CnnEnsemble([flipped, plain]).Fit(Pipelines.ImagesView(ml, examples));

        var expected = Score(ml, flipped, examples).Zip(Score(ml, plain, examples), (a, b) => a.Zip(b, (x, y) => (x + y) / 2).ToArray()).ToList();
        var inMemory = Score(ml, ensemble, examples);
        var fromZip = ScoreAfterSaving(ml, ensemble, examples);

        for (var i = 0; i < expected.Count; i++)
        {
            inMemory[i].Should().Equal(expected[i], (a, b) => Math.Abs(a - b) < 1e-5f);
            fromZip[i].Should().Equal(expected[i], (a, b) => Math.Abs(a - b) < 1e-4f);
        }
        Score(ml, plain, examples).SelectMany(s => s).Zip(expected.SelectMany(s => s)).Should().Contain(pair => Math.Abs(pair.First - pair.Second) > 1e-4,
            "the flipping member differs from the plain one, so a saved graph that dropped the flip would fail above");
    }
}
