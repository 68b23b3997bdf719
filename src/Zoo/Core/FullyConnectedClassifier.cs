using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetCnn.Zoo;

/// <summary>
/// AlexNet's and VGG's classifier, a torchvision <c>classifier</c> Sequential whose last layer maps the
/// 4096-d fc7 output to logits: everything before the last layer gives the pre-logits features.
/// </summary>
internal static class FullyConnectedClassifier
{
    public static Tensor PreLogits(Sequential classifier, Tensor x)
    {
        for (var i = 0; i < classifier.Count - 1; i++)
            x = ((Module<Tensor, Tensor>)classifier[i]).call(x);
        return x;
    }

    public static Tensor Logits(Sequential classifier, Tensor features)
        => ((Module<Tensor, Tensor>)classifier[classifier.Count - 1]).call(features);

    /// <summary>The same layers with a fresh last layer for <paramref name="numClasses"/> classes.</summary>
    public static Sequential WithNewLastLayer(Sequential classifier, int numFeatures, int numClasses)
    {
        var layers = Enumerable.Range(0, classifier.Count - 1)
            .Select(i => (i.ToString(), (Module<Tensor, Tensor>)classifier[i]))
            .Append(((classifier.Count - 1).ToString(), Linear(numFeatures, numClasses)));
        return Sequential(layers);
    }
}
