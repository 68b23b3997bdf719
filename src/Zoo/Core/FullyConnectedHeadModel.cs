using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetCnn.Zoo;

/// <summary>
/// AlexNet's and VGG's shape: convolutional <c>features</c>, an <c>avgpool</c>, and a <c>classifier</c> Sequential of
/// fully connected layers whose last layer maps the fc7 output to logits; everything before that last layer gives
/// the pre-logits features. State_dict keys are torchvision's: <c>features.N.*</c>, <c>classifier.N.*</c>.
/// </summary>
public abstract class FullyConnectedHeadModel : CnnModel
{
    private readonly Sequential features;
    private readonly Module<Tensor, Tensor> avgpool;
    private Sequential classifier;

    /// <summary>Registers the three parts under torchvision's names.</summary>
    private protected FullyConnectedHeadModel(string architecture, int numClasses, int inChannels,
        Sequential features, Module<Tensor, Tensor> avgpool, Sequential classifier) : base(architecture, numClasses, inChannels)
    {
        this.features = features;
        this.avgpool = avgpool;
        this.classifier = classifier;
        register_module(nameof(features), features);
        register_module(nameof(avgpool), avgpool);
        register_module(nameof(classifier), classifier);
    }

    private Linear LastLayer => (Linear)classifier[classifier.Count - 1];

    /// <inheritdoc />
    public override int NumFeatures => (int)LastLayer.in_features;

    /// <inheritdoc />
    public override IReadOnlyList<string> ClassifierKeyPrefixes => [$"classifier.{classifier.Count - 1}."];

    /// <inheritdoc />
    protected override Tensor Features(Tensor images)
    {
        using var scope = NewDisposeScope();
        var x = avgpool.call(features.call(images)).flatten(1);  // N x 256*6*6 (AlexNet) or 512*7*7 (VGG)
        for (var i = 0; i < classifier.Count - 1; i++)
            x = ((Module<Tensor, Tensor>)classifier[i]).call(x);  // fc6, fc7 with their ReLU and dropout: N x 4096
        return x.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override Tensor Head(Tensor features) => LastLayer.call(features);

    /// <inheritdoc />
    protected override void ReplaceClassifier(int numClasses)
    {
        var layers = Enumerable.Range(0, classifier.Count - 1)
            .Select(i => (i.ToString(), (Module<Tensor, Tensor>)classifier[i]))
            .Append(((classifier.Count - 1).ToString(), Linear(NumFeatures, numClasses)));
        classifier = Sequential(layers);
        ReplaceModule(nameof(classifier), classifier);
    }

    internal override string ExportFeatures(OnnxGraph graph, string input)
    {
        var x = graph.Flatten(graph.Export(avgpool, graph.Export(features, input, "features."), "avgpool."));
        foreach (var (name, layer) in classifier.named_children().SkipLast(1))
            x = graph.Export(layer, x, $"classifier.{name}.");
        return x;
    }

    internal override string ExportHead(OnnxGraph graph, string features)
        => graph.Export(LastLayer, features, $"classifier.{classifier.Count - 1}.");
}
