using static TorchSharp.torch;

namespace MLNetCnn.Zoo;

/// <summary>
/// Dropout (zero each value with probability <c>p</c> in training, scale the rest by <c>1 / (1 - p)</c>; the identity in eval)
/// that draws its masks from the generator of the run that trains the model (<see cref="CnnModel.UseGenerator"/>) rather
/// than libtorch's process-wide one, so that runs side by side do not draw from each other's sequence. Without a generator it
/// draws from the process-wide one, as torch.nn.Dropout does.
/// </summary>
public sealed class RunDropout : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    /// <summary>Dropout with probability <paramref name="p"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The probability is not in [0, 1).</exception>
    public RunDropout(double p) : base(nameof(RunDropout))
    {
        if (p is < 0 or >= 1 || double.IsNaN(p))
            throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout probability must be in [0, 1).");
        P = p;
    }

    /// <summary>The probability of zeroing each value.</summary>
    public double P { get; }

    /// <summary>Where the masks come from; null for libtorch's process-wide generator.</summary>
    internal Generator? Generator { get; set; }

    // The inference graph: dropout is the identity there.
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input, string prefix) => input;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (!training || P == 0)
            return input.alias();
        using var scope = NewDisposeScope();
        var keep = empty_like(input).bernoulli_(1 - P, Generator);
        return (input * keep / (1 - P)).MoveToOuterDisposeScope();
    }
}
