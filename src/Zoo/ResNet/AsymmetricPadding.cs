using static TorchSharp.torch;

namespace MLNetCnn.Zoo;

/// <summary>
/// Explicit padding with more on the top and left than on the bottom and right: CNTK's "same" padding, which
/// the ImageNet ResNet-18 of ML.NET's DnnImageFeaturizer was trained with (symmetric padding shifts every
/// strided layer by a pixel and changes its features).
/// </summary>
internal sealed record AsymmetricPadding(long Left, long Right, long Top, long Bottom, double Value = 0)
{
    /// <summary>CNTK's split of a "same" padding of <c>kernel - stride</c> pixels: the odd one at the start.</summary>
    public static AsymmetricPadding Same(long kernel, long stride, double value = 0)
    {
        var total = Math.Max(kernel - stride, 0);
        var start = (total + 1) / 2;
        return new AsymmetricPadding(start, total - start, start, total - start, value);
    }

    public Tensor Apply(Tensor x) => nn.functional.pad(x, [Left, Right, Top, Bottom], value: Value);

    public string Export(OnnxGraph graph, string input) => graph.Node("Pad",
    [
        input, graph.Int64s("pads", 0, 0, Top, Left, 0, 0, Bottom, Right), graph.Floats("pad_value", [(float)Value]),
    ]);
}
