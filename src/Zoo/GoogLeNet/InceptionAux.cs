using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetCnn.Zoo;

/// <summary>
/// GoogLeNet's auxiliary classifier: injects extra gradient into the middle of the network during
/// training (its loss is weighted 0.3); unused at inference.
/// </summary>
/// <remarks>Keys as torchvision: <c>conv.*</c>, <c>fc1.*</c>, <c>fc2.*</c>.</remarks>
public sealed class InceptionAux : Module<Tensor, Tensor>
{
    private readonly BasicConv2d conv;
    private readonly Linear fc1;
    private Linear fc2;
    private readonly RunDropout dropout;

    /// <summary>An auxiliary head over <paramref name="inChannels"/> channels.</summary>
    public InceptionAux(long inChannels, int numClasses, double dropout = 0.7) : base(nameof(InceptionAux))
    {
        conv = new BasicConv2d(inChannels, 128, kernelSize: 1);
        fc1 = Linear(2048, 1024);
        fc2 = Linear(1024, numClasses);
        this.dropout = new RunDropout(dropout);
        RegisterComponents();
    }

    /// <summary>Replaces the last layer for another class count.</summary>
    public void ResetClassifier(int numClasses)
    {
        fc2 = Linear(1024, numClasses);
        register_module(nameof(fc2), null!);
        register_module(nameof(fc2), fc2);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = conv.call(functional.adaptive_avg_pool2d(input, [4, 4])).flatten(1);  // N x 2048
        x = dropout.call(functional.relu(fc1.call(x)));                              // N x 1024
        return fc2.call(x).MoveToOuterDisposeScope();
    }
}
