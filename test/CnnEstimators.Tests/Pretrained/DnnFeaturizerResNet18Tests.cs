using FluentAssertions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Tests.Support;
using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn.Tests.Pretrained;

/// <summary>The imported ImageNet ResNet-18 against ML.NET's own DnnFeaturizeImage on the same images.</summary>
public class DnnFeaturizerResNet18Tests
{
    public sealed class Featurized
    {
        [VectorType(3 * 224 * 224)]
        public float[] Pixels { get; set; } = [];
        public float[] Features { get; set; } = [];
    }

    [Fact]
    public void Import_FeaturesEqualMLNetsDnnFeaturizeImage()
    {
        var ml = new MLContext(seed: 1);
        var images = Pipelines.ImagesView(ml, Shapes.Generate(4, seed: 51));
        var featurizer = ml.Transforms.ResizeImages("Resized", 224, 224, "Image")
            .Append(ml.Transforms.ExtractPixels("Pixels", "Resized"))
            .Append(ml.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), "Pixels"));
        var rows = ml.Data.CreateEnumerable<Featurized>(featurizer.Fit(images).Transform(images), false).ToList();

        using var model = DnnFeaturizerResNet18.Import(numClasses: 4);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var pixels = tensor(rows.SelectMany(r => r.Pixels).ToArray(), [rows.Count, 3, 224, 224]);
        var ours = model.ForwardFeatures(pixels);
        var theirs = tensor(rows.SelectMany(r => r.Features).ToArray(), [rows.Count, 512]);

        var relative = ((ours - theirs).abs().max() / theirs.abs().max()).item<float>();
        relative.Should().BeLessThan(1e-3f);
        theirs.abs().max().item<float>().Should().BeGreaterThan(0.1f, "the features are not trivially zero");
    }

    [Fact]
    public void Import_FineTunedInThePipeline_WithItsOwnNormalization_SavesAndLoadsBothWays()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var data = Pipelines.ImagesView(ml, Shapes.Generate(16, seed: 52));
        // No size, scale, mean or std given: the imported model carries its own (224x224, 0-255, no standardisation).
        var options = new CnnTrainerOptions
        {
            Model = new() { Instance = DnnFeaturizerResNet18.Import(numClasses: 4) },
            Columns = new() { Image = "Image224" },
            Optimizer = new() { Kind = CnnOptimizer.Sgd, LearningRate = 0.001 },
            Schedule = new() { Epochs = 1, BatchSize = 8 },
            Runtime = new() { Seed = 3 },
        };
        // Resized by ML.NET first, so the TorchSharp and the saved chain see the same pixels (their resizers differ).
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.ResizeImages("Image224", 224, 224, "Image"))
            .Append(ml.MulticlassClassification.Trainers.Cnn(options)).Fit(data);

        ml.Model.Save(model, data.Schema, folder.File("pretrained.zip"));
        using var loaded = (TransformerChain<ITransformer>)new MLContext().Model.Load(folder.File("pretrained.zip"), out _);

        var cnn = model.LastTransformer;
        cnn.Preprocessing.Normalization.Should().BeEquivalentTo(new PixelNormalization(3, 224, 224, 1f, [0f, 0f, 0f], [1f, 1f, 1f]));
        cnn.SaveCheckpoint(folder.File("pretrained.mlnetcnn"));
        using var reloaded = ml.Cnn().LoadClassifier(folder.File("pretrained.mlnetcnn"), device: "cpu");
        reloaded.Model.Should().BeOfType<DnnFeaturizerResNet18>();

        var before = ml.Data.CreateEnumerable<Scored>(model.Transform(data), false).ToList();
        var afterZip = ml.Data.CreateEnumerable<Scored>(loaded.Transform(data), false).ToList();
        var resized = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.ResizeImages("Image224", 224, 224, "Image")).Fit(data).Transform(data);
        var afterCheckpoint = ml.Data.CreateEnumerable<Scored>(reloaded.Transform(resized), false).ToList();
        for (var i = 0; i < before.Count; i++)
        {
            afterZip[i].Score.Should().Equal(before[i].Score, (a, b) => Math.Abs(a - b) < 1e-4);
            afterCheckpoint[i].Score.Should().Equal(before[i].Score, (a, b) => Math.Abs(a - b) < 1e-5);
        }
    }

    [Fact]
    public void Import_CarriesItsNormalization_SoPreprocessingNeedsNoArguments()
    {
        using var model = DnnFeaturizerResNet18.Import(numClasses: 4);

        var preprocessing = CnnPreprocessing.ForImages(model);

        preprocessing.Normalization.Should().BeEquivalentTo(new PixelNormalization(3, 224, 224, 1f, [0f, 0f, 0f], [1f, 1f, 1f]));
        model.Architecture.Should().Be(DnnFeaturizerResNet18.RegistryName);
    }

    [Fact]
    public void Import_AtASmallerSize_RunsAndExportsTheSame()
    {
        using var model = DnnFeaturizerResNet18.Import(numClasses: 4);
        model.eval();
        manual_seed(4);
        using var images = rand(2, 3, 64, 64) * 255;

        using var torchFeatures = model.ForwardFeatures(images);
        var onnx = model.ToOnnx(3, 64, 64, new OnnxExportOptions { Features = true });
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(onnx);
        var input = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(images.data<float>().ToArray(), [2, 3, 64, 64]);
        using var results = session.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor("input", input)]);
        var fromOnnx = results.Single().AsTensor<float>().ToArray();

        torchFeatures.shape.Should().Equal([2, 512]);
        using var difference = (tensor(fromOnnx, [2, 512]) - torchFeatures).norm() / torchFeatures.norm();
        difference.item<float>().Should().BeLessThan(1e-4f, "ONNX Runtime computes the same network at 64x64");
    }

    public sealed class Scored
    {
        public float[] Score { get; set; } = [];
    }

    [Fact]
    public void Import_MissingFolder_SaysWhichPackageBringsIt()
    {
        FluentActions.Invoking(() => DnnFeaturizerResNet18.Import("/nonexistent"))
            .Should().Throw<FileNotFoundException>().WithMessage("*ResNet18.onnx*Microsoft.ML.DnnImageFeaturizer.ResNet18*");
    }
}
