using FluentAssertions;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNetCnn.Persistence;
using MLNetCnn.Tests.Support;
using MLNetCnn.Zoo;

namespace MLNetCnn.Tests.Quantization;

/// <summary>
/// Int8 classifiers and featurizers against their float selves: agreement on held-out rows, integer kernels in ONNX Runtime, the
/// int8 graph kept by ML.NET's zip and by checkpoints, deterministic calibration, and the refusals.
/// </summary>
public class QuantizationTests : IClassFixture<QuantizationTests.TrainedClassifier>
{
    private readonly TrainedClassifier trained;

    public QuantizationTests(TrainedClassifier trained) => this.trained = trained;

    /// <summary>A resnet20 trained for a few epochs on the shapes, shared by the tests (training is the slow part).</summary>
    public sealed class TrainedClassifier : IDisposable
    {
        public MLContext Ml { get; } = new(seed: 1);

        public CnnClassifierTransformer Float { get; }

        public CnnClassifierTransformer Int8 { get; }

        private readonly List<ShapeExample> calibration = Shapes.Generate(64, seed: 42);
        private readonly List<ShapeExample> heldOut = Shapes.Generate(200, seed: 43);

        // Fresh views each time: ML.NET's image getters dispose the images they hand out.
        public IDataView Calibration => Pipelines.ImagesView(Ml, calibration);

        public IDataView HeldOut => Pipelines.ImagesView(Ml, heldOut);

        public TrainedClassifier()
        {
            var train = Pipelines.ImagesView(Ml, Shapes.Generate(256, seed: 41));
            var keys = Ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
            Float = Ml.MulticlassClassification.Trainers.Cnn(Pipelines.FastOptions(epochs: 4)).Fit(keys.Transform(train));
            Int8 = Float.Quantize(Calibration);
        }

        public void Dispose()
        {
            Int8.Dispose();
            Float.Dispose();
        }
    }

    private sealed class Scored
    {
        public float[] Score { get; set; } = [];
    }

    private List<float[]> Scores(ITransformer model, IDataView data) =>
        trained.Ml.Data.CreateEnumerable<Scored>(model.Transform(data), reuseRowObject: false).Select(s => s.Score).ToList();

    private static int ArgMax(float[] scores) => Array.IndexOf(scores, scores.Max());

    [Fact]
    public void Int8Classifier_AgreesWithTheFloatOne_OnHeldOutRows_AndScoresThroughIntegerKernels()
    {
        var floats = Scores(trained.Float, trained.HeldOut);
        var ints = Scores(trained.Int8, trained.HeldOut);

        var agreement = floats.Zip(ints).Count(p => ArgMax(p.First) == ArgMax(p.Second)) / (double)floats.Count;
        agreement.Should().BeGreaterThanOrEqualTo(0.99);
        floats.Zip(ints).Max(p => p.First.Zip(p.Second).Max(s => Math.Abs(s.First - s.Second))).Should()
            .BeGreaterThan(0f, "int8 arithmetic rounds: identical scores would mean the float network ran").And.BeLessThan(0.2f);
        trained.Int8.IsQuantized.Should().BeTrue();
        trained.Float.IsQuantized.Should().BeFalse();

        var kernels = OptimizedOperators(trained.Int8.QuantizedGraph!);
        kernels.Should().Contain("QLinearConv").And.NotContain("Conv", "every convolution should run as an integer kernel");
    }

    // The operators ONNX Runtime's optimiser leaves in the graph it runs (its QDQ fusions applied).
    private static List<string> OptimizedOperators(byte[] graph)
    {
        using var folder = new TempFolder();
        using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, OptimizedModelFilePath = folder.File("optimized.onnx") })
        using (new InferenceSession(graph, options))
        {
        }
        return Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(folder.File("optimized.onnx"))).Graph.Node.Select(n => n.OpType).ToList();
    }

    [Fact]
    public void Int8Classifier_SavesWithMLNet_AndThroughACheckpoint_ScoringTheSame()
    {
        var expected = Scores(trained.Int8, trained.HeldOut);
        var schema = trained.HeldOut.Schema;
        using var folder = new TempFolder();
        trained.Ml.Model.Save(trained.Int8, schema, folder.File("int8.zip"));
        using var loaded = (TransformerChain<ITransformer>)new MLContext().Model.Load(folder.File("int8.zip"), out _);
        var fromZip = Scores(loaded, trained.HeldOut);
        for (var i = 0; i < expected.Count; i++)
            fromZip[i].Should().Equal(expected[i], (a, b) => Math.Abs(a - b) < 1e-5f);
        loaded.Any(t => t.GetType().Namespace!.StartsWith("MLNetCnn", StringComparison.Ordinal)).Should().BeFalse();

        trained.Int8.SaveCheckpoint(folder.File("int8.mlnetcnn"));
        using var reloaded = trained.Ml.Cnn().LoadClassifier(folder.File("int8.mlnetcnn"));
        reloaded.IsQuantized.Should().BeTrue();
        Scores(reloaded, trained.HeldOut).Should().BeEquivalentTo(expected, o => o.WithStrictOrdering());
        FluentActions.Invoking(() => trained.Ml.Cnn().LoadClassifier(folder.File("int8.mlnetcnn"), engine: CnnInferenceEngine.TorchSharp))
            .Should().Throw<NotSupportedException>().WithMessage("*int8*ONNX Runtime*");
    }

    // The checkpoint's entries with one replaced (or added when absent), written again as a zip.
    private static void RewriteEntry(string path, string name, Func<byte[], byte[]> change)
    {
        var entries = new List<(string Name, byte[] Bytes)>();
        using (var zip = System.IO.Compression.ZipFile.OpenRead(path))
            foreach (var entry in zip.Entries)
            {
                using var stream = entry.Open();
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                entries.Add((entry.FullName, entry.FullName == name ? change(copy.ToArray()) : copy.ToArray()));
            }
        File.Delete(path);
        using var rewritten = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Create);
        foreach (var (entryName, bytes) in entries)
        {
            using var stream = rewritten.CreateEntry(entryName, entryName == "weights.bin"
                ? System.IO.Compression.CompressionLevel.NoCompression : System.IO.Compression.CompressionLevel.Optimal).Open();
            stream.Write(bytes);
        }
    }

    [Fact]
    public void Int8Checkpoint_WhoseGraphWasEditedOrSwapped_IsRefused_AndOneAskingForExternalData_Too()
    {
        using var folder = new TempFolder();
        var file = folder.File("int8.mlnetcnn");
        trained.Int8.SaveCheckpoint(file);
        // An edit that keeps a valid, quantized graph: every scale of the graph doubled, the weights untouched.
        RewriteEntry(file, "quantized.onnx", bytes =>
        {
            var graph = Onnx.ModelProto.Parser.ParseFrom(bytes);
            foreach (var scale in graph.Graph.Initializer.Where(i => i.Name.Contains("scale", StringComparison.OrdinalIgnoreCase) && i.FloatData.Count > 0))
                for (var i = 0; i < scale.FloatData.Count; i++)
                    scale.FloatData[i] *= 2;
            graph.ProducerName += " (edited)";
            return Google.Protobuf.MessageExtensions.ToByteArray(graph);
        });

        FluentActions.Invoking(() => trained.Ml.Cnn().LoadClassifier(file)).Should().Throw<InvalidDataException>()
            .WithMessage($"*{file}*quantized.onnx*not made from these weights*");

        // Whoever rewrites the digest as well still cannot make the graph read a file from outside: external data is refused.
        trained.Int8.SaveCheckpoint(file);
        byte[] weights = [], graphBytes = [];
        RewriteEntry(file, "weights.bin", bytes => weights = bytes);
        RewriteEntry(file, "quantized.onnx", bytes =>
        {
            var graph = Onnx.ModelProto.Parser.ParseFrom(bytes);
            var tensor = graph.Graph.Initializer.First(i => i.RawData.Length > 0 || i.FloatData.Count > 0);
            tensor.DataLocation = Onnx.TensorProto.Types.DataLocation.External;
            tensor.ExternalData.Add(new Onnx.StringStringEntryProto { Key = "location", Value = "../../../etc/passwd" });
            return graphBytes = Google.Protobuf.MessageExtensions.ToByteArray(graph);
        });
        RewriteEntry(file, "classifier.json", bytes =>
        {
            var json = System.Text.Json.Nodes.JsonNode.Parse(bytes)!;
            using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            hash.AppendData(BitConverter.GetBytes((long)weights.Length));
            hash.AppendData(weights);
            hash.AppendData(graphBytes);
            json["QuantizedDigest"] = Convert.ToHexStringLower(hash.GetHashAndReset());
            return System.Text.Encoding.UTF8.GetBytes(json.ToJsonString());
        });

        FluentActions.Invoking(() => trained.Ml.Cnn().LoadClassifier(file)).Should().Throw<InvalidDataException>()
            .WithMessage($"*{file}*quantized.onnx*external data*");
    }

    [Fact]
    public void ModelZip_CheckGraphs_PassesTheSavedModel_AndRefusesAGraphAskingForExternalData()
    {
        using var folder = new TempFolder();
        var file = folder.File("int8.zip");
        trained.Ml.Model.Save(trained.Int8, trained.HeldOut.Schema, file);
        CnnModelZip.CheckGraphs(file);

        // The graph entry rewritten with one initializer moved to a file outside, as a hostile zip would ask.
        string? graphEntry = null;
        using (var zip = System.IO.Compression.ZipFile.Open(file, System.IO.Compression.ZipArchiveMode.Update))
        {
            var entry = zip.Entries.First(e => e.Name == "OnnxModel");
            graphEntry = entry.FullName;
            byte[] bytes;
            using (var stream = entry.Open())
            using (var copy = new MemoryStream())
            {
                stream.CopyTo(copy);
                bytes = copy.ToArray();
            }
            var graph = Onnx.ModelProto.Parser.ParseFrom(bytes.AsSpan(4));
            var tensor = graph.Graph.Initializer.First();
            tensor.DataLocation = Onnx.TensorProto.Types.DataLocation.External;
            tensor.ExternalData.Add(new Onnx.StringStringEntryProto { Key = "location", Value = "/etc/passwd" });
            var edited = Google.Protobuf.MessageExtensions.ToByteArray(graph);
            entry.Delete();
            using var rewritten = zip.CreateEntry(graphEntry).Open();
            rewritten.Write(BitConverter.GetBytes(edited.Length));
            rewritten.Write(edited);
        }

        FluentActions.Invoking(() => CnnModelZip.CheckGraphs(file)).Should().Throw<InvalidDataException>()
            .WithMessage($"*{file}*{graphEntry}*external data*");
    }

    [Theory]
    [InlineData("classifier.json", "appears twice")]
    [InlineData("notes.txt", "does not have")]
    public void Checkpoint_WithADuplicateOrUnknownEntry_IsRefused(string entry, string reason)
    {
        using var folder = new TempFolder();
        var file = folder.File("float.mlnetcnn");
        trained.Float.SaveCheckpoint(file);
        using (var zip = System.IO.Compression.ZipFile.Open(file, System.IO.Compression.ZipArchiveMode.Update))
        using (var stream = zip.CreateEntry(entry).Open())
            stream.Write("{}"u8);

        FluentActions.Invoking(() => trained.Ml.Cnn().LoadClassifier(file)).Should().Throw<InvalidDataException>()
            .WithMessage($"*{file}*{entry}*{reason}*");
    }

    [Fact]
    public void Checkpoint_WhoseConfigurationInflatesPastItsCap_IsRefusedBeforeItIsRead()
    {
        using var folder = new TempFolder();
        var file = folder.File("bomb.mlnetcnn");
        trained.Float.SaveCheckpoint(file);
        // 65 MiB of spaces before the real configuration deflate to some 65 KB: a bomb a JSON reader would buffer whole.
        RewriteEntry(file, "classifier.json", bytes => [.. Enumerable.Repeat((byte)' ', 65 << 20), .. bytes]);
        new FileInfo(file).Length.Should().BeLessThan(10L << 20, "the bomb is small on disk");

        FluentActions.Invoking(() => trained.Ml.Cnn().LoadClassifier(file)).Should().Throw<InvalidDataException>()
            .WithMessage($"*{file}*classifier.json*declares*at most {64 << 20:N0}*");
    }

    [Fact]
    public void Calibration_IsDeterministic_AndPercentileAlsoAgrees()
    {
        using var again = trained.Float.Quantize(trained.Calibration);
        again.QuantizedGraph.Should().Equal(trained.Int8.QuantizedGraph);

        using var percentile = trained.Float.Quantize(trained.Calibration, new CnnQuantizationOptions { Method = CnnCalibrationMethod.Percentile, Percentile = 99.99 });
        percentile.QuantizedGraph.Should().NotEqual(trained.Int8.QuantizedGraph, "clipping the tails changes some ranges");
        var floats = Scores(trained.Float, trained.HeldOut);
        var ints = Scores(percentile, trained.HeldOut);
        (floats.Zip(ints).Count(p => ArgMax(p.First) == ArgMax(p.Second)) / (double)floats.Count).Should().BeGreaterThanOrEqualTo(0.99);
    }

    [Fact]
    public void Quantize_RefusesTooFewRows_AnotherColumn_AQuantizedModel_BadOptions_AndANamedLayer()
    {
        var few = Pipelines.ImagesView(trained.Ml, Shapes.Generate(CnnQuantizationOptions.MinimumCalibrationRows - 1, seed: 44));
        FluentActions.Invoking(() => trained.Float.Quantize(few)).Should().Throw<ArgumentException>()
            .WithMessage($"*at least {CnnQuantizationOptions.MinimumCalibrationRows} rows*has {CnnQuantizationOptions.MinimumCalibrationRows - 1}*");
        var vectors = Pipelines.VectorsView(trained.Ml, Shapes.Generate(32, seed: 45));
        FluentActions.Invoking(() => trained.Float.Quantize(vectors)).Should().Throw<ArgumentException>().WithMessage("*Image*");
        FluentActions.Invoking(() => trained.Int8.Quantize(trained.Calibration)).Should().Throw<InvalidOperationException>().WithMessage("*quantized already*");
        FluentActions.Invoking(() => trained.Float.Quantize(trained.Calibration, new CnnQuantizationOptions { Method = CnnCalibrationMethod.Percentile, Percentile = 40 }))
            .Should().Throw<ArgumentException>().WithMessage("*Invalid quantization options*Percentile*above 50*got 40*");
        FluentActions.Invoking(() => trained.Float.Quantize(trained.Calibration, new CnnQuantizationOptions { MaxCalibrationRows = 4 }))
            .Should().Throw<ArgumentException>().WithMessage("*MaxCalibrationRows must be at least*got 4*");
        FluentActions.Invoking(() => trained.Float.Quantize(trained.Calibration, new CnnQuantizationOptions { WeightBits = 6 }))
            .Should().Throw<ArgumentException>().WithMessage("*WeightBits must be 7*or 8*got 6*");

        using var layer = (CnnFeaturizerTransformer)trained.Ml.Transforms.CnnFeaturize("Features", "Image", trained.Float, layerName: "layer3").Fit(trained.Calibration);
        FluentActions.Invoking(() => layer.Quantize(trained.Calibration)).Should().Throw<NotSupportedException>().WithMessage("*'layer3'*without a layer name*");
    }

    [Fact]
    public void WeightBits_SetTheWeightsGrid_SevenByDefault_EightWhenAsked_AndBothAgreeWithTheFloatModel()
    {
        using var eight = trained.Float.Quantize(trained.Calibration, new CnnQuantizationOptions { WeightBits = 8 });

        // Per output channel, the largest weight maps to the grid's end: 63 in 7 bits (no CPU's kernels saturate), 127 in 8.
        LargestQuantizedWeight(trained.Int8.QuantizedGraph!).Should().Be(63);
        LargestQuantizedWeight(eight.QuantizedGraph!).Should().Be(127);
        var floats = Scores(trained.Float, trained.HeldOut);
        var ints = Scores(eight, trained.HeldOut);
        (floats.Zip(ints).Count(p => ArgMax(p.First) == ArgMax(p.Second)) / (double)floats.Count).Should().BeGreaterThanOrEqualTo(0.99);
    }

    private static int LargestQuantizedWeight(byte[] graph) => Onnx.ModelProto.Parser.ParseFrom(graph).Graph.Initializer
        .Where(t => t.DataType == (int)Onnx.TensorProto.Types.DataType.Int8 && t.Name.EndsWith("_quantized", StringComparison.Ordinal))
        .Max(t => t.RawData.Max(b => Math.Abs((int)(sbyte)b)));

    [Fact]
    public void Int8Featurizer_OfImageNetResNet18_KeepsTheFeatures_AndSaves()
    {
        using var model = DnnFeaturizerResNet18.Import(numClasses: 4);
        var ml = trained.Ml;
        var preprocessing = CnnPreprocessing.ForImages(model, imageSize: 64);
        var examples = Shapes.Generate(96, seed: 8);
        var images = Pipelines.ImagesView(ml, examples);
        using var featurizer = (CnnFeaturizerTransformer)ml.Transforms.CnnFeaturize("Features", "Image", model, preprocessing).Fit(images);
        using var int8 = featurizer.Quantize(Pipelines.ImagesView(ml, examples), new CnnQuantizationOptions { MaxCalibrationRows = 64 });

        var heldOut = Shapes.Generate(40, seed: 9);
        var floats = ml.Data.CreateEnumerable<Featured>(featurizer.Transform(Pipelines.ImagesView(ml, heldOut)), reuseRowObject: false).ToList();
        var ints = ml.Data.CreateEnumerable<Featured>(int8.Transform(Pipelines.ImagesView(ml, heldOut)), reuseRowObject: false).ToList();
        floats.Zip(ints).Average(p => System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(p.First.Features, p.Second.Features)).Should().BeGreaterThanOrEqualTo(0.99f);

        using var folder = new TempFolder();
        ml.Model.Save(int8, images.Schema, folder.File("features.zip"));
        using var loaded = (TransformerChain<ITransformer>)new MLContext().Model.Load(folder.File("features.zip"), out _);
        var fromZip = ml.Data.CreateEnumerable<Featured>(loaded.Transform(Pipelines.ImagesView(ml, heldOut)), reuseRowObject: false).ToList();
        fromZip.Zip(ints).Should().OnlyContain(p => p.First.Features.Zip(p.Second.Features).All(v => Math.Abs(v.First - v.Second) < 1e-4f));

    }

    [Fact]
    public void Int8Engine_CalibratesWhenTheTrainerOrTheFeaturizerIsFitted()
    {
        var ml = trained.Ml;
        var examples = Shapes.Generate(96, seed: 46);
        var options = Pipelines.FastOptions(epochs: 1);
        options = options with { Runtime = options.Runtime with { InferenceEngine = CnnInferenceEngine.OnnxRuntimeInt8 } };
        var train = Pipelines.ImagesView(ml, examples);
        using var int8 = ml.MulticlassClassification.Trainers.Cnn(options).Fit(ml.Transforms.Conversion.MapValueToKey("Label").Fit(train).Transform(train));
        using var asFloat = new CnnClassifierTransformer(new ClassifierCheckpoint.Contents(int8.Model, int8.Preprocessing, int8.ImageColumnName, int8.Outputs,
            64, false, []), CnnInferenceEngine.OnnxRuntime, ownsModel: false);
        using var byHand = asFloat.Quantize(Pipelines.ImagesView(ml, examples));

        int8.IsQuantized.Should().BeTrue();
        int8.InferenceEngine.Should().Be(CnnInferenceEngine.OnnxRuntimeInt8);
        int8.QuantizedGraph.Should().Equal(byHand.QuantizedGraph, "the trainer calibrates on its training rows with the default options");

        using var featurizer = (CnnFeaturizerTransformer)ml.Transforms.CnnFeaturize("Features", "Image", trained.Float, engine: CnnInferenceEngine.OnnxRuntimeInt8)
            .Fit(trained.Calibration);
        using var floatFeaturizer = (CnnFeaturizerTransformer)ml.Transforms.CnnFeaturize("Features", "Image", trained.Float).Fit(trained.Calibration);
        using var featurizerByHand = floatFeaturizer.Quantize(trained.Calibration);
        featurizer.IsQuantized.Should().BeTrue();
        var features = ml.Data.CreateEnumerable<Featured>(featurizer.Transform(trained.HeldOut), reuseRowObject: false).ToList();
        var expected = ml.Data.CreateEnumerable<Featured>(featurizerByHand.Transform(trained.HeldOut), reuseRowObject: false).ToList();
        features.Zip(expected).Should().OnlyContain(p => p.First.Features.SequenceEqual(p.Second.Features));

        FluentActions.Invoking(() => ml.Transforms.CnnFeaturize("Features", "Image", trained.Float, layerName: "layer3", engine: CnnInferenceEngine.OnnxRuntimeInt8))
            .Should().Throw<ArgumentException>().WithMessage("*'layer3'*pre-logits features only*");
        using var folder = new TempFolder();
        trained.Float.SaveCheckpoint(folder.File("float.mlnetcnn"));
        FluentActions.Invoking(() => ml.Cnn().LoadClassifier(folder.File("float.mlnetcnn"), engine: CnnInferenceEngine.OnnxRuntimeInt8))
            .Should().Throw<ArgumentException>().WithMessage("*float classifier*Quantize(calibrationData)*");
    }

    [Fact]
    public void Calibration_ReadsRowsSpreadEvenlyOverTheData_NotTheFirstOnes()
    {
        // Sorted by class, as image folders list them: the first 16 rows hold one class only.
        var sorted = Shapes.Generate(64, seed: 47).OrderBy(e => e.Label, StringComparer.Ordinal).ToList();
        var options = new CnnQuantizationOptions { MaxCalibrationRows = 16 };

        using var spread = trained.Float.Quantize(Pipelines.ImagesView(trained.Ml, sorted), options);
        using var everyFourth = trained.Float.Quantize(Pipelines.ImagesView(trained.Ml, sorted.Where((_, i) => i % 4 == 0)), options);
        using var firstRows = trained.Float.Quantize(Pipelines.ImagesView(trained.Ml, sorted.Take(16)), options);

        spread.QuantizedGraph.Should().Equal(everyFourth.QuantizedGraph, "16 of 64 rows are rows 0, 4, 8, ...");
        spread.QuantizedGraph.Should().NotEqual(firstRows.QuantizedGraph);
    }

    private sealed class Featured
    {
        public float[] Features { get; set; } = [];
    }
}
