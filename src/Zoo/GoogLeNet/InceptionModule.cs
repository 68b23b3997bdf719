using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetCnn.Zoo;

/// <summary>
/// GoogLeNet's inception module: four parallel branches (1x1, 3x3, 5x5 convolutions and a 3x3 max pool)
/// whose outputs are concatenated along channels. <see cref="Naive"/> is the lecture's first design;
/// <see cref="Bottleneck"/> puts 1x1 "bottleneck" convolutions before the 3x3 and 5x5 convolutions and
/// after the pool, which cuts the cost (for 256x28x28 in: 854M multiply-adds naive, 271M with bottlenecks).
/// </summary>
/// <remarks>Keys as torchvision: <c>branch1.*</c>, <c>branch2.0.*</c>, <c>branch2.1.*</c>, ..., <c>branch4.1.*</c>.</remarks>
public sealed class InceptionModule : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Module<Tensor, Tensor> branch1;
    private readonly Sequential branch2;
    private readonly Sequential branch3;
    private readonly Sequential branch4;

    private InceptionModule(Module<Tensor, Tensor> branch1, Sequential branch2, Sequential branch3, Sequential branch4, long outChannels)
        : base(nameof(InceptionModule))
    {
        this.branch1 = branch1;
        this.branch2 = branch2;
        this.branch3 = branch3;
        this.branch4 = branch4;
        OutChannels = outChannels;
        RegisterComponents();
    }

    /// <summary>Channels of the concatenated output.</summary>
    public long OutChannels { get; }

    /// <summary>
    /// The naive module: 1x1, 3x3 and 5x5 convolutions and a 3x3 max pool straight on the input.
    /// The pool branch keeps all input channels, so the output depth only grows.
    /// </summary>
    public static InceptionModule Naive(long inChannels, long ch1x1, long ch3x3, long ch5x5) => new(
        new BasicConv2d(inChannels, ch1x1, kernelSize: 1),
        Sequential(("0", new BasicConv2d(inChannels, ch3x3, kernelSize: 3, padding: 1))),
        Sequential(("0", new BasicConv2d(inChannels, ch5x5, kernelSize: 5, padding: 2))),
        Sequential(("0", MaxPool2d(kernel_size: 3, stride: 1, padding: 1, ceil_mode: true))),
        ch1x1 + ch3x3 + ch5x5 + inChannels);

    /// <summary>
    /// The module with 1x1 bottlenecks, as GoogLeNet uses it.
    /// </summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="ch1x1">Filters of the 1x1 branch.</param>
    /// <param name="ch3x3Reduce">1x1 bottleneck before the 3x3 convolution.</param>
    /// <param name="ch3x3">Filters of the 3x3 convolution.</param>
    /// <param name="ch5x5Reduce">1x1 bottleneck before the "5x5" convolution.</param>
    /// <param name="ch5x5">Filters of the "5x5" convolution.</param>
    /// <param name="poolProjection">1x1 convolution after the 3x3 max pool.</param>
    /// <param name="largeKernelSize">5 as in the paper; torchvision's GoogLeNet uses 3 here (a known
    /// deviation its pretrained weights depend on), and the zoo's <c>googlenet</c> does the same.</param>
    public static InceptionModule Bottleneck(long inChannels, long ch1x1, long ch3x3Reduce, long ch3x3, long ch5x5Reduce, long ch5x5,
        long poolProjection, int largeKernelSize = 5) => new(
        new BasicConv2d(inChannels, ch1x1, kernelSize: 1),
        Sequential(
            ("0", new BasicConv2d(inChannels, ch3x3Reduce, kernelSize: 1)),
            ("1", new BasicConv2d(ch3x3Reduce, ch3x3, kernelSize: 3, padding: 1))),
        Sequential(
            ("0", new BasicConv2d(inChannels, ch5x5Reduce, kernelSize: 1)),
            ("1", new BasicConv2d(ch5x5Reduce, ch5x5, kernelSize: largeKernelSize, padding: largeKernelSize / 2))),
        Sequential(
            ("0", MaxPool2d(kernel_size: 3, stride: 1, padding: 1, ceil_mode: true)),
            ("1", new BasicConv2d(inChannels, poolProjection, kernelSize: 1))),
        ch1x1 + ch3x3 + ch5x5 + poolProjection);

    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input, string prefix) => graph.Concat(
    [
        graph.Export(branch1, input, prefix + "branch1."), graph.Export(branch2, input, prefix + "branch2."),
        graph.Export(branch3, input, prefix + "branch3."), graph.Export(branch4, input, prefix + "branch4."),
    ]);

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var branches = new[] { branch1.call(input), branch2.call(input), branch3.call(input), branch4.call(input) };
        return cat(branches, dim: 1).MoveToOuterDisposeScope();
    }
}
