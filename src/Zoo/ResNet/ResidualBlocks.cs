using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetCnn.Zoo;

/// <summary>
/// A residual block: it learns the residual <c>F(x)</c> and outputs <c>relu(F(x) + shortcut(x))</c>,
/// so an identity mapping is as easy as <c>F = 0</c> (He et al. 2015).
/// </summary>
public abstract class ResidualBlock : Module<Tensor, Tensor>, IOnnxExportable
{
    /// <summary>Names the block for TorchSharp.</summary>
    protected ResidualBlock(string name) : base(name) { }

    /// <summary>Output channels of the block.</summary>
    public abstract long OutChannels { get; }

    /// <summary>The residual branch <c>F(x)</c>.</summary>
    protected abstract Tensor Residual(Tensor x);

    /// <summary>The shortcut: identity, a 1x1 projection, or option A's zero-padded subsampling; <c>null</c> for a plain (non-residual) block.</summary>
    protected abstract Tensor? Shortcut(Tensor x);

    /// <summary>ONNX nodes of the residual branch.</summary>
    internal abstract string ExportResidual(OnnxGraph graph, string input, string prefix);

    /// <summary>ONNX nodes of the shortcut; null for a plain block.</summary>
    internal abstract string? ExportShortcut(OnnxGraph graph, string input, string prefix);

    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input, string prefix)
    {
        var fx = ExportResidual(graph, input, prefix);
        var shortcut = ExportShortcut(graph, input, prefix);
        return graph.Relu(shortcut is null ? fx : graph.Add(fx, shortcut));
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var fx = Residual(x);
        var shortcut = Shortcut(x);
        var sum = shortcut is null ? fx : fx + shortcut;  // F(x) + x
        return functional.relu(sum).MoveToOuterDisposeScope();
    }
}

/// <summary>ResNet-18/34's block: two 3x3 convolutions. Keys as torchvision: <c>conv1</c>, <c>bn1</c>, <c>conv2</c>, <c>bn2</c>, <c>downsample.0/1</c>.</summary>
public sealed class BasicBlock : ResidualBlock
{
    private readonly Conv2d conv1, conv2;
    private readonly BatchNorm2d bn1, bn2;
    private readonly Sequential? downsample;
    private readonly AsymmetricPadding? conv1Padding;

    /// <summary>A block from <paramref name="inChannels"/> to <paramref name="planes"/> channels; a 1x1 projection shortcut when shapes change.</summary>
    public BasicBlock(long inChannels, long planes, long stride = 1) : this(inChannels, planes, stride, cntkPadding: false)
    {
    }

    internal BasicBlock(long inChannels, long planes, long stride, bool cntkPadding) : base(nameof(BasicBlock))
    {
        conv1Padding = cntkPadding && stride > 1 ? AsymmetricPadding.Same(3, stride) : null;
        conv1 = Conv2d(inChannels, planes, kernel_size: 3, stride: stride, padding: conv1Padding is null ? 1 : 0, bias: false);
        bn1 = BatchNorm2d(planes);
        conv2 = Conv2d(planes, planes, kernel_size: 3, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        downsample = ProjectionShortcut.IfNeeded(inChannels, planes, stride);
        OutChannels = planes;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override long OutChannels { get; }

    /// <inheritdoc />
    protected override Tensor Residual(Tensor x)
        => bn2.call(conv2.call(functional.relu(bn1.call(conv1.call(conv1Padding is null ? x : conv1Padding.Apply(x))))));

    /// <inheritdoc />
    protected override Tensor? Shortcut(Tensor x) => downsample is null ? x : downsample.call(x);

    /// <inheritdoc />
    internal override string ExportResidual(OnnxGraph graph, string input, string prefix)
    {
        var padded = conv1Padding is null ? input : conv1Padding.Export(graph, input);
        var y = graph.Relu(graph.Export(bn1, graph.Export(conv1, padded, prefix + "conv1."), prefix + "bn1."));
        return graph.Export(bn2, graph.Export(conv2, y, prefix + "conv2."), prefix + "bn2.");
    }

    /// <inheritdoc />
    internal override string? ExportShortcut(OnnxGraph graph, string input, string prefix)
        => downsample is null ? input : graph.Export(downsample, input, prefix + "downsample.");
}

/// <summary>
/// ResNet-50/101/152's block: 1x1 reduce, 3x3 (carrying the stride, "v1.5"), 1x1 expand by 4.
/// Keys as torchvision: <c>conv1..3</c>, <c>bn1..3</c>, <c>downsample.0/1</c>.
/// </summary>
public sealed class Bottleneck : ResidualBlock
{
    /// <summary>Output channels are <c>planes * Expansion</c>.</summary>
    public const int Expansion = 4;

    private readonly Conv2d conv1, conv2, conv3;
    private readonly BatchNorm2d bn1, bn2, bn3;
    private readonly Sequential? downsample;

    /// <summary>A bottleneck block from <paramref name="inChannels"/> to <c>planes * 4</c> channels.</summary>
    public Bottleneck(long inChannels, long planes, long stride = 1) : base(nameof(Bottleneck))
    {
        conv1 = Conv2d(inChannels, planes, kernel_size: 1, bias: false);
        bn1 = BatchNorm2d(planes);
        conv2 = Conv2d(planes, planes, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        conv3 = Conv2d(planes, planes * Expansion, kernel_size: 1, bias: false);
        bn3 = BatchNorm2d(planes * Expansion);
        downsample = ProjectionShortcut.IfNeeded(inChannels, planes * Expansion, stride);
        OutChannels = planes * Expansion;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override long OutChannels { get; }

    /// <inheritdoc />
    protected override Tensor Residual(Tensor x)
    {
        var y = functional.relu(bn1.call(conv1.call(x)));
        y = functional.relu(bn2.call(conv2.call(y)));
        return bn3.call(conv3.call(y));
    }

    /// <inheritdoc />
    protected override Tensor? Shortcut(Tensor x) => downsample is null ? x : downsample.call(x);

    /// <inheritdoc />
    internal override string ExportResidual(OnnxGraph graph, string input, string prefix)
    {
        var y = graph.Relu(graph.Export(bn1, graph.Export(conv1, input, prefix + "conv1."), prefix + "bn1."));
        y = graph.Relu(graph.Export(bn2, graph.Export(conv2, y, prefix + "conv2."), prefix + "bn2."));
        return graph.Export(bn3, graph.Export(conv3, y, prefix + "conv3."), prefix + "bn3.");
    }

    /// <inheritdoc />
    internal override string? ExportShortcut(OnnxGraph graph, string input, string prefix)
        => downsample is null ? input : graph.Export(downsample, input, prefix + "downsample.");
}

/// <summary>Option B shortcut of the ImageNet ResNets: a strided 1x1 convolution and batch norm where the shape changes.</summary>
internal static class ProjectionShortcut
{
    public static Sequential? IfNeeded(long inChannels, long outChannels, long stride)
        => stride == 1 && inChannels == outChannels
            ? null
            : Sequential(
                ("0", Conv2d(inChannels, outChannels, kernel_size: 1, stride: stride, bias: false)),
                ("1", BatchNorm2d(outChannels)));
}
