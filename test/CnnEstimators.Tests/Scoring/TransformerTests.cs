using FluentAssertions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Persistence;
using MLNetCnn.Tests.Support;

namespace MLNetCnn.Tests.Scoring;

/// <summary>The trained transformer's schema, batching and row mapping.</summary>
public class TransformerTests : IClassFixture<TransformerTests.Trained>
{
    public sealed class Trained : IDisposable
    {
        public Trained()
        {
            Ml = new MLContext(seed: 1);
            var examples = Shapes.Generate(160, seed: 21);
            var raw = Pipelines.ImagesView(Ml, examples);
            var keys = Ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw);
            Data = keys.Transform(raw);
            Model = Ml.MulticlassClassification.Trainers.Cnn(Pipelines.FastOptions(epochs: 2)).Fit(Data);
        }

        public MLContext Ml { get; }
        public IDataView Data { get; }
        public CnnClassifierTransformer Model { get; }
        public void Dispose() => Model.Dispose();
    }

    private readonly Trained trained;

    public TransformerTests(Trained trained) => this.trained = trained;

    [Fact]
    public void OutputSchema_AnnotatesScoreAndPredictedLabelLikeMLNetsTrainers()
    {
        var schema = trained.Model.GetOutputSchema(trained.Data.Schema);

        var score = schema["Score"];
        score.Type.Should().Be(new VectorDataViewType(NumberDataViewType.Single, 4));
        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        score.GetSlotNames(ref slotNames);
        slotNames.DenseValues().Select(v => v.ToString()).Should().Equal(Shapes.Classes);
        Text(score.Annotations, "ScoreColumnKind").Should().Be("MulticlassClassification");
        Text(score.Annotations, "ScoreValueKind").Should().Be("Score");
        var predicted = schema["PredictedLabel"];
        predicted.Type.Should().Be(trained.Data.Schema["Label"].Type);
        var keyValues = default(VBuffer<ReadOnlyMemory<char>>);
        predicted.GetKeyValues(ref keyValues);
        keyValues.DenseValues().Select(v => v.ToString()).Should().Equal(Shapes.Classes);
    }

    private static string Text(DataViewSchema.Annotations annotations, string name)
    {
        var value = default(ReadOnlyMemory<char>);
        annotations.GetValue(name, ref value);
        return value.ToString();
    }

    [Fact]
    public void Transform_KeepsInputColumns_AndIsTheSameForAnyBatchSize()
    {
        var scored = trained.Model.Transform(trained.Data);
        scored.Schema.Select(c => c.Name).Should().StartWith(trained.Data.Schema.Select(c => c.Name));

        var batched = trained.Ml.Data.CreateEnumerable<Scores>(scored, false).ToList();
        var byRow = new CnnClassifierTransformer(  // shares the fixture's network: not disposed here
            new ClassifierCheckpoint.Contents(trained.Model.Model, trained.Model.Preprocessing, "Image", trained.Model.Outputs, 1, false, trained.Model.History),
            CnnInferenceEngine.Auto);
        var single = trained.Ml.Data.CreateEnumerable<Scores>(byRow.Transform(trained.Data), false).ToList();

        batched.Should().HaveCount(160);
        for (var i = 0; i < batched.Count; i++)
            batched[i].Score.Should().Equal(single[i].Score, (a, b) => Math.Abs(a - b) < 1e-5);
        batched.Select(b => b.Label).Should().Equal(trained.Ml.Data.CreateEnumerable<LabelOnly>(trained.Data, false).Select(r => r.Label));
    }

    public sealed class LabelOnly
    {
        [KeyType(4)]
        public uint Label { get; set; }
    }

    public sealed class Scores
    {
        [KeyType(4)]
        public uint Label { get; set; }
        public float[] Score { get; set; } = [];
    }

    [Fact]
    public void GetRowToRowMapper_ScoresAsTransformDoes()
    {
        var mapper = trained.Model.GetRowToRowMapper(trained.Data.Schema);
        var scoreColumn = mapper.OutputSchema["Score"];
        using var cursor = trained.Data.GetRowCursor(mapper.GetDependencies([scoreColumn]));
        using var row = mapper.GetRow(cursor, [scoreColumn]);
        var getter = row.GetGetter<VBuffer<float>>(scoreColumn);
        var expected = trained.Ml.Data.CreateEnumerable<Scores>(trained.Model.Transform(trained.Data), false).Take(5).ToList();

        for (var i = 0; i < 5; i++)
        {
            cursor.MoveNext().Should().BeTrue();
            var value = default(VBuffer<float>);
            getter(ref value);
            value.DenseValues().Should().Equal(expected[i].Score, (a, b) => Math.Abs(a - b) < 1e-5);
        }
        trained.Model.IsRowToRowMapper.Should().BeTrue();
    }

    [Fact]
    public void Transform_DataWithoutTheImageColumn_IsRefused()
    {
        var other = trained.Ml.Data.LoadFromEnumerable(new[] { new { Label = "x" } }.Select(a => new Support.FileRow { Label = a.Label }));

        FluentActions.Invoking(() => trained.Model.Transform(other)).Should().Throw<ArgumentException>().WithMessage("*image column 'Image' is not in the data*");
    }
}
