using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetCnn.Zoo;

/// <summary>
/// GoogLeNet (Szegedy et al. 2014) as torchvision builds it: a stem, nine inception modules with 1x1
/// bottlenecks, global average pooling instead of large fully connected layers, and optionally the two
/// auxiliary classifiers the lecture shows (6,624,904 parameters without them, 13,004,888 with them).
/// </summary>
public sealed class GoogLeNet : CnnModel
{
    /// <summary>Weight of each auxiliary classifier's loss in training, as in the paper.</summary>
    public const double AuxLossWeight = 0.3;

    private const int FeatureLength = 1024;
    private readonly BasicConv2d conv1, conv2, conv3;
    private readonly MaxPool2d maxpool1, maxpool2, maxpool3, maxpool4;
    private readonly InceptionModule inception3a, inception3b, inception4a, inception4b, inception4c, inception4d, inception4e, inception5a, inception5b;
    private readonly InceptionAux? aux1, aux2;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly RunDropout dropout;
    private Linear fc;

    /// <summary>Builds GoogLeNet.</summary>
    /// <param name="numClasses">Number of classes.</param>
    /// <param name="inChannels">Image channels.</param>
    /// <param name="auxLogits">Include the two auxiliary classifiers (used by <see cref="TrainingForward"/> in training mode).</param>
    /// <param name="dropout">Dropout before the classifier (0.2 as torchvision; the paper used 0.4).</param>
    public GoogLeNet(int numClasses = 1000, int inChannels = 3, bool auxLogits = false, double dropout = 0.2)
        : base(auxLogits ? "googlenet_aux" : "googlenet", numClasses, inChannels)
    {
        conv1 = new BasicConv2d(inChannels, 64, kernelSize: 7, stride: 2, padding: 3);
        maxpool1 = MaxPool2d(kernel_size: 3, stride: 2, ceil_mode: true);
        conv2 = new BasicConv2d(64, 64, kernelSize: 1);
        conv3 = new BasicConv2d(64, 192, kernelSize: 3, padding: 1);
        maxpool2 = MaxPool2d(kernel_size: 3, stride: 2, ceil_mode: true);
        inception3a = Inception(192, 64, 96, 128, 16, 32, 32);
        inception3b = Inception(256, 128, 128, 192, 32, 96, 64);
        maxpool3 = MaxPool2d(kernel_size: 3, stride: 2, ceil_mode: true);
        inception4a = Inception(480, 192, 96, 208, 16, 48, 64);
        inception4b = Inception(512, 160, 112, 224, 24, 64, 64);
        inception4c = Inception(512, 128, 128, 256, 24, 64, 64);
        inception4d = Inception(512, 112, 144, 288, 32, 64, 64);
        inception4e = Inception(528, 256, 160, 320, 32, 128, 128);
        maxpool4 = MaxPool2d(kernel_size: 2, stride: 2, ceil_mode: true);
        inception5a = Inception(832, 256, 160, 320, 32, 128, 128);
        inception5b = Inception(832, 384, 192, 384, 48, 128, 128);
        if (auxLogits)
        {
            aux1 = new InceptionAux(512, numClasses);
            aux2 = new InceptionAux(528, numClasses);
        }
        avgpool = AdaptiveAvgPool2d(1);
        this.dropout = new RunDropout(dropout);
        fc = Linear(FeatureLength, numClasses);
        RegisterComponents();
        InitialiseWeights(null);
    }

    private static InceptionModule Inception(long inChannels, long ch1x1, long ch3x3Reduce, long ch3x3, long ch5x5Reduce, long ch5x5, long poolProjection)
        => InceptionModule.Bottleneck(inChannels, ch1x1, ch3x3Reduce, ch3x3, ch5x5Reduce, ch5x5, poolProjection, largeKernelSize: 3);

    /// <summary>Whether the auxiliary classifiers are present.</summary>
    public bool HasAuxLogits => aux1 is not null;

    /// <inheritdoc />
    public override int NumFeatures => FeatureLength;

    /// <inheritdoc />
    public override int DefaultImageSize => 224;

    /// <inheritdoc />
    public override int MinImageSize => 15;

    /// <inheritdoc />
    public override IReadOnlyList<string> ClassifierKeyPrefixes =>
        HasAuxLogits ? ["fc.", "aux1.fc2.", "aux2.fc2."] : ["fc."];

    /// <inheritdoc />
    protected override Tensor Features(Tensor images) => Trunk(images, auxOutputs: null);

    /// <inheritdoc />
    protected override Tensor Head(Tensor features) => fc.call(dropout.call(features));

    /// <summary>
    /// The main classifier's loss plus, in training mode with auxiliary heads, <see cref="AuxLossWeight"/>
    /// times each auxiliary classifier's loss; the logits are the main classifier's.
    /// </summary>
    public override (Tensor Loss, Tensor Logits) TrainingForward(Tensor images, Tensor targets, Func<Tensor, Tensor, Tensor> loss)
    {
        if (!HasAuxLogits || !training)
            return base.TrainingForward(images, targets, loss);
        using var scope = NewDisposeScope();
        var auxLogits = new List<Tensor>(2);
        var logits = ForwardHead(Trunk(images, auxLogits));
        var total = loss(logits, targets);
        foreach (var aux in auxLogits)
            total = total + AuxLossWeight * loss(aux, targets);
        return (total.MoveToOuterDisposeScope(), logits.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    protected override void ReplaceClassifier(int numClasses)
    {
        fc = Linear(FeatureLength, numClasses);
        ReplaceModule(nameof(fc), fc);
        aux1?.ResetClassifier(numClasses);
        aux2?.ResetClassifier(numClasses);
    }

    // The inference graph: the auxiliary classifiers only train.
    internal override string ExportFeatures(OnnxGraph graph, string input)
    {
        var x = input;
        foreach (var (name, module) in new (string, nn.Module)[]
        {
            ("conv1", conv1), ("maxpool1", maxpool1), ("conv2", conv2), ("conv3", conv3), ("maxpool2", maxpool2),
            ("inception3a", inception3a), ("inception3b", inception3b), ("maxpool3", maxpool3),
            ("inception4a", inception4a), ("inception4b", inception4b), ("inception4c", inception4c), ("inception4d", inception4d),
            ("inception4e", inception4e), ("maxpool4", maxpool4), ("inception5a", inception5a), ("inception5b", inception5b), ("avgpool", avgpool),
        })
            x = graph.Export(module, x, name + ".");
        return graph.Flatten(x);
    }

    internal override string ExportHead(OnnxGraph graph, string features) => graph.Export(fc, features, "fc.");

    private Tensor Trunk(Tensor x, List<Tensor>? auxOutputs)
    {
        using var scope = NewDisposeScope();
        x = maxpool1.call(conv1.call(x));                       // N x 64 x 56 x 56 (224 input)
        x = maxpool2.call(conv3.call(conv2.call(x)));           // N x 192 x 28 x 28
        x = maxpool3.call(inception3b.call(inception3a.call(x))); // N x 480 x 14 x 14
        x = inception4a.call(x);                                // N x 512 x 14 x 14
        if (auxOutputs is not null && aux1 is not null)
            auxOutputs.Add(aux1.call(x).MoveToOuterDisposeScope());
        x = inception4d.call(inception4c.call(inception4b.call(x))); // N x 528 x 14 x 14
        if (auxOutputs is not null && aux2 is not null)
            auxOutputs.Add(aux2.call(x).MoveToOuterDisposeScope());
        x = maxpool4.call(inception4e.call(x));                 // N x 832 x 7 x 7
        x = inception5b.call(inception5a.call(x));              // N x 1024 x 7 x 7
        return avgpool.call(x).flatten(1).MoveToOuterDisposeScope(); // N x 1024
    }

    // torchvision draws from N(0, 0.01) truncated to [-2, 2], which at std 0.01 is the plain normal.
    // (TorchSharp 0.107's trunc_normal_ fills a constant, so it is not used.)
    // Every layer GoogLeNet has; from libtorch's default generator when null.
    private void InitialiseWeights(Generator? generator)
    {
        using var noGrad = no_grad();
        foreach (var module in modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    WeightInitialisation.Normal(conv.weight, 0.01, generator);
                    break;
                case Linear linear:
                    WeightInitialisation.Normal(linear.weight, 0.01, generator);
                    init.zeros_(linear.bias);
                    break;
                case BatchNorm2d bn:
                    WeightInitialisation.UnitNorm(bn);
                    break;
            }
        }
    }

    /// <inheritdoc />
    protected override bool DrawInitialWeights(Generator generator)
    {
        InitialiseWeights(generator);
        return true;
    }
}
