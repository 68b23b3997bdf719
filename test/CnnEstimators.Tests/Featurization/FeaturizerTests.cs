using FluentAssertions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Tests.Support;
using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn.Tests.Featurization;

/// <summary>mlContext.Transforms.CnnFeaturize: features for other ML.NET trainers.</summary>
public class FeaturizerTests : IClassFixture<FeaturizerTests.Trained>
{
    public sealed class Trained : IDisposable
    {
        public Trained()
        {
            Ml = new MLContext(seed: 1);
            Examples = Shapes.Generate(320, seed: 61);
            var raw = Pipelines.ImagesView(Ml, Examples);
            var keys = Ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw);
            Train = keys.Transform(raw);
            var rawTest = Pipelines.ImagesView(Ml, Shapes.Generate(80, seed: 62));
            Test = keys.Transform(rawTest);
            Classifier = Ml.MulticlassClassification.Trainers.Cnn(Pipelines.FastOptions()).Fit(Train);
        }

        public MLContext Ml { get; }
        public List<ShapeExample> Examples { get; }
        public IDataView Train { get; }
        public IDataView Test { get; }
        public CnnClassifierTransformer Classifier { get; }
        public void Dispose() => Classifier.Dispose();
    }

    private readonly Trained t;

    public FeaturizerTests(Trained trained) => t = trained;

    public sealed class Featurized
    {
        public float[] Features { get; set; } = [];
    }

    [Fact]
    public void CnnFeaturize_EqualsForwardFeaturesOnTheSameBatch()
    {
        var featurizer = t.Ml.Transforms.CnnFeaturize("Features", "Image", t.Classifier).Fit(t.Train);
        var rows = t.Ml.Data.CreateEnumerable<Featurized>(featurizer.Transform(t.Train), false).Take(8).ToList();

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var p = t.Classifier.Preprocessing;
        var raw = stack(t.Examples.Take(8).Select(e => RgbPlanes(e.Rgba)).ToArray());
        var mean = tensor(p.Mean.ToArray()).reshape(1, -1, 1, 1);
        var std = tensor(p.Std.ToArray()).reshape(1, -1, 1, 1);
        t.Classifier.Model.eval();
        var expected = t.Classifier.Model.ForwardFeatures((raw * p.PixelScale - mean) / std);

        featurizer.ValuesPerRow.Should().Be(64);
        var actual = tensor(rows.SelectMany(r => r.Features).ToArray(), [8, 64]);
        ((actual - expected).abs().max().item<float>() / expected.abs().max().item<float>()).Should().BeLessThan(1e-5f);
    }

    private static Tensor RgbPlanes(byte[] rgba)
    {
        const int area = Shapes.Size * Shapes.Size;
        var planes = new float[3 * area];
        for (var i = 0; i < area; i++)
            for (var c = 0; c < 3; c++)
                planes[c * area + i] = rgba[4 * i + c];
        return tensor(planes, [3, Shapes.Size, Shapes.Size]);
    }

    [Fact]
    public void CnnFeaturize_IntoLbfgsAndOneVersusAllFastTree_LearnsTheShapes()
    {
        var ml = t.Ml;
        foreach (var trainer in new IEstimator<ITransformer>[]
        {
            ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("Label", "Features"),
            ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastTree("Label", "Features", numberOfLeaves: 4, numberOfTrees: 20, minimumExampleCountPerLeaf: 5)),
        })
        {
            var pipeline = ml.Transforms.CnnFeaturize("Features", "Image", t.Classifier).Append(trainer);
            var model = pipeline.Fit(t.Train);
            ml.MulticlassClassification.Evaluate(model.Transform(t.Test)).MicroAccuracy.Should().BeGreaterThan(0.9, trainer.GetType().Name);
        }
    }

    [Fact]
    public void CnnFeaturize_NamedLayer_GivesItsFlattenedOutput()
    {
        var featurizer = t.Ml.Transforms.CnnFeaturize("Features", "Image", t.Classifier, layerName: "layer3").Fit(t.Train);

        featurizer.ValuesPerRow.Should().Be(64 * 8 * 8);
        t.Ml.Data.CreateEnumerable<Featurized>(featurizer.Transform(t.Test), false).First().Features.Should().HaveCount(4096);
    }

    [Fact]
    public void CnnFeaturize_UnknownLayer_ListsLayers()
    {
        FluentActions.Invoking(() => t.Ml.Transforms.CnnFeaturize("Features", "Image", t.Classifier, layerName: "layer9").Fit(t.Train))
            .Should().Throw<ArgumentException>().WithMessage("*no layer 'layer9'*conv1*");
    }

    [Fact]
    public void CnnFeaturize_ModelWithPreprocessing_WorksAndSavesAndLoads()
    {
        using var folder = new TempFolder();
        using var model = CnnZoo.Create("resnet20", numClasses: 10);
        // Own images: ML.NET's image transforms dispose the MLImage objects they read from LoadFromEnumerable.
        var data = Pipelines.ImagesView(t.Ml, Shapes.Generate(40, seed: 63));
        var pipeline = t.Ml.Transforms.CnnFeaturize("Features", "Image", model, CnnPreprocessing.ForImages(model, imageSize: 32));
        var fitted = pipeline.Fit(data);

        t.Ml.Model.Save(fitted, data.Schema, folder.File("featurizer.zip"));
        using var loaded = (TransformerChain<ITransformer>)new MLContext().Model.Load(folder.File("featurizer.zip"), out _);

        var before = t.Ml.Data.CreateEnumerable<Featurized>(fitted.Transform(data), false).ToList();
        var after = t.Ml.Data.CreateEnumerable<Featurized>(loaded.Transform(Pipelines.ImagesView(t.Ml, Shapes.Generate(40, seed: 63))), false).ToList();
        for (var i = 0; i < before.Count; i++)
            after[i].Features.Should().Equal(before[i].Features, (a, b) => Math.Abs(a - b) <= 1e-4 * Math.Max(1, Math.Abs(b)));
    }

    [Fact]
    public void CnnFeaturize_PreprocessingOfOtherChannels_IsRefused()
    {
        using var grey = CnnZoo.Create("resnet20", numClasses: 10, inChannels: 1);
        using var colour = CnnZoo.Create("resnet20", numClasses: 10);

        FluentActions.Invoking(() => t.Ml.Transforms.CnnFeaturize("F", "Image", grey, CnnPreprocessing.ForImages(colour)))
            .Should().Throw<ArgumentException>().WithMessage("*3-channel images but resnet20 takes 1*");
    }
}
