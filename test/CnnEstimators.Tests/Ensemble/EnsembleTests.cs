using FluentAssertions;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using MLNetCnn.Internal;
using MLNetCnn.Tests.Support;

namespace MLNetCnn.Tests.Ensemble;

/// <summary>mlContext.Transforms.CnnEnsemble: averaging several CNNs.</summary>
public class EnsembleTests : IClassFixture<EnsembleTests.Members>
{
    public sealed class Members : IDisposable
    {
        public Members()
        {
            Ml = new MLContext(seed: 1);
            var examples = Shapes.Generate(200, seed: 71);
            var raw = Pipelines.ImagesView(Ml, examples);
            Keys = Ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw);
            Train = Keys.Transform(raw);
            Test = Keys.Transform(Pipelines.ImagesView(Ml, Shapes.Generate(80, seed: 72)));
            Trained = Ml.MulticlassClassification.Trainers.CnnEnsemble(() => Pipelines.FastOptions(epochs: 1), count: 2).Fit(Train).Members.ToList();
            var plain = Pipelines.FastOptions(epochs: 1);
            plain = plain with { Model = plain.Model with { Architecture = "plain20" } };
            Trained.Add(Ml.MulticlassClassification.Trainers.Cnn(plain).Fit(Train));
        }

        public MLContext Ml { get; }
        public Microsoft.ML.Transforms.ValueToKeyMappingTransformer Keys { get; }
        public IDataView Train { get; }
        public IDataView Test { get; }
        public List<CnnClassifierTransformer> Trained { get; }
        public void Dispose() => Trained.ForEach(m => m.Dispose());
    }

    private readonly Members f;

    public EnsembleTests(Members members) => f = members;

    public sealed class Scores
    {
        public float[] Score { get; set; } = [];
    }

    private List<Scores> ScoresOf(ITransformer model) => f.Ml.Data.CreateEnumerable<Scores>(model.Transform(f.Test), false).ToList();

    [Fact]
    public void CnnEnsembleTrainer_UsesSuccessiveSeeds_SoMembersDiffer()
    {
        var first = ScoresOf(f.Trained[0]);
        var second = ScoresOf(f.Trained[1]);

        first.Zip(second).Should().Contain(p => !p.First.Score.SequenceEqual(p.Second.Score));
    }

    [Fact]
    public void Ensemble_OutputColumns_CarryTheTrainersAnnotations_InTheSchemaAndTheEstimatorsShape()
    {
        var estimator = f.Ml.Transforms.CnnEnsemble(f.Trained);
        // The training data's shape: an image and a key label with text values (SchemaShape.Create is internal to ML.NET).
        var keyValues = MLNetInternals.NewColumn("KeyValues", SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false, null);
        var input = new SchemaShape([
            MLNetInternals.NewColumn("Image", SchemaShape.Column.VectorKind.Scalar, new ImageDataViewType(32, 32), false, null),
            MLNetInternals.NewColumn("Label", SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true, new SchemaShape([keyValues])),
        ]);
        var trainerShape = f.Ml.MulticlassClassification.Trainers.Cnn(Pipelines.FastOptions()).GetOutputSchema(input);

        var ensembleShape = estimator.GetOutputSchema(input);
        var schema = estimator.Fit(f.Train).GetOutputSchema(f.Train.Schema);

        foreach (var name in new[] { "Score", "PredictedLabel" })
        {
            var expected = trainerShape.Single(c => c.Name == name);
            var actual = ensembleShape.Single(c => c.Name == name);
            actual.Annotations.Select(a => a.Name).Should().BeEquivalentTo(expected.Annotations.Select(a => a.Name), $"{name} is annotated as the trainer annotates it");
            schema[name].Annotations.Schema.Select(c => c.Name).Should().BeEquivalentTo(f.Trained[0].GetOutputSchema(f.Train.Schema)[name].Annotations.Schema.Select(c => c.Name));
        }
        ensembleShape.Single(c => c.Name == "Score").Annotations.Select(a => a.Name).Should().Contain(["SlotNames", "ScoreColumnKind", "ScoreValueKind"]);
    }

    [Fact]
    public void Ensemble_OfIdenticalMembers_EqualsTheMember()
    {
        var member = f.Trained[0];
        var ensemble = f.Ml.Transforms.CnnEnsemble([member, member, member]).Fit(f.Test);

        var expected = ScoresOf(member);
        var actual = ScoresOf(ensemble);
        for (var i = 0; i < expected.Count; i++)
            actual[i].Score.Should().Equal(expected[i].Score, (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Theory]
    [InlineData(CnnEnsembleCombination.Mean)]
    [InlineData(CnnEnsembleCombination.GeometricMean)]
    [InlineData(CnnEnsembleCombination.MajorityVote)]
    public void Ensemble_OfDifferentArchitectures_EvaluatesLikeAClassifier(CnnEnsembleCombination combination)
    {
        var ensemble = f.Ml.Transforms.CnnEnsemble(f.Trained, combination).Fit(f.Test);

        var metrics = f.Ml.MulticlassClassification.Evaluate(ensemble.Transform(f.Test));
        var memberAccuracies = f.Trained.Select(m => f.Ml.MulticlassClassification.Evaluate(m.Transform(f.Test)).MicroAccuracy).ToList();

        metrics.MicroAccuracy.Should().BeGreaterThanOrEqualTo(memberAccuracies.Min());
        var scores = ScoresOf(ensemble);
        scores.Should().OnlyContain(s => Math.Abs(s.Score.Sum() - 1) < 1e-4);
        if (combination == CnnEnsembleCombination.MajorityVote)
            scores.SelectMany(s => s.Score).Should().OnlyContain(v => Math.Abs(v * 3 - Math.Round(v * 3)) < 1e-5, "votes of three members");
    }

    [Theory]
    [InlineData(CnnEnsembleCombination.Mean)]
    [InlineData(CnnEnsembleCombination.GeometricMean)]
    [InlineData(CnnEnsembleCombination.MajorityVote)]
    public void Ensemble_SavesAndLoadsAsOneMLNetModel_ScoringTheSame(CnnEnsembleCombination combination)
    {
        using var folder = new TempFolder();
        var ensemble = f.Ml.Transforms.CnnEnsemble(f.Trained, combination).Fit(f.Test);
        var schema = f.Test.Schema;

        f.Ml.Model.Save(ensemble, schema, folder.File("ensemble.zip"));
        using var loaded = (TransformerChain<ITransformer>)new MLContext().Model.Load(folder.File("ensemble.zip"), out _);

        // Fresh images for the loaded chain: ML.NET's image transforms dispose the MLImage objects they read.
        var again = f.Keys.Transform(Pipelines.ImagesView(f.Ml, Shapes.Generate(80, seed: 72)));
        var expected = ScoresOf(ensemble);
        var actual = f.Ml.Data.CreateEnumerable<Scores>(loaded.Transform(again), false).ToList();
        for (var i = 0; i < expected.Count; i++)
            actual[i].Score.Should().Equal(expected[i].Score, (a, b) => Math.Abs(a - b) < 1e-4);
    }

    [Fact]
    public void Int8Ensemble_QuantizesEveryMember_AgreesWithTheFloatEnsemble_AndSavesAsOneGraph()
    {
        using var ensemble = f.Ml.Transforms.CnnEnsemble(f.Trained).Fit(f.Test);
        using var int8 = ensemble.Quantize(f.Train);

        int8.IsQuantized.Should().BeTrue();
        ensemble.IsQuantized.Should().BeFalse();
        int8.Members.Should().OnlyContain(m => m.IsQuantized);
        var floats = ScoresOf(ensemble);
        var ints = ScoresOf(int8);
        floats.Zip(ints).Count(p => ArgMax(p.First.Score) == ArgMax(p.Second.Score)).Should().BeGreaterThanOrEqualTo(76, "95% of 80 rows");
        floats.Zip(ints).Should().Contain(p => !p.First.Score.SequenceEqual(p.Second.Score), "int8 arithmetic rounds");
        FluentActions.Invoking(() => int8.Quantize(f.Train)).Should().Throw<InvalidOperationException>().WithMessage("*Member(s) 0, 1, 2*quantized already*");

        using var folder = new TempFolder();
        f.Ml.Model.Save(int8, f.Test.Schema, folder.File("int8-ensemble.zip"));
        using var loaded = (TransformerChain<ITransformer>)new MLContext().Model.Load(folder.File("int8-ensemble.zip"), out _);
        var again = f.Keys.Transform(Pipelines.ImagesView(f.Ml, Shapes.Generate(80, seed: 72)));
        var fromZip = f.Ml.Data.CreateEnumerable<Scores>(loaded.Transform(again), false).ToList();
        for (var i = 0; i < ints.Count; i++)
            fromZip[i].Score.Should().Equal(ints[i].Score, (a, b) => Math.Abs(a - b) < 1e-4);
    }

    private static int ArgMax(float[] scores) => Array.IndexOf(scores, scores.Max());

    [Fact]
    public void Ensemble_MembersWithOtherLabelValuesOrSizes_AreRefusedWithEveryProblem()
    {
        var ml = f.Ml;
        var otherLabels = Pipelines.ImagesView(ml, Shapes.Generate(40, seed: 73, classes: 3));
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(otherLabels).Transform(otherLabels);
        var small = Pipelines.FastOptions(epochs: 1);
        small = small with { Input = small.Input with { ImageSize = 24 } };
        using var threeClasses = ml.MulticlassClassification.Trainers.Cnn(small).Fit(keyed);

        var act = () => ml.Transforms.CnnEnsemble([f.Trained[0], threeClasses]);

        act.Should().Throw<ArgumentException>().WithMessage("*member 1 (resnet20) has label values [square, disc, bar]*member 1 takes Image 3x24x24, member 0 takes Image 3x32x32*");
        FluentActions.Invoking(() => ml.Transforms.CnnEnsemble([])).Should().Throw<ArgumentException>().WithMessage("*at least one member*");
    }
}
