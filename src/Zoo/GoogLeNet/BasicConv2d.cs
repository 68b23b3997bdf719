using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetCnn.Zoo;

/// <summary>torchvision's GoogLeNet unit: convolution without bias, batch norm (eps 0.001), ReLU.</summary>
/// <remarks>Keys: <c>conv.weight</c>, <c>bn.weight</c>, <c>bn.bias</c>, <c>bn.running_mean</c>, ...</remarks>
public sealed class BasicConv2d : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Conv2d conv;
    private readonly BatchNorm2d bn;

    /// <summary>A <paramref name="kernelSize"/>-square convolution from <paramref name="inChannels"/> to <paramref name="outChannels"/>.</summary>
    public BasicConv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0) : base(nameof(BasicConv2d))
    {
        conv = Conv2d(inChannels, outChannels, kernelSize, stride: stride, padding: padding, bias: false);
        bn = BatchNorm2d(outChannels, eps: 0.001);
        RegisterComponents();
    }

    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input, string prefix)
        => graph.Relu(graph.Export(bn, graph.Export(conv, input, prefix + "conv."), prefix + "bn."));

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return functional.relu(bn.call(conv.call(input))).MoveToOuterDisposeScope();
    }
}
