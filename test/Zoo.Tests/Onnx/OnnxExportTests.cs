using FluentAssertions;
using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using MLNetCnn.Zoo.Tests.Support;
using static TorchSharp.torch;

namespace MLNetCnn.Zoo.Tests.Onnx;

/// <summary>Every registry name exported to ONNX gives, in ONNX Runtime, the outputs TorchSharp gives.</summary>
public class OnnxExportTests
{
    public static TheoryData<string> AllNames => new(CnnZoo.Names.Where(n => !n.StartsWith("test_")));

    private static float[] RunOnnx(byte[] model, Tensor input, string inputName = "input", string outputName = "output")
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2 };
        using var session = new InferenceSession(model, options);
        var data = new DenseTensor(input.data<float>().ToArray(), input.shape.Select(d => (int)d).ToArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, data)]);
        return results.Single(r => r.Name == outputName).AsEnumerable<float>().ToArray();
    }

    private static void BatchNormStatistics(CnnModel model)
    {
        // Trained-looking statistics, so folding mistakes in batch norm would show.
        using var noGrad = no_grad();
        foreach (var bn in model.modules().OfType<TorchSharp.Modules.BatchNorm2d>())
        {
            bn.running_mean!.uniform_(-0.2, 0.2);
            bn.running_var!.uniform_(0.5, 1.5);
            bn.weight!.uniform_(0.5, 1.5);
            bn.bias!.uniform_(-0.2, 0.2);
        }
    }

    [Theory]
    [MemberData(nameof(AllNames))]
    public void ExportOnnx_EveryArchitecture_OnnxRuntimeMatchesTorchSharp(string name)
    {
        using var model = CnnZoo.Create(name, numClasses: 10, inChannels: 3);
        BatchNormStatistics(model);
        model.eval();
        var size = model.FixedImageSize ?? Math.Max(model.MinImageSize, 32);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(2);
        var x = randn(3, 3, size, size);
        var expected = model.call(x);

        var onnx = RunOnnx(model.ToOnnx(3, size, size), x);

        TorchAssert.RelativeDifference(tensor(onnx, expected.shape), expected).Should().BeLessThan(1e-4);
    }

    [Theory]
    [InlineData("vgg11", 64)]      // adaptive 2x2 -> 7x7 pooling becomes the exact averaging map
    [InlineData("alexnet", 100)]   // adaptive 2x2 -> 6x6
    [InlineData("googlenet", 45)]  // ceil-mode pools on odd sizes
    public void ExportOnnx_UnevenAdaptivePoolingAndCeilModes_StillMatch(string name, int size)
    {
        using var model = CnnZoo.Create(name, numClasses: 5);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(2, 3, size, size);

        var onnx = RunOnnx(model.ToOnnx(3, size, size), x);

        TorchAssert.RelativeDifference(tensor(onnx, [2, 5]), model.call(x)).Should().BeLessThan(1e-4);
    }

    [Fact]
    public void ExportOnnx_NormalizationAndSoftmax_AreInsideTheGraph()
    {
        using var model = CnnZoo.Create("resnet20", numClasses: 4, inChannels: 1);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var raw = randint(0, 256, [2, 1, 28, 28]).to_type(ScalarType.Float32);
        var options = new OnnxExportOptions { Softmax = true, Normalization = new PixelNormalization(1, 28, 28, 1f / 255, [0.3f], [0.35f]), InputName = "pixels", OutputName = "probabilities" };

        var onnx = RunOnnx(model.ToOnnx(1, 28, 28, options), raw, "pixels", "probabilities");

        var expected = nn.functional.softmax(model.call((raw / 255f - 0.3f) / 0.35f), 1);
        TorchAssert.RelativeDifference(tensor(onnx, [2, 4]), expected).Should().BeLessThan(1e-4);
    }

    [Theory]
    [InlineData(1f / 255, new[] { 0.485f, 0.456f, 0.406f }, new[] { 0.229f, 0.224f, 0.225f }, new[] { "Mul", "Add" })]
    [InlineData(1f, new[] { 0.5f, 0f, 0f }, new[] { 1f, 1f, 1f }, new[] { "Add" })]
    [InlineData(1f / 255, new[] { 0f, 0f, 0f }, new[] { 1f, 1f, 1f }, new[] { "Mul" })]
    [InlineData(1f, new[] { 0f, 0f, 0f }, new[] { 1f, 1f, 1f }, new string[0])]
    public void ExportOnnx_Normalization_IsOneMultiplyAndOneAdd_LeavingOutIdentities(float scale, float[] mean, float[] std, string[] preprocessingOps)
    {
        using var model = CnnZoo.Create("resnet20", numClasses: 4);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var raw = randint(0, 256, [2, 3, 32, 32]).to_type(ScalarType.Float32);
        var exported = model.ToOnnx(3, 32, 32, new OnnxExportOptions { Normalization = new PixelNormalization(3, 32, 32, scale, mean, std) });

        var onnx = RunOnnx(exported, raw);

        var graph = global::Onnx.ModelProto.Parser.ParseFrom(exported).Graph;
        graph.Node.TakeWhile(n => n.OpType != "Conv").Select(n => n.OpType).Should().Equal(preprocessingOps);
        var expected = model.call((raw * scale - tensor(mean).view(1, 3, 1, 1)) / tensor(std).view(1, 3, 1, 1));
        TorchAssert.RelativeDifference(tensor(onnx, [2, 4]), expected).Should().BeLessThan(1e-4);
    }

    [Theory]
    [InlineData("alexnet", 64)]
    [InlineData("googlenet", 32)]
    [InlineData("resnet20", 32)]
    public void ExportOnnx_Features_EqualForwardFeatures(string name, int size)
    {
        using var model = CnnZoo.Create(name, numClasses: 5);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(2, 3, size, size);

        var onnx = RunOnnx(model.ToOnnx(3, size, size, new OnnxExportOptions { Features = true }), x);

        TorchAssert.RelativeDifference(tensor(onnx, [2, model.NumFeatures]), model.ForwardFeatures(x)).Should().BeLessThan(1e-4);
    }

    [Fact]
    public void ExportOnnx_WritesAFileWithADynamicBatch()
    {
        using var file = new TempFile(".onnx");
        using var model = CnnZoo.Create("resnet20", numClasses: 3);
        model.eval();
        model.ExportOnnx(file.Path, 3, 32, 32);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        foreach (var batch in new[] { 1, 5 })
        {
            var x = randn(batch, 3, 32, 32);
            RunOnnx(File.ReadAllBytes(file.Path), x).Should().HaveCount(batch * 3);
        }
    }

    [Fact]
    public void ExportOnnx_SizeTheNetworkCannotTake_IsRefused()
    {
        using var model = CnnZoo.Create("alexnet_2012", numClasses: 3);

        FluentActions.Invoking(() => model.ToOnnx(3, 224, 224)).Should().Throw<ArgumentException>().WithMessage("*fixed input of 227x227*");
    }
}
