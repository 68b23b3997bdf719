using MLNetCnn.Scoring;
using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn.Explanation;

/// <summary>
/// Which layer's activations Grad-CAM weighs. By default the last convolutional stage: the last module (in the order
/// modules finish their forward) whose output is a spatial map (<c>N x C x H x W</c>) that is not a pooling layer's
/// output, so <c>layer4</c> of a ResNet, the last ReLU of VGG's and AlexNet's features, GoogLeNet's <c>inception5b</c>.
/// </summary>
internal static class ExplanationLayer
{
    /// <summary>The module named <paramref name="name"/>, or the default layer when it is null.</summary>
    /// <exception cref="ArgumentException">No module of that name gives a spatial map; the message lists those that do.</exception>
    public static (string Name, nn.Module<Tensor, Tensor> Module) Find(CnnModel model, CnnPreprocessing preprocessing, string? name)
    {
        var spatial = SpatialLayers(model, preprocessing);
        if (spatial.Count == 0)
            throw new ArgumentException($"{model.Architecture} has no layer with a spatial output to explain.", nameof(name));
        var chosen = name ?? spatial[^1];
        return (chosen, LayerTap.Named(model, chosen, (spatial, "with a spatial output (N x C x H x W) to explain")));
    }

    /// <summary>The layers whose output is a spatial map that is not a pooling layer's, in the order they finish.</summary>
    private static List<string> SpatialLayers(CnnModel model, CnnPreprocessing preprocessing)
    {
        // Outputs are compared as objects, not native handles: a freed tensor's handle can be reused by a later one.
        var finished = new List<(string Name, Tensor Output, bool Spatial, bool Pooling)>();
        LayerTap.WhileEach(model,
            (name, module, output) => finished.Add((name, output, output.dim() == 4, module.GetType().Name.Contains("Pool", StringComparison.Ordinal))),
            () =>
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                model.eval();
                var device = model.parameters().First().device;
                model.call(zeros([1, preprocessing.Channels, preprocessing.Height, preprocessing.Width], device: device));
            });
        // A container whose output is its last pooling child's (VGG's `features`) is that pooling output, not a stage's map.
        var pooled = finished.Where(f => f.Pooling).Select(f => f.Output).ToHashSet(ReferenceEqualityComparer.Instance);
        return finished.Where(f => f.Spatial && !pooled.Contains(f.Output)).Select(f => f.Name).ToList();
    }
}
